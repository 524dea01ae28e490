import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import type { Model } from '../../src/models/model.js';
import { Conv2d } from '../../src/nn/conv2d.js';
import { Linear } from '../../src/nn/linear.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from '../../src/nn/module.js';
import { Generator } from '../../src/util/random.js';
import { createModel } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { autoMicroBatch, microBatchSizes, trainingBytesPerImage, WASM_ACTIVATION_BUDGET_BYTES } from '../../src/engine/micro_batch.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import { trainStep } from '../../src/engine/step.js';
import { maxRelDiff, randn } from '../helpers.js';

beforeAll(async () => {
  await setBackend('cpu');
});

/** conv3x3 -> ReLU -> global mean -> linear: a net without batch statistics. */
class TinyNet extends Module implements Model {
  readonly numClasses = 5;
  readonly options = {};
  readonly conv: Conv2d;
  readonly fc: Linear;
  constructor(seed: number) {
    super();
    const rng = new Generator(seed);
    this.conv = this.registerModule('conv', new Conv2d({ inChannels: 3, outChannels: 6, kernelSize: 3, padding: 1, stride: 2, rng }));
    this.fc = this.registerModule('fc', new Linear({ inFeatures: 6, outFeatures: 5, rng }));
  }
  forward(x: tf.Tensor, _options?: ForwardOptions): tf.Tensor2D {
    return tf.tidy(() => this.fc.forward(tf.mean(tf.relu(this.conv.forward(x)), [1, 2])) as tf.Tensor2D);
  }
  profile(input: ExampleShape = [8, 8, 3]): ShapeProfile {
    return { shape: [1, 1, 5], macs: this.conv.profile(input).macs };
  }
  stages() {
    return [];
  }
}

const sgd = { type: 'sgd', lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 } as const;

async function stepOnce(model: Model, opt: Optimizer, x: tf.Tensor4D, y: tf.Tensor1D, microBatch: number, gradClip = 0) {
  const r = trainStep(model, opt, x, y, { lr: 0.1, rng: new Generator(5), microBatch, gradClip });
  const out = { loss: (await r.loss.data())[0]!, correct: (await r.correct.data())[0]! };
  tf.dispose([r.loss, r.correct]);
  return out;
}

describe('microBatchSizes', () => {
  it('splits into near-equal contiguous parts of at most m', () => {
    expect(microBatchSizes(8, 8)).toEqual([8]);
    expect(microBatchSizes(8, 3)).toEqual([3, 3, 2]);
    expect(microBatchSizes(128, 41)).toEqual([32, 32, 32, 32]);
    expect(microBatchSizes(512, 41).reduce((a, b) => a + b)).toBe(512);
    expect(Math.max(...microBatchSizes(512, 41))).toBeLessThanOrEqual(41);
    expect(() => microBatchSizes(8, 0)).toThrow(RangeError);
  });
});

describe('autoMicroBatch', () => {
  it('keeps the batch off wasm and fits the wasm heap budget on wasm', () => {
    const model = createModel('shake_resnet26_2x32d', { numClasses: 10, seed: 0 });
    try {
      expect(autoMicroBatch(model, [512, 32, 32, 3], 'cpu')).toBe(512);
      const m = autoMicroBatch(model, [512, 32, 32, 3], 'wasm');
      // batch 32 trains on wasm, 64 aborts: auto must land in between.
      expect(m).toBeGreaterThanOrEqual(32);
      expect(m).toBeLessThan(64);
      expect(m * trainingBytesPerImage(model, [32, 32, 3])).toBeLessThanOrEqual(WASM_ACTIVATION_BUDGET_BYTES);
      expect(autoMicroBatch(model, [16, 32, 32, 3], 'wasm')).toBe(16);
    } finally {
      model.dispose();
    }
  });
});

describe('trainStep with micro-batches', () => {
  it('gives the full-batch update on a net without batch statistics (1e-5), with clipping too', async () => {
    for (const clip of [0, 0.05]) {
      const x = randn([8, 8, 8, 3], 1) as tf.Tensor4D;
      const y = tf.tensor1d([0, 1, 2, 3, 4, 0, 1, 2], 'int32');
      const a = new TinyNet(3);
      const b = new TinyNet(3);
      // (Optimizer's constructor leaves one zerosLike per slot behind: build them outside the count.)
      const [oa, ob] = [new Optimizer(a.namedParameters(), sgd), new Optimizer(b.namedParameters(), sgd)];
      const ra = await stepOnce(a, oa, x, y, 8, clip);
      const before = tf.memory().numTensors;
      const rb = await stepOnce(b, ob, x, y, 3, clip); // 3 + 3 + 2
      expect(tf.memory().numTensors).toBe(before);
      oa.dispose();
      ob.dispose();
      expect(rb.loss).toBeCloseTo(ra.loss, 5);
      expect(rb.correct).toBe(ra.correct);
      const pa = a.namedParameters();
      for (const [k, v] of b.namedParameters()) expect(await maxRelDiff(v, pa.get(k)!)).toBeLessThan(1e-5);
      a.dispose();
      b.dispose();
      tf.dispose([x, y]);
    }
  });

  it('with BatchNorm: ghost statistics per micro-batch, one running-statistics update with their mean', async () => {
    const x = randn([8, 16, 16, 3], 2) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32');
    const build = () => createModel('shake_resnet8_2x4d', { numClasses: 4, seed: 1 });
    const model = build();
    // Reference by hand: each half in training mode on its own fresh copy, with the generators a
    // split step forks in order from the step's.
    const rng = new Generator(9);
    const forks = [rng.fork(), rng.fork()];
    const halves = [0, 4].map((s, i) => {
      const ref = build();
      const mods = ref.namedModules();
      const out = tf.tidy(() => {
        const xi = tf.slice(x, [s, 0, 0, 0], [4, -1, -1, -1]);
        const logits = ref.forward(xi, { training: true, rng: forks[i]! });
        const loss = tf.losses.softmaxCrossEntropy(tf.oneHot(tf.slice(y, [s], [4]), 4), logits);
        // The first branch BatchNorm's input: no shake draw before it.
        const z = mods.get('layer1.0.branch1.1')!.forward(tf.relu(mods.get('c_in')!.forward(xi)));
        const { mean, variance } = tf.moments(z, [0, 1, 2]);
        const count = z.size / mean.size;
        return [loss, mean, tf.mul(variance, count / (count - 1))];
      });
      ref.dispose();
      return out;
    });
    const bnPath = 'layer1.0.branch1.2';
    const buffers = model.namedBuffers();
    const opt = new Optimizer(model.namedParameters(), sgd);
    const before = tf.memory().numTensors;
    const r = trainStep(model, opt, x, y, { lr: 0.1, rng: new Generator(9), microBatch: 4 });
    const loss = (await r.loss.data())[0]!;
    tf.dispose([r.loss, r.correct]);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    const [[l0, m0, v0], [l1, m1, v1]] = halves as [tf.Tensor[], tf.Tensor[]];
    expect(loss).toBeCloseTo(((await l0!.data())[0]! + (await l1!.data())[0]!) / 2, 5);
    const expectMean = tf.mul(tf.add(m0!, m1!), 0.1 * 0.5);
    const expectVar = tf.add(0.9, tf.mul(tf.add(v0!, v1!), 0.1 * 0.5));
    expect(await maxRelDiff(buffers.get(`${bnPath}.running_mean`)!, expectMean)).toBeLessThan(1e-5);
    expect(await maxRelDiff(buffers.get(`${bnPath}.running_var`)!, expectVar)).toBeLessThan(1e-5);
    // Once a step, as one batch would count it.
    expect((await buffers.get(`${bnPath}.num_batches_tracked`)!.data())[0]).toBe(1);
    tf.dispose([...halves.flat(), expectMean, expectVar]);
    model.dispose();
    tf.dispose([x, y]);
  });
});
