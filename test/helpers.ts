import { expect } from 'vitest';
import { tf } from '../src/tf.js';

/** Largest |a-b| / max(1, |b|) over two tensors of the same shape. */
export async function maxRelDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = await Promise.all([a.data(), b.data()]);
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]) / Math.max(1, Math.abs(y[i])));
  return worst;
}

export async function expectClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-5): Promise<void> {
  expect(await maxRelDiff(a, b)).toBeLessThan(tol);
}

export function randn(shape: number[], seed: number): tf.Tensor {
  return tf.randomNormal(shape, 0, 1, 'float32', seed);
}
