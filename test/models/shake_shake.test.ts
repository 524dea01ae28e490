import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import type { ShakeOptions } from '../../src/models/shakeshake/options.js';
import { shakeShake, resolveShakeOptions } from '../../src/models/shakeshake/shake_shake.js';
import { Generator } from '../../src/util/random.js';
import { tf } from '../../src/tf.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const N = 6;
const shape = [N, 2, 2, 3];

/** With x1 = 1 and x2 = 0 the output is α per sample; the gradient into x1 is β per sample. */
async function probe(options: ShakeOptions, training = true, seed = 1): Promise<{ alpha: number[]; beta: number[] }> {
  const x1 = tf.ones(shape);
  const x2 = tf.zeros(shape);
  const call = { training, rng: new Generator(seed), options: resolveShakeOptions(options) };
  const out = shakeShake(x1, x2, call);
  const values = await out.data();
  const alpha = Array.from({ length: N }, (_, i) => values[i * 12]);
  for (let i = 0; i < N; i++) for (let j = 0; j < 12; j++) expect(values[i * 12 + j]).toBe(alpha[i]);
  const call2 = { training, rng: new Generator(seed), options: resolveShakeOptions(options) };
  const [g1, g2] = tf.grads((a: tf.Tensor, b: tf.Tensor) => shakeShake(a, b, call2))([x1, x2]);
  const [d1, d2] = [await g1.data(), await g2.data()];
  const beta = Array.from({ length: N }, (_, i) => d1[i * 12]);
  for (let i = 0; i < d1.length; i++) expect(d1[i] + d2[i]).toBeCloseTo(1, 6);
  return { alpha, beta };
}

describe('shakeShake', () => {
  it('is the mean of the branches in eval', async () => {
    const a = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
    const b = tf.tensor4d([3, 2, 1, 0], [1, 2, 2, 1]);
    const y = shakeShake(a, b, { training: false, rng: new Generator(0), options: resolveShakeOptions() });
    expect(Array.from(await y.data())).toEqual([2, 2, 2, 2]);
  });

  it('mixes per sample with α in [0,1) and scales gradients by an independent β', async () => {
    const { alpha, beta } = await probe({});
    expect(new Set(alpha).size).toBe(N);
    expect(new Set(beta).size).toBe(N);
    for (const v of [...alpha, ...beta]) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1);
    }
    expect(alpha).not.toEqual(beta);
    // β is not a function of α: the same α stream with a different later stream changes only β.
    const again = await probe({});
    expect(again).toEqual({ alpha, beta });
    expect((await probe({}, true, 2)).alpha).not.toEqual(alpha);
  });

  it('uses 0.5 in even modes and one coefficient a batch at level batch', async () => {
    const even = await probe({ forward: 'even', backward: 'even' });
    expect(even.alpha).toEqual(new Array(N).fill(0.5));
    expect(even.beta).toEqual(new Array(N).fill(0.5));
    const fwdOnly = await probe({ forward: 'shake', backward: 'even' });
    expect(new Set(fwdOnly.alpha).size).toBe(N);
    expect(fwdOnly.beta).toEqual(new Array(N).fill(0.5));
    const batch = await probe({ level: 'batch' });
    expect(new Set(batch.alpha).size).toBe(1);
    expect(new Set(batch.beta).size).toBe(1);
    expect(batch.alpha[0]).not.toBe(batch.beta[0]);
  });

  it('rejects unknown modes', () => {
    expect(() => resolveShakeOptions({ forward: 'wobble' as 'shake' })).toThrow(/shake\.forward: .*"shake"\|"even"/);
  });
});
