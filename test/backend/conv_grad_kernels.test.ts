import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tf } from '../../src/tf.js';
import { registerConvGradKernels, setBackend } from '../../src/backend/index.js';
import { lcgValues, relError, sizeOf } from '../helpers.js';

const FILTER = tf.Conv2DBackpropFilter;
const INPUT = tf.Conv2DBackpropInput;

// The reference: a second cpu backend holding the stock kernels, copied before any replacement.
const STOCK = 'cpu-stock';
tf.copyRegisteredKernels('cpu', STOCK);
tf.registerBackend(STOCK, tf.findBackendFactory('cpu'));

type Pad = 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
type Shape4 = [number, number, number, number];

interface Case {
  x: Shape4;
  w: Shape4;
  strides: number | [number, number];
  pad: Pad;
}

function cases(): Case[] {
  const out: Case[] = [];
  const pads: Pad[] = [
    'same',
    'valid',
    [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ],
    0,
    1,
  ];
  const channels: [number, number][] = [
    [3, 4],
    [2, 5],
  ];
  for (const strides of [1, 2]) {
    for (const pad of pads) {
      for (const k of [1, 3]) {
        for (const [h, w] of [
          [7, 7],
          [8, 6],
        ] as const) {
          const [cin, cout] = channels[(k + h) % 2]!;
          out.push({ x: [2, h, w, cin], w: [k, k, cin, cout], strides, pad });
        }
      }
    }
  }
  // Non-square stride, asymmetric explicit padding, a wide kernel.
  out.push({ x: [2, 9, 8, 3], w: [3, 3, 3, 4], strides: [2, 1], pad: 'same' });
  out.push({
    x: [2, 8, 7, 2],
    w: [3, 3, 2, 3],
    strides: 2,
    pad: [
      [0, 0],
      [0, 1],
      [2, 0],
      [0, 0],
    ],
  });
  out.push({ x: [2, 10, 9, 2], w: [5, 4, 2, 3], strides: 2, pad: 'same' });
  return out;
}

async function gradsOn(backend: string, c: Case, dataFormat: 'NHWC' | 'NCHW' = 'NHWC'): Promise<{ dx: Float32Array; dw: Float32Array }> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(lcgValues(sizeOf(c.x), 1), c.x);
  const w = tf.tensor4d(lcgValues(sizeOf(c.w), 2), c.w);
  const yShape = tf.tidy(() => tf.conv2d(x, w, c.strides, c.pad, dataFormat).shape);
  const r = tf.tensor(lcgValues(sizeOf(yShape), 3), yShape);
  const f = (a: tf.Tensor, b: tf.Tensor): tf.Scalar =>
    tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.strides, c.pad, dataFormat), r));
  const [dx, dw] = tf.grads(f)([x, w]);
  const out = { dx: (await dx!.data()) as Float32Array, dw: (await dw!.data()) as Float32Array };
  tf.dispose([x, w, r, dx!, dw!]);
  return out;
}

function expectClose(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(relError(actual, expected), what).toBeLessThan(1e-4);
}

function numDataIds(): number {
  return tf.backend().numDataIds();
}

let prevIsTest = false;
beforeAll(async () => {
  // IS_TEST makes the engine check every kernel for leaked data ids, ours included.
  prevIsTest = tf.env().getBool('IS_TEST');
  tf.env().set('IS_TEST', true);
  await setBackend('cpu');
  await setBackend('wasm');
});
afterAll(() => {
  tf.env().set('IS_TEST', prevIsTest);
});

describe('registerConvGradKernels', () => {
  it('replaced the kernels on cpu and wasm, and the reference kept the stock ones', () => {
    for (const name of [FILTER, INPUT]) {
      const stock = tf.getKernel(name, STOCK);
      expect(stock, name).toBeDefined();
      expect(tf.getKernel(name, 'cpu')!.kernelFunc).not.toBe(stock!.kernelFunc);
      expect(tf.getKernel(name, 'wasm')).toBeDefined();
    }
  });

  it('is idempotent and refuses unknown backends', () => {
    const before = tf.getKernel(FILTER, 'cpu')!.kernelFunc;
    registerConvGradKernels('cpu');
    expect(tf.getKernel(FILTER, 'cpu')!.kernelFunc).toBe(before);
    expect(() => registerConvGradKernels('no-such-backend')).toThrow(/not registered/);
  });
});

for (const backend of ['cpu', 'wasm']) {
  describe(`conv2d gradients on ${backend} match the stock cpu kernels`, () => {
    it.each(cases().map((c) => [JSON.stringify(c), c] as const))('%s', async (_label, c) => {
      const ours = await gradsOn(backend, c);
      const ref = await gradsOn(STOCK, c);
      expectClose(ours.dx, ref.dx, 'dx');
      expectClose(ours.dw, ref.dw, 'dW');
    });

    it('conv2dTranspose (which runs Conv2DBackpropInput) matches', async () => {
      const run = async (be: string): Promise<Float32Array> => {
        await tf.setBackend(be);
        const x = tf.tensor4d(lcgValues(2 * 4 * 4 * 5, 4), [2, 4, 4, 5]);
        const w = tf.tensor4d(lcgValues(3 * 3 * 3 * 5, 5), [3, 3, 3, 5]);
        const y = tf.conv2dTranspose(x, w, [2, 8, 8, 3], 2, 'same');
        const out = (await y.data()) as Float32Array;
        tf.dispose([x, w, y]);
        return out;
      };
      expectClose(await run(backend), await run(STOCK), 'conv2dTranspose');
    });

    it('leaks no tensors or backend data over repeated gradient calls', async () => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(lcgValues(2 * 9 * 9 * 4, 6), [2, 9, 9, 4]);
      const w = tf.tensor4d(lcgValues(3 * 3 * 4 * 6, 7), [3, 3, 4, 6]);
      const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same')));
      const dy = tf.tensor4d(lcgValues(2 * 5 * 5 * 6, 8), [2, 5, 5, 6]);
      const counts: [number, number][] = [];
      for (let i = 0; i < 4; i++) {
        const gs = g([x, w]);
        await gs[1]!.data();
        tf.dispose(gs);
        // Outside any tidy too, where nothing else would clean up after the kernel.
        const dxT = tf.conv2dTranspose(dy, w, [2, 9, 9, 4], 2, 'same');
        const dwT = tf.engine().runKernel(
          FILTER,
          { x, dy },
          {
            strides: 2,
            pad: 'same',
            dataFormat: 'NHWC',
            filterShape: [3, 3, 4, 6],
          },
        ) as tf.Tensor;
        await dwT.data();
        tf.dispose([dxT, dwT]);
        counts.push([tf.memory().numTensors, numDataIds()]);
      }
      expect(new Set(counts.map((c) => c.join())).size).toBe(1);
      tf.dispose([x, w, dy]);
    });
  });
}

describe('the SIMD gradients on wasm (dW: output widths a multiple of 8, dx: input widths)', () => {
  // dW: input widths 3 and 5 reach the one-channel edge loop, 8, 12 and 16 the 4x8 tiles; dx: 8 and
  // 16 take our kernel (7 columns: a partial last tile; stride 2: two column phases), 3, 5, 12 tfjs's.
  const direct: Case[] = [];
  for (const [strides, pad] of [
    [1, 'same'],
    [2, 'same'],
    [1, 'valid'],
    [
      2,
      [
        [0, 0],
        [0, 1],
        [2, 0],
        [0, 0],
      ],
    ],
    [[2, 1], 'same'], // not a number pad: tfjs-backend-wasm's forward conv crashes on [2, 1] with pad 1
  ] as [Case['strides'], Pad][]) {
    for (const [k, cin, cout] of [
      [3, 8, 8],
      [3, 3, 16],
      [1, 12, 8],
      [3, 5, 8],
      [3, 16, 8],
    ] as const) {
      direct.push({ x: [3, 9, 7, cin], w: [k, k, cin, cout], strides, pad });
    }
  }
  direct.push({ x: [2, 10, 9, 8], w: [5, 4, 8, 8], strides: 2, pad: 'same' });
  direct.push({ x: [2, 11, 11, 8], w: [3, 3, 8, 16], strides: 3, pad: 'valid' });

  it.each(direct.map((c) => [JSON.stringify(c), c] as const))('%s', async (_label, c) => {
    const ours = await gradsOn('wasm', c);
    const ref = await gradsOn(STOCK, c);
    expectClose(ours.dx, ref.dx, 'dx');
    expectClose(ours.dw, ref.dw, 'dW');
  });

  it('dx runs as one kernel: no dilated copy, pad or flip', async () => {
    await tf.setBackend('wasm');
    const dy = tf.tensor4d(lcgValues(2 * 4 * 4 * 8, 12), [2, 4, 4, 8]);
    const filter = tf.tensor4d(lcgValues(3 * 3 * 16 * 8, 13), [3, 3, 16, 8]);
    const attrs = { strides: 2, pad: 'same', dataFormat: 'NHWC', inputShape: [2, 8, 8, 16] };
    const profile = await tf.profile(() => tf.engine().runKernel(INPUT, { dy, filter }, attrs) as tf.Tensor);
    expect(profile.kernelNames).toEqual([INPUT]);
    tf.dispose([dy, filter]);
  });

  it('runs as one kernel: no transposes or pads around it', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor4d(lcgValues(2 * 8 * 8 * 4, 9), [2, 8, 8, 4]);
    const dy = tf.tensor4d(lcgValues(2 * 8 * 8 * 16, 10), [2, 8, 8, 16]);
    const attrs = { strides: 1, pad: 'same', dataFormat: 'NHWC', filterShape: [3, 3, 4, 16] };
    const profile = await tf.profile(() => tf.engine().runKernel(FILTER, { x, dy }, attrs) as tf.Tensor);
    expect(profile.kernelNames).toEqual([FILTER]);
    // A width that is not a multiple of 8 still takes the forward-conv rewrite.
    const dy6 = tf.tensor4d(lcgValues(2 * 8 * 8 * 6, 11), [2, 8, 8, 6]);
    const rewrite = await tf.profile(
      () => tf.engine().runKernel(FILTER, { x, dy: dy6 }, { ...attrs, filterShape: [3, 3, 4, 6] }) as tf.Tensor,
    );
    expect(rewrite.kernelNames).toContain('Transpose');
    tf.dispose([x, dy, dy6]);
  });
});

describe('cases the forward-conv kernels do not cover', () => {
  it('NCHW falls back to the stock kernels on cpu', async () => {
    const c: Case = { x: [2, 3, 7, 6], w: [3, 3, 3, 4], strides: 2, pad: 'same' };
    const ours = await gradsOn('cpu', c, 'NCHW');
    const ref = await gradsOn(STOCK, c, 'NCHW');
    expectClose(ours.dx, ref.dx, 'dx');
    expectClose(ours.dw, ref.dw, 'dW');
  });

  it('NCHW filter gradient on wasm (no stock kernel) throws a clear error', async () => {
    await tf.setBackend('wasm');
    const x = tf.zeros([1, 2, 5, 5]);
    const dy = tf.zeros([1, 3, 3, 3]);
    expect(() =>
      tf.engine().runKernel(
        FILTER,
        { x, dy },
        {
          strides: 1,
          pad: 'valid',
          dataFormat: 'NCHW',
          filterShape: [3, 3, 2, 3],
        },
      ),
    ).toThrow(/Conv2DBackpropFilter on backend 'wasm': only NHWC/);
    tf.dispose([x, dy]);
  });
});
