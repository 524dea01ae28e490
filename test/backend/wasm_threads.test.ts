import { describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { enableWasmThreads, wasmThreadsFromEnv, WASM_THREADS_ENV } from '../../src/backend/wasm/threads.js';
import { Generator } from '../../src/util/random.js';
import { createModel } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import { trainStep } from '../../src/engine/step.js';

/** Conv forward and both gradients, a BN'd model's eval logits and one SGD step: host copies. */
async function workload(): Promise<Float32Array[]> {
  const x = tf.randomNormal([4, 12, 12, 8], 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([3, 3, 8, 16], 0, 0.2, 'float32', 2) as tf.Tensor4D;
  const [y, dx, dw] = tf.tidy(() => {
    const f = (xi: tf.Tensor4D, wi: tf.Tensor4D) => tf.sum(tf.square(tf.conv2d(xi, wi, 2, 'same')));
    const [gx, gw] = tf.grads(f as (...a: tf.Tensor[]) => tf.Tensor)([x, w]);
    return [tf.conv2d(x, w, 1, 'same'), gx!, gw!];
  });
  const model = createModel('shake_resnet8_2x4d', { numClasses: 4, seed: 0 });
  const opt = new Optimizer(model.namedParameters(), { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 1e-4 });
  const xb = tf.randomNormal([8, 16, 16, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
  const yb = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
  const r = trainStep(model, opt, xb, yb, { lr: 0.1, rng: new Generator(4) });
  const before = tf.memory().numTensors;
  tf.dispose([r.loss, r.correct]);
  const r2 = trainStep(model, opt, xb, yb, { lr: 0.1, rng: new Generator(5) });
  tf.dispose([r2.loss, r2.correct]);
  expect(tf.memory().numTensors).toBe(before - 2);
  const logits = model.forward(xb, { training: false });
  const out = await Promise.all([y, dx, dw, logits].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([x, w, y, dx, dw, xb, yb, logits]);
  opt.dispose();
  model.dispose();
  return out;
}

function maxRel(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

describe('wasm threads', () => {
  it('reads the thread count from the environment', () => {
    expect(wasmThreadsFromEnv({ [WASM_THREADS_ENV]: '3' })).toBe(3);
    expect(wasmThreadsFromEnv({})).toBe(1);
    expect(wasmThreadsFromEnv({ [WASM_THREADS_ENV]: 'auto' })).toBeGreaterThanOrEqual(1);
    expect(() => wasmThreadsFromEnv({ [WASM_THREADS_ENV]: 'x' })).toThrow(RangeError);
  });

  it('runs tfjs wasm with 2 XNNPACK threads in Node and agrees with the cpu backend', async () => {
    await setBackend('cpu');
    const ref = await workload();
    await enableWasmThreads(2);
    const info = await setBackend('wasm');
    expect(info.threads).toBe(2);
    expect(tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')).toBe(true);
    const got = await workload();
    for (let i = 0; i < ref.length; i++) expect(maxRel(got[i]!, ref[i]!)).toBeLessThan(1e-4);
  }, 120_000);
});
