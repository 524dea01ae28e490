import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import { trainStep } from '../../src/engine/step.js';
import type { Model } from '../../src/models/model.js';
import { wideResNetFamily } from '../../src/models/wideresnet/family.js';
import { WideResNet } from '../../src/models/wideresnet/wide_resnet.js';
import { Dropout } from '../../src/nn/dropout.js';
import { withoutInitialValues } from '../../src/nn/init.js';
import { createModel, defaultRegistry, listModels, ModelOptionsError, modelInfo } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { Generator } from '../../src/util/random.js';
import { expectReplicasMatchSingleThread } from './replica_check.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const countParams = (name: string): number => {
  const model = withoutInitialValues(() => createModel(name));
  try {
    return model.numParameters();
  } finally {
    model.dispose();
  }
};

describe('the wide_resnet family', () => {
  it("has archai's parameter counts (10 classes)", () => {
    expect(countParams('wresnet40_2')).toBe(2_246_474);
    expect(countParams('wresnet28_10')).toBe(36_489_290);
  });

  it("registers wide_resnet40_2 and wide_resnet28_10 with archai's names as aliases", () => {
    expect(listModels('*', { family: 'wide_resnet' })).toEqual(['wide_resnet28_10', 'wide_resnet40_2']);
    expect(defaultRegistry.resolve('wresnet40_2').name).toBe('wide_resnet40_2');
    expect(defaultRegistry.resolve('wresnet28_10').name).toBe('wide_resnet28_10');
    expect(defaultRegistry.aliasesOf('wide_resnet28_10')).toEqual(['wresnet28_10']);
    const m = createModel('wide_resnet16_4', { numClasses: 3 });
    expect(m).toBeInstanceOf(WideResNet);
    expect([(m as WideResNet).depth, (m as WideResNet).k, m.numClasses]).toEqual([16, 4, 3]);
    m.dispose();
  });

  it('names the depth rule for a depth that is not 6n+4', () => {
    expect(wideResNetFamily.parse('wide_resnet15_2')).toMatch(/depth must be 6n\+4/);
    expect(wideResNetFamily.parse('wide_resnet16_0')).toMatch(/widen factor must be an integer >= 1/);
    expect(wideResNetFamily.parse('wresnet15_2')).toBeNull();
    expect(() => createModel('wide_resnet15_2')).toThrow(/depth must be 6n\+4/);
  });

  it('takes dropRate in [0, 1), default 0, and names a cross-family option with its family', () => {
    expect(modelInfo('wresnet40_2').options).toEqual({ dropRate: 0 });
    expect(() => createModel('wide_resnet10_1', { dropRate: 1 })).toThrow(ModelOptionsError);
    expect(() => createModel('wide_resnet10_1', { dropRate: -0.1 })).toThrow(/dropRate/);
    expect(() => createModel('wide_resnet16_2', { shake: {} })).toThrow(ModelOptionsError);
    expect(() => createModel('wide_resnet16_2', { shake: {} })).toThrow(
      /'shake' is not an option of wide_resnet16_2 \(family wide_resnet\)/,
    );
    expect(() => createModel('shake_resnet26_2x32d', { dropRate: 0.3 })).toThrow(/'dropRate' is an option of wide_resnet/);
  });

  it('describes its stages: widths 16k, 32k, 64k at strides 1, 2, 2', () => {
    const info = modelInfo('wide_resnet28_10');
    expect(info.stages.map((s) => [s.name, s.blocks, s.outChannels, s.outputShape.join('x')])).toEqual([
      ['conv1', 1, 16, '32x32x16'],
      ['layer1', 4, 160, '32x32x160'],
      ['layer2', 4, 320, '16x16x320'],
      ['layer3', 4, 640, '8x8x640'],
      ['bn1+linear', 1, 10, '1x1x10'],
    ]);
    expect(info.stages.reduce((n, s) => n + s.params, 0)).toBe(info.params);
    expect(info.macs).toBe(info.stages.reduce((n, s) => n + s.macs, 0));
    expect(Math.round(info.macs / 1e6)).toBe(5951);
  });
});

describe('Dropout', () => {
  it('zeroes a fraction p in training and scales the rest by 1/(1-p); eval is the identity', async () => {
    const d = new Dropout(0.3);
    const x = tf.ones([8, 16, 16, 4]);
    const y = await d.forward(x, { training: true, rng: new Generator(1) }).data();
    const zeros = y.filter((v) => v === 0).length / y.length;
    expect(zeros).toBeGreaterThan(0.28);
    expect(zeros).toBeLessThan(0.32);
    expect(y.every((v) => v === 0 || Math.abs(v - 1 / 0.7) < 1e-6)).toBe(true);
    expect(d.forward(x, { training: false })).toBe(x);
  });

  it('draws nothing at p = 0 or in eval', () => {
    const rng = new Generator(2);
    const before = rng.getState();
    const x = tf.ones([2, 4, 4, 3]);
    new Dropout(0).forward(x, { training: true, rng });
    new Dropout(0.5).forward(x, { training: false, rng });
    expect(rng.getState()).toEqual(before);
  });

  it('gives each share of a batch (options.rows) the mask the whole batch would get', async () => {
    const d = new Dropout(0.5);
    const x = tf.randomNormal([4, 3, 3, 2], 0, 1, 'float32', 3);
    const whole = await d.forward(x, { training: true, rng: new Generator(4) }).data();
    const halves = [];
    for (const offset of [0, 2]) {
      const rng = new Generator(4);
      const part = tf.slice(x, [offset, 0, 0, 0], [2, -1, -1, -1]);
      halves.push(...(await d.forward(part, { training: true, rng, rows: { offset, total: 4 } }).data()));
      expect(rng.getState()).toEqual(rngAfterWhole(d, x));
    }
    expect(halves).toEqual(Array.from(whole));
  });

  it('gates the gradient with the same mask', async () => {
    const d = new Dropout(0.4);
    const x = tf.ones([2, 4, 4, 3]);
    const y = await d.forward(x, { training: true, rng: new Generator(6) }).data();
    const g = await tf
      .grad((t: tf.Tensor) => tf.sum(d.forward(t, { training: true, rng: new Generator(6) })))(x)
      .data();
    expect(Array.from(g)).toEqual(Array.from(y));
  });
});

/** The generator state after a whole-batch pass of the same dropout from Generator(4). */
function rngAfterWhole(d: Dropout, x: tf.Tensor): number[] {
  const rng = new Generator(4);
  tf.tidy(() => d.forward(x, { training: true, rng }));
  return rng.getState();
}

describe.each(['cpu', 'wasm'] as const)('a WideResNet training step on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  it('draws dropout masks per image: a share of the batch consumes what the whole batch does', () => {
    const model = createModel('wide_resnet10_1', { dropRate: 0.3 });
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 7);
    const whole = new Generator(8);
    tf.tidy(() => model.forward(x, { training: true, rng: whole }));
    const share = new Generator(8);
    tf.tidy(() => model.forward(tf.slice(x, [2, 0, 0, 0], [2, -1, -1, -1]), { training: true, rng: share, rows: { offset: 2, total: 4 } }));
    expect(share.getState()).toEqual(whole.getState());
    model.dispose();
  });

  it('leaks no tensors: numTensors is flat across trainStep calls', async () => {
    const model: Model = createModel('wide_resnet10_1', { dropRate: 0.3 });
    const opt = new Optimizer(model.namedParameters(), { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    const rng = new Generator(10);
    const step = async () => {
      const r = trainStep(model, opt, x, y, { lr: 0.1, rng });
      expect(Number.isFinite((await r.loss.data())[0])).toBe(true);
      tf.dispose([r.loss, r.correct]);
    };
    await step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await step();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });
});

describe('data-parallel replicas', () => {
  it('take the single-thread step: the same dropout masks for the same images', async () => {
    await expectReplicasMatchSingleThread(
      'wide_resnet10_1',
      { numClasses: 4, seed: 3, dropRate: 0.3 },
      { steps: 2, lr: 0.1, weightDecay: 5e-4 },
    );
  }, 120_000);
});
