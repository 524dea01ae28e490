import { beforeAll, describe, expect, it } from 'vitest';

import '@tensorflow/tfjs-backend-wasm';

import { tf } from '../../src/tf.js';
import { setBackend } from '../../src/backend/index.js';
import { lcgValues, relError, sizeOf } from '../helpers.js';

// Captured before setBackend('wasm') replaces them.
const stockConv = tf.getKernel(tf.Conv2D, 'wasm')!.kernelFunc;
const stockFused = tf.getKernel(tf.FusedConv2D, 'wasm')!.kernelFunc;

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  x: Shape4;
  w: Shape4;
  strides: number | [number, number];
  pad: Pad;
  bias?: boolean;
  activation?: 'linear' | 'relu' | 'leakyrelu';
}

async function run(backend: string, c: Case): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf
    .tidy(() => {
      const x = tf.tensor4d(lcgValues(sizeOf(c.x), 1), c.x);
      const filter = tf.tensor4d(lcgValues(sizeOf(c.w), 2), c.w);
      const bias = c.bias ? tf.tensor1d(lcgValues(c.w[3], 3)) : undefined;
      return c.bias || c.activation
        ? tf.fused.conv2d({ x, filter, strides: c.strides, pad: c.pad, bias, activation: c.activation ?? 'linear', leakyreluAlpha: 0.1 })
        : tf.conv2d(x, filter, c.strides, c.pad);
    })
    .data() as Promise<Float32Array>;
}

function expectClose(actual: Float32Array, expected: Float32Array): void {
  expect(relError(actual, expected)).toBeLessThan(1e-5);
}

beforeAll(async () => {
  await setBackend('cpu');
  await setBackend('wasm');
});

describe('Conv2D and FusedConv2D on wasm', () => {
  it('are ours, not the stock kernels', () => {
    expect(tf.getKernel(tf.Conv2D, 'wasm')!.kernelFunc).not.toBe(stockConv);
    expect(tf.getKernel(tf.FusedConv2D, 'wasm')!.kernelFunc).not.toBe(stockFused);
  });

  const cases: Case[] = [];
  for (const [strides, pad] of [
    [1, 'same'],
    [2, 'same'],
    [1, 'valid'],
    [2, 1],
    [
      1,
      [
        [0, 0],
        [2, 0],
        [0, 1],
        [0, 0],
      ],
    ],
    [[2, 1], 'same'],
  ] as [Case['strides'], Pad][]) {
    // 7 columns: partial tiles; 3 channels: the stem; 16 outputs: two channel tiles.
    for (const [k, cin, cout] of [
      [3, 3, 16],
      [3, 8, 8],
      [1, 5, 8],
    ] as const) {
      cases.push({ x: [2, 9, 7, cin], w: [k, k, cin, cout], strides, pad });
    }
  }
  cases.push({ x: [2, 6, 6, 4], w: [3, 3, 4, 16], strides: 1, pad: 'same', bias: true });
  cases.push({ x: [2, 6, 6, 4], w: [3, 3, 4, 8], strides: 2, pad: 'same', bias: true, activation: 'relu' });
  cases.push({ x: [2, 6, 6, 4], w: [3, 3, 4, 8], strides: 1, pad: 'valid', activation: 'relu' });
  // Not ours (output width, activation): tfjs's kernels, which must still be reachable.
  cases.push({ x: [2, 6, 6, 4], w: [3, 3, 4, 6], strides: 1, pad: 'same' });
  cases.push({ x: [2, 6, 6, 4], w: [3, 3, 4, 8], strides: 1, pad: 'same', bias: true, activation: 'leakyrelu' });

  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s matches the cpu backend', async (_label, c) => {
    expectClose(await run('wasm', c), await run('cpu', c));
  });

  it('leaks no tensors', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(lcgValues(2 * 8 * 8 * 8, 4), [2, 8, 8, 8]);
    const w = tf.tensor4d(lcgValues(3 * 3 * 8 * 8, 5), [3, 3, 8, 8]);
    const counts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const y = tf.conv2d(x, w, 1, 'same');
      await y.data();
      y.dispose();
      counts.push(`${tf.memory().numTensors}/${tf.backend().numDataIds()}`);
    }
    expect(new Set(counts).size).toBe(1);
    tf.dispose([x, w]);
  });
});
