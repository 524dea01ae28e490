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

/** Deterministic values in [-1, 1) from a linear congruential sequence (the same on every run). */
export function lcgValues(n: number, seed: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}

/** Elements of a tensor of this shape. */
export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** Largest |actual − expected| over the largest |expected| (at least 1e-6): an error relative to the values' scale. */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  }
  return worst / Math.max(scale, 1e-6);
}
