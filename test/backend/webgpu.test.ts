/**
 * The webgpu backend against the cpu backend, on whatever adapter this machine has (Mesa's llvmpipe
 * through Dawn's OpenGL ES backend here and in CI). Small shapes: the software adapter compiles each
 * shader on first use and runs far slower than wasm.
 *
 * Skips, saying why, where the optional packages or any adapter are missing, unless
 * ARCHAI_TS_REQUIRE_WEBGPU=1 (set by .ci/run), where that is a failure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { tf } from '../../src/tf.js';
import { setBackend, type BackendInfo } from '../../src/backend/index.js';
import { loadWebGPU, releaseWebGPU, webgpuErrors } from '../../src/backend/webgpu/device.js';
import { collapsePaddings, registerIm2colFilterGrad, splitK } from '../../src/backend/webgpu/kernels.js';
import { createModel } from '../../src/registry/index.js';
import { Generator } from '../../src/util/random.js';
import { trainStep } from '../../src/engine/step.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import type { HostTensorLike } from '../../src/nn/module.js';
import { sizeOf } from '../helpers.js';

// The reference: the cpu backend's stock gradient kernels, copied before setBackend('cpu') replaces them.
const STOCK = 'cpu-stock';
tf.copyRegisteredKernels('cpu', STOCK);
tf.registerBackend(STOCK, tf.findBackendFactory('cpu'));

const required = process.env['ARCHAI_TS_REQUIRE_WEBGPU'] === '1';

async function unavailable(): Promise<string | undefined> {
  try {
    await loadWebGPU('any');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

const skipReason = await unavailable();
if (skipReason) {
  process.stderr.write(`webgpu tests ${required ? 'FAIL' : 'skipped'}: ${skipReason}\n`);
}

if (skipReason != null && required) {
  it('webgpu is available (ARCHAI_TS_REQUIRE_WEBGPU=1)', () => {
    throw new Error(`webgpu unavailable: ${skipReason}`);
  });
}

type Shape4 = [number, number, number, number];

/** Deterministic values in [-1, 1) from our generator: the same on every backend. */
function values(n: number, seed: number): Float32Array {
  const g = new Generator(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g.uniform() * 2 - 1;
  return out;
}

function maxRel(a: Float32Array | Int32Array, b: Float32Array | Int32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(1, Math.abs(b[i]!)));
  return worst;
}

interface ConvCase {
  x: Shape4;
  w: Shape4;
  strides: number;
  pad: 'same' | 'valid' | number;
}

const CONV_CASES: ConvCase[] = [
  { x: [2, 8, 8, 3], w: [3, 3, 3, 8], strides: 1, pad: 'same' },
  { x: [2, 8, 8, 8], w: [3, 3, 8, 16], strides: 2, pad: 'same' },
  { x: [2, 9, 7, 4], w: [3, 3, 4, 5], strides: 2, pad: 'valid' },
  { x: [3, 8, 8, 8], w: [1, 1, 8, 16], strides: 2, pad: 0 },
  { x: [2, 7, 7, 5], w: [3, 3, 5, 6], strides: 1, pad: 1 },
  { x: [4, 16, 16, 16], w: [3, 3, 16, 16], strides: 1, pad: 'same' },
];

/** y = conv(x, w), and dx, dw for dy, all read back to the host. */
async function convAndGrads(c: ConvCase): Promise<Float32Array[]> {
  const x = tf.tensor4d(values(sizeOf(c.x), 1), c.x);
  const w = tf.tensor4d(values(sizeOf(c.w), 2), c.w);
  const f = (a: tf.Tensor4D, b: tf.Tensor4D) => tf.conv2d(a, b, c.strides, c.pad);
  const y = f(x, w);
  const dy = tf.tensor4d(values(y.size, 3), y.shape);
  const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, w], dy);
  const out = await Promise.all([y, dx!, dw!].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([x, w, y, dy, dx!, dw!]);
  return out;
}

const MODEL = 'shake_resnet8_2x8d';
const BATCH = 4;
const IMAGE = 16;

interface StepOutcome {
  losses: number[];
  correct: number[];
  state: Record<string, Float32Array>;
  leaked: number;
}

/** Two SGD-Nesterov steps of the tiny net from the given initial state, on the current backend. */
async function twoSteps(initial: Record<string, HostTensorLike>): Promise<StepOutcome> {
  const model = createModel(MODEL, { seed: 0, shake: { forward: 'even', backward: 'even', level: 'batch' } });
  model.loadStateDict(initial);
  const optimizer = new Optimizer(model.namedParameters(), {
    type: 'sgd',
    momentum: 0.9,
    nesterov: true,
    weightDecay: 5e-4,
  });
  const x = tf.tensor4d(values(BATCH * IMAGE * IMAGE * 3, 11), [BATCH, IMAGE, IMAGE, 3]);
  const y = tf.tensor1d([3, 1, 4, 1], 'int32');
  const rng = new Generator(5);
  const losses: number[] = [];
  const correct: number[] = [];
  // One step first: kernels compile and the optimizer's slots exist, so the count after the next
  // step is exactly what stays.
  const first = trainStep(model, optimizer, x, y, { lr: 0.1, rng });
  losses.push((await first.loss.data())[0]!);
  correct.push((await first.correct.data())[0]!);
  tf.dispose([first.loss, first.correct]);
  const before = tf.memory().numTensors;
  const second = trainStep(model, optimizer, x, y, { lr: 0.1, rng, gradClip: 5 });
  losses.push((await second.loss.data())[0]!);
  correct.push((await second.correct.data())[0]!);
  tf.dispose([second.loss, second.correct]);
  const leaked = tf.memory().numTensors - before;
  const state: Record<string, Float32Array> = {};
  const sd = model.stateDict({ layout: 'tfjs' });
  for (const [k, t] of Object.entries(sd)) state[k] = Float32Array.from(await t.data());
  tf.dispose(Object.values(sd));
  tf.dispose([x, y]);
  optimizer.dispose();
  model.dispose();
  return { losses, correct, state, leaked };
}

describe.skipIf(skipReason != null)('webgpu backend', () => {
  let info: BackendInfo;

  beforeAll(async () => {
    info = await setBackend('webgpu');
  });

  afterAll(async () => {
    // WebGPU reports invalid shaders and command buffers only asynchronously, as these.
    expect(webgpuErrors()).toEqual({ count: 0 });
    await setBackend('cpu');
    await releaseWebGPU();
  });

  it('reports the adapter it runs on and registers our conv-gradient kernels', async () => {
    expect(info.name).toBe('webgpu');
    expect(info.tfBackend).toBe('webgpu');
    expect(info.adapter).toBeDefined();
    const a = info.adapter!;
    for (const k of ['vendor', 'architecture', 'device', 'description'] as const) expect(typeof a[k]).toBe('string');
    expect(typeof a.software).toBe('boolean');
    if (/llvmpipe/.test(a.device + a.description)) expect(a.software).toBe(true);
    process.stderr.write(`webgpu adapter: ${JSON.stringify(a)}\n`);
    // Our kernels wrap the stock ones: the registered function is not webgpu's own.
    const filter = tf.getKernel(tf.Conv2DBackpropFilter, 'webgpu');
    expect(filter).toBeDefined();
    expect(filter!.kernelFunc.name).toBe('kernelFunc');
    // A second call keeps the same device and adapter.
    expect((await setBackend('webgpu')).adapter).toEqual(a);
  });

  it('AddN of more inputs than a shader can bind (broken in tfjs-backend-webgpu 4.22) matches cpu', async () => {
    for (const n of [2, 7, 8, 20, 53]) {
      const run = async () => {
        const xs = Array.from({ length: n }, (_, i) => tf.tensor2d(values(12, 100 + i), [3, 4]));
        const y = tf.addN(xs);
        const out = (await y.data()) as Float32Array;
        tf.dispose([...xs, y]);
        return out;
      };
      await setBackend('webgpu');
      const gpu = await run();
      await tf.setBackend(STOCK);
      expect(maxRel(gpu, await run()), `addN of ${n}`).toBeLessThan(1e-6);
    }
    expect(webgpuErrors().count).toBe(0);
  });

  it('pads of rank 5 and 6 (broken in tfjs-backend-webgpu 4.22) match cpu', async () => {
    expect(
      collapsePaddings(
        [2, 3, 1, 4, 1, 5],
        [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ],
      ),
    ).toEqual({
      shape: [6, 4, 5],
      paddings: [
        [0, 0],
        [0, 4],
        [0, 5],
      ],
    });
    const cases: Array<[number[], Array<[number, number]>]> = [
      [
        [2, 3, 1, 4, 1, 5],
        [
          [0, 0],
          [0, 0],
          [0, 1],
          [0, 0],
          [0, 1],
          [0, 0],
        ],
      ],
      [
        [2, 3, 4, 2, 3],
        [
          [1, 0],
          [0, 0],
          [2, 1],
          [0, 0],
          [0, 0],
        ],
      ],
      [
        [2, 2, 2, 2, 2, 2],
        [
          [1, 1],
          [0, 0],
          [1, 0],
          [0, 1],
          [1, 1],
          [0, 0],
        ],
      ],
    ];
    for (const [shape, paddings] of cases) {
      const run = async () => {
        const x = tf.tensor(values(sizeOf(shape), 7), shape);
        const y = tf.pad(x, paddings, 0.5);
        const out = (await y.data()) as Float32Array;
        tf.dispose([x, y]);
        return out;
      };
      await setBackend('webgpu');
      const gpu = await run();
      await tf.setBackend(STOCK);
      expect(maxRel(gpu, await run()), JSON.stringify(paddings)).toBe(0);
    }
    expect(webgpuErrors().count).toBe(0);
  });

  it('conv2d forward and both gradients match the cpu backend within 1e-4', async () => {
    for (const c of CONV_CASES) {
      await setBackend('webgpu');
      const gpu = await convAndGrads(c);
      await tf.setBackend(STOCK);
      const ref = await convAndGrads(c);
      for (let i = 0; i < 3; i++) {
        const d = maxRel(gpu[i]!, ref[i]!);
        expect(d, `${['y', 'dx', 'dw'][i]} for ${JSON.stringify(c)}`).toBeLessThan(1e-4);
      }
    }
  });

  it(`a training step of ${MODEL} matches cpu within 1e-4 (loss, parameters, BN statistics), numTensors flat`, async () => {
    await setBackend('cpu');
    const init = createModel(MODEL, { seed: 0, shake: { forward: 'even', backward: 'even', level: 'batch' } });
    const sd = init.stateDict();
    const initial: Record<string, HostTensorLike> = {};
    for (const [k, t] of Object.entries(sd)) {
      initial[k] = { dtype: 'float32', shape: t.shape, data: Float32Array.from(await t.data()) };
    }
    tf.dispose(Object.values(sd));
    init.dispose();

    const cpu = await twoSteps(initial);
    await setBackend('webgpu');
    const gpu = await twoSteps(initial);

    expect(cpu.leaked).toBe(0);
    expect(gpu.leaked).toBe(0);
    expect(gpu.correct).toEqual(cpu.correct);
    for (let i = 0; i < 2; i++) {
      expect(Math.abs(gpu.losses[i]! - cpu.losses[i]!) / Math.max(1, Math.abs(cpu.losses[i]!))).toBeLessThan(1e-4);
    }
    expect(Object.keys(gpu.state).sort()).toEqual(Object.keys(cpu.state).sort());
    let worst = 0;
    let where = '';
    for (const k of Object.keys(cpu.state)) {
      const d = maxRel(gpu.state[k]!, cpu.state[k]!);
      if (d > worst) [worst, where] = [d, k];
    }
    expect(worst, `worst at ${where}`).toBeLessThan(1e-4);
    // The first step really moved the parameters (the comparison would be vacuous otherwise).
    expect(Math.abs(cpu.losses[1]! - cpu.losses[0]!)).toBeGreaterThan(1e-3);
  });

  it('WideResNet and PyramidNet (odd widths, zero-padded shortcuts, ShakeDrop) give the eval logits of cpu within 1e-4', async () => {
    for (const name of ['wide_resnet10_1', 'pyramidnet8_a9', 'pyramidnet11_a9_bottleneck']) {
      await setBackend('cpu');
      const ref = createModel(name, { seed: 1 });
      const x = tf.randomNormal([2, IMAGE, IMAGE, 3], 0, 1, 'float32', 3);
      const xs = { dtype: 'float32' as const, shape: x.shape, data: Float32Array.from(await x.data()) };
      const want = await ref.forward(x, { training: false }).data();
      const sd = ref.stateDict();
      const weights: Record<string, HostTensorLike> = {};
      for (const [k, t] of Object.entries(sd)) weights[k] = { dtype: 'float32', shape: t.shape, data: Float32Array.from(await t.data()) };
      tf.dispose([x, ...Object.values(sd)]);
      ref.dispose();
      await setBackend('webgpu');
      const model = createModel(name, { seed: 2 });
      model.loadStateDict(weights);
      const xg = tf.tensor(xs.data, xs.shape);
      const got = await model.forward(xg, { training: false }).data();
      xg.dispose();
      model.dispose();
      expect(maxRel(Float32Array.from(got), Float32Array.from(want)), name).toBeLessThan(1e-4);
    }
  });

  // Last: it replaces webgpu's filter gradient for the rest of this process.
  it('the opt-in im2col + split-K filter gradient matches cpu, split or not', async () => {
    expect(splitK(131072, 9)).toBe(128); // 2x32d stage 1 at batch 128: <= 227 chunks, a divisor of K
    expect(splitK(8192, 144)).toBe(8); // stage 3: <= 14 chunks of >= 512
    expect(splitK(500, 1)).toBe(1);
    await setBackend('webgpu');
    registerIm2colFilterGrad();
    const cases: ConvCase[] = [
      ...CONV_CASES,
      { x: [8, 32, 32, 4], w: [3, 3, 4, 8], strides: 1, pad: 'same' }, // K = 8192: split 16 ways
      { x: [8, 32, 32, 4], w: [3, 3, 4, 8], strides: 2, pad: 'same' },
    ];
    for (const c of cases) {
      await setBackend('webgpu');
      const gpu = await convAndGrads(c);
      await tf.setBackend(STOCK);
      const ref = await convAndGrads(c);
      expect(maxRel(gpu[2]!, ref[2]!), `dw for ${JSON.stringify(c)}`).toBeLessThan(1e-4);
    }
    expect(webgpuErrors().count).toBe(0);
  });
});
