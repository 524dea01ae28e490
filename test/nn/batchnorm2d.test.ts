import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { BatchNorm2d } from '../../src/nn/batchnorm2d.js';
import { tf } from '../../src/tf.js';
import { expectClose, randn } from '../helpers.js';

beforeAll(async () => {
  await setBackend('cpu');
});

/** The textbook expression, differentiated by tfjs's autodiff: an independent reference. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

describe('BatchNorm2d', () => {
  it('normalises with batch statistics and matches autodiff gradients', async () => {
    const bn = new BatchNorm2d({ numFeatures: 3 });
    bn.weight.assign(tf.tensor1d([0.5, 1.5, -2]));
    bn.bias.assign(tf.tensor1d([0.1, -0.2, 0.3]));
    const x = tf.add(tf.mul(randn([4, 5, 6, 3], 1), 3), 2);
    const r = randn([4, 5, 6, 3], 2);
    const lossOurs = () => tf.sum(tf.mul(bn.forward(x, { training: true }), r)) as tf.Scalar;
    const { grads } = tf.variableGrads(lossOurs, [bn.weight, bn.bias]);
    const dxOurs = tf.grad((xi: tf.Tensor) => tf.sum(tf.mul(bn.forward(xi, { training: true }), r)))(x);
    const refLoss = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(reference(xi, g, b, 1e-5), r));
    const [dxRef, dgRef, dbRef] = tf.grads(refLoss)([x, bn.weight, bn.bias]);
    await expectClose(bn.forward(x, { training: true }), reference(x, bn.weight, bn.bias, 1e-5), 1e-5);
    await expectClose(dxOurs, dxRef, 1e-4);
    await expectClose(grads[bn.weight.name], dgRef, 1e-4);
    await expectClose(grads[bn.bias.name], dbRef, 1e-4);
  });

  it('updates running stats as PyTorch does (momentum 0.1, unbiased variance) and uses them in eval', async () => {
    const bn = new BatchNorm2d({ numFeatures: 2 });
    const data = new Float32Array(2 * 3 * 1 * 2);
    for (let i = 0; i < data.length; i++) data[i] = ((i * 7) % 5) - 1.5 + (i % 2) * 3;
    const x = tf.tensor4d(data, [2, 3, 1, 2]);
    bn.forward(x, { training: true }).dispose();
    const mean = [0, 0];
    const sq = [0, 0];
    for (let i = 0; i < data.length; i++) mean[i % 2] += data[i] / 6;
    for (let i = 0; i < data.length; i++) sq[i % 2] += (data[i] - mean[i % 2]) ** 2;
    const unbiased = sq.map((s) => s / 5);
    expect(Array.from(await bn.runningMean.data())).toEqual(mean.map((m) => expect.closeTo(0.1 * m, 6)));
    expect(Array.from(await bn.runningVar.data())).toEqual(unbiased.map((v) => expect.closeTo(0.9 + 0.1 * v, 6)));
    expect(Array.from(await bn.numBatchesTracked.data())).toEqual([1]);

    const y = bn.forward(x, { training: false });
    const rm = await bn.runningMean.data();
    const rv = await bn.runningVar.data();
    const expected = Array.from(data, (v, i) => (v - rm[i % 2]) / Math.sqrt(rv[i % 2] + 1e-5));
    expect(Array.from(await y.data())).toEqual(expected.map((e) => expect.closeTo(e, 5)));
  });

  it('leaks no tensors across training steps', async () => {
    const bn = new BatchNorm2d({ numFeatures: 4 });
    const x = randn([2, 3, 3, 4], 3);
    const step = () => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(bn.forward(x, { training: true }))) as tf.Scalar);
      tf.dispose([value, grads]);
    };
    step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) step();
    expect(tf.memory().numTensors).toBe(before);
  });
});
