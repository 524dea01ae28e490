import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { createModel, listModels } from '../../src/registry/index.js';
import { withoutInitialValues } from '../../src/nn/init.js';
import { tf } from '../../src/tf.js';

beforeAll(async () => {
  await setBackend('wasm');
});

describe('every registered name', () => {
  // Zero weights: the point is that each network builds and runs; drawing 36M weights adds only time.
  it.each([...listModels(), 'shake_resnet8_2x8d'])(
    '%s builds and runs forward on a small input',
    async (name) => {
      const model = withoutInitialValues(() => createModel(name, { numClasses: 7 }));
      try {
        const logits = model.forward(tf.randomNormal([1, 8, 8, 3], 0, 1, 'float32', 1), { training: false });
        expect(logits.shape).toEqual([1, 7]);
        const values = await logits.data();
        expect(values.every(Number.isFinite)).toBe(true);
        logits.dispose();
      } finally {
        model.dispose();
      }
    },
    60_000,
  );
});

describe('a training step', () => {
  it('leaks no tensors: numTensors is flat across steps', async () => {
    const model = createModel('shake_resnet8_2x8d', { numClasses: 10 });
    const x = tf.randomNormal([4, 16, 16, 3], 0, 1, 'float32', 2);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], 'int32'), 10);
    const params = model.parameters();
    const step = () => {
      const { value, grads } = tf.variableGrads(
        () => tf.losses.softmaxCrossEntropy(y, model.forward(x, { training: true })) as tf.Scalar,
        params,
      );
      tf.tidy(() => {
        for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name], 0.01)));
      });
      tf.dispose([value, grads]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('changes with the seed of the shake draws and repeats with the same one', async () => {
    const model = createModel('shake_resnet8_2x8d');
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3);
    const { Generator } = await import('../../src/util/random.js');
    const run = async (seed: number) => Array.from(await model.forward(x, { training: true, rng: new Generator(seed) }).data());
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
    model.dispose();
  });
});
