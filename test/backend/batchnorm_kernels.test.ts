import { describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { batchNormTrainHost, hasBatchNormKernels } from '../../src/backend/host/batchnorm_kernels.js';
import { tf } from '../../src/tf.js';
import { maxRelDiff, randn } from '../helpers.js';

/** The textbook formula through tfjs's own ops and autodiff: what the kernels must reproduce. */
function reference(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), g), b);
}

describe.each(['cpu', 'wasm'] as const)('BatchNorm host kernels on %s', (backend) => {
  it.each([
    ['C = 8', [4, 5, 3, 8]],
    ['C = 6 (not a multiple of 4), mean far from 0', [3, 4, 5, 6]],
    ['C = 1', [2, 3, 3, 1]],
  ] as const)('match the tf-op formula and its autodiff gradients: %s', async (_label, shape) => {
    await setBackend(backend);
    expect(hasBatchNormKernels()).toBe(true);
    const c = shape[3];
    const x = tf.tidy(() => tf.add(tf.mul(randn([...shape], 1), 3), c === 6 ? 1000 : 0.5));
    const g = tf.add(randn([c], 2), 1);
    const b = randn([c], 3);
    const w = randn([...shape], 4); // a random cotangent
    const eps = 1e-5;
    const before = tf.memory().numTensors;
    const ours = tf.tidy(() => {
      const r = batchNormTrainHost(x, g, b, eps);
      const { mean, variance } = tf.moments(x, [0, 1, 2]);
      const stats = [tf.sub(r.mean, mean), tf.sub(r.variance, variance)].map((d) => tf.max(tf.abs(d)));
      tf.dispose([r.mean, r.variance, r.unbiased]);
      const grads = tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => {
        const s = batchNormTrainHost(xx, gg, bb, eps);
        tf.dispose([s.mean, s.variance, s.unbiased]);
        return tf.sum(tf.mul(s.y, w));
      })([x, g, b]);
      return [r.y, ...grads, ...stats];
    });
    const ref = tf.tidy(() => [
      reference(x, g, b, eps),
      ...tf.grads((xx: tf.Tensor, gg: tf.Tensor, bb: tf.Tensor) => tf.sum(tf.mul(reference(xx, gg, bb, eps), w)))([x, g, b]),
    ]);
    for (let i = 0; i < 4; i++)
      expect(await maxRelDiff(ours[i]!, ref[i]!), ['y', 'dx', 'dgamma', 'dbeta'][i]).toBeLessThan(c === 6 ? 1e-3 : 1e-4);
    // Mean and variance as tf.moments gives them (its float32 sums are the less exact side at mean 1000).
    expect((await ours[4]!.data())[0]).toBeLessThan(c === 6 ? 1e-2 : 1e-5);
    expect((await ours[5]!.data())[0]).toBeLessThan(c === 6 ? 1e-1 : 1e-4);
    tf.dispose([...ours, ...ref]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, g, b, w]);
  });
});
