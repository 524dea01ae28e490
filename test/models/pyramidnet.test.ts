import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { Optimizer } from '../../src/engine/optimizer.js';
import { trainStep } from '../../src/engine/step.js';
import { pyramidNetFamily } from '../../src/models/pyramidnet/family.js';
import { pyramidPlan, roundHalfEven } from '../../src/models/pyramidnet/plan.js';
import { PyramidNet } from '../../src/models/pyramidnet/pyramid_net.js';
import { shakeDrop } from '../../src/models/pyramidnet/shake_drop.js';
import { pyramidShortcut } from '../../src/models/pyramidnet/shortcut.js';
import { withoutInitialValues } from '../../src/nn/init.js';
import { createModel, defaultRegistry, listModels, ModelOptionsError, modelInfo } from '../../src/registry/index.js';
import { tf } from '../../src/tf.js';
import { Generator } from '../../src/util/random.js';
import { expectReplicasMatchSingleThread } from './replica_check.js';

const countParams = (name: string): number => {
  const model = withoutInitialValues(() => createModel(name));
  try {
    return model.numParameters();
  } finally {
    model.dispose();
  }
};

describe('the pyramidnet family', () => {
  it("has archai's parameter counts (10 classes)", async () => {
    await setBackend('cpu');
    expect(countParams('pyramid')).toBe(26_210_842);
    expect(countParams('pyramidnet272_a200_bottleneck')).toBe(26_210_842);
    expect(countParams('pyramidnet110_a270')).toBe(28_485_477);
  });

  it("registers PyramidNet-272 (archai's 'pyramid') and PyramidNet-110 alpha 270", () => {
    expect(listModels('*', { family: 'pyramidnet' })).toEqual(['pyramidnet110_a270', 'pyramidnet272_a200_bottleneck']);
    expect(defaultRegistry.resolve('pyramid').name).toBe('pyramidnet272_a200_bottleneck');
    expect(defaultRegistry.resolve('pyramidnet20_a48').arch).toEqual({ depth: 20, alpha: 48, bottleneck: false });
    expect(pyramidNetFamily.format({ depth: 11, alpha: 9, bottleneck: true })).toBe('pyramidnet11_a9_bottleneck');
  });

  it('names the depth rule of the block kind', () => {
    expect(pyramidNetFamily.parse('pyramidnet12_a48_bottleneck')).toMatch(/depth must be 9n\+2/);
    expect(pyramidNetFamily.parse('pyramidnet12_a48')).toMatch(/depth must be 6n\+2/);
    expect(pyramidNetFamily.parse('pyramidnet20_48')).toBeNull();
    expect(() => createModel('pyramidnet12_a48_bottleneck')).toThrow(/depth must be 9n\+2/);
  });

  it('checks its options and fills in their defaults', () => {
    expect(modelInfo('pyramidnet20_a48').options).toEqual({ shakeDrop: { gate: 'random', p_final: 0.5 } });
    expect(() => createModel('pyramidnet20_a48', { shakeDrop: { p_final: 1.5 } })).toThrow(ModelOptionsError);
    expect(() => createModel('pyramidnet20_a48', { shakeDrop: { gate: 'open' } })).toThrow(/shakeDrop\.gate/);
    expect(() => createModel('pyramidnet20_a48', { dropRate: 0.3 })).toThrow(
      /'dropRate' is not an option of pyramidnet20_a48 \(family pyramidnet\)/,
    );
  });

  it('describes its stages', () => {
    // archai's last blocks of the three stages end at 332, 596 and 864 channels.
    const info = modelInfo('pyramid');
    expect(info.stages.map((s) => [s.name, s.blocks, s.outChannels, s.outputShape.join('x')])).toEqual([
      ['conv1+bn1', 1, 16, '32x32x16'],
      ['layer1', 30, 332, '32x32x332'],
      ['layer2', 30, 596, '16x16x596'],
      ['layer3', 30, 864, '8x8x864'],
      ['bn_final+fc', 1, 10, '1x1x10'],
    ]);
    expect(info.stages.reduce((n, s) => n + s.params, 0)).toBe(info.params);
    expect(info.macs).toBe(info.stages.reduce((n, s) => n + s.macs, 0));
  });
});

describe("archai's widths and drop probabilities", () => {
  it('rounds as Python does, half to even', () => {
    expect([0.5, 1.5, 2.5, 17.5, 18.5, 18.49, -2.5, 3].map(roundHalfEven)).toEqual([0, 2, 2, 18, 18, 18, -2, 3]);
  });

  it("matches archai's PyramidNet module to the channel and to the float", () => {
    // From archai's PyramidNet('cifar10', depth, alpha, 10, bottleneck): bn2.num_features and shake_drop.p_drop of each block.
    const widths = (d: number, a: number, b: boolean) =>
      pyramidPlan(d, a, b, 0.5)
        .flat()
        .map((p) => p.planes);
    expect(widths(20, 48, false)).toEqual([21, 27, 32, 37, 43, 48, 53, 59, 64]);
    expect(widths(14, 3, false)).toEqual([16, 17, 18, 18, 18, 19]);
    expect(widths(20, 9, true)).toEqual([18, 19, 20, 22, 24, 25]);
    const plan = pyramidPlan(20, 48, false, 0.5).flat();
    expect(plan.slice(0, 3).map((p) => p.pDrop)).toEqual([0.05555555555555558, 0.11111111111111116, 0.16666666666666663]);
    expect(plan[plan.length - 1]!.pDrop).toBe(0.5);
    expect(plan.map((p) => p.stride)).toEqual([1, 1, 1, 2, 1, 1, 2, 1, 1]);
    expect(
      pyramidPlan(20, 9, true, 0.5)
        .flat()
        .map((p) => p.inChannels),
    ).toEqual([16, 72, 76, 80, 88, 96]);
  });
});

describe.each(['cpu', 'wasm'] as const)('ShakeDrop on %s', (backend) => {
  const call = (p: number, seed: number, training = true) => ({ training, pDrop: p, gate: 'random' as const, rng: new Generator(seed) });

  it('closes the gate for a fraction p of the batches; closed, scales each image by alpha in [-1, 1)', async () => {
    await setBackend(backend);
    const x = tf.ones([4, 1, 1, 2]);
    const rng = new Generator(1);
    let closed = 0;
    const alphas: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const y = shakeDrop(x, { training: true, pDrop: 0.3, gate: 'random', rng });
      if (y !== x) {
        closed++;
        const v = await y.data();
        for (let j = 0; j < 4; j++) {
          expect(v[2 * j]).toBe(v[2 * j + 1]);
          alphas.push(v[2 * j]!);
        }
        y.dispose();
      }
    }
    expect(closed / 2000).toBeGreaterThan(0.27);
    expect(closed / 2000).toBeLessThan(0.33);
    expect(Math.min(...alphas)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...alphas)).toBeLessThan(1);
    expect(Math.abs(alphas.reduce((a, b) => a + b, 0) / alphas.length)).toBeLessThan(0.05);
  });

  it('scales the gradient of a closed gate by beta in [0, 1) per image, drawn apart from alpha', async () => {
    const x = tf.ones([64, 1, 1, 1]);
    const y = await shakeDrop(x, call(1, 2)).data();
    const g = await tf
      .grad((t: tf.Tensor) => tf.sum(shakeDrop(t, call(1, 2))))(x)
      .data();
    expect(Math.min(...g)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...g)).toBeLessThan(1);
    expect(Array.from(g)).not.toEqual(Array.from(y));
  });

  it('multiplies by 1 - p in eval and draws nothing there, nor with the keep gate', async () => {
    const x = tf.tensor([1, -2, 3, 4], [1, 2, 2, 1]);
    const rng = new Generator(3);
    const before = rng.getState();
    expect(Array.from(await shakeDrop(x, { ...call(0.3, 0, false), rng }).data())).toEqual([0.7, -1.4, 2.1, 2.8].map(Math.fround));
    const kept = shakeDrop(x, { training: true, pDrop: 0.9, gate: 'keep', rng });
    expect(kept).toBe(x);
    expect(
      Array.from(
        await tf
          .grad((t: tf.Tensor) => tf.sum(shakeDrop(t, { training: true, pDrop: 0.9, gate: 'keep', rng })))(x)
          .data(),
      ),
    ).toEqual([1, 1, 1, 1]);
    expect(rng.getState()).toEqual(before);
  });

  it("gives each share of a batch (options.rows) the whole batch's gate, alphas and betas", async () => {
    const x = tf.randomNormal([6, 2, 2, 3], 0, 1, 'float32', 4);
    for (const seed of [5, 6, 7, 8, 9, 10]) {
      const whole = await shakeDrop(x, call(0.5, seed)).data();
      const wholeGrad = await tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(shakeDrop(t, call(0.5, seed)), t)))(x)
        .data();
      const parts: number[] = [];
      const partGrads: number[] = [];
      for (const offset of [0, 2, 4]) {
        const xi = tf.slice(x, [offset, 0, 0, 0], [2, -1, -1, -1]);
        const rows = { offset, total: 6 };
        parts.push(...(await shakeDrop(xi, { ...call(0.5, seed), rows }).data()));
        const f = (t: tf.Tensor) => tf.sum(tf.mul(shakeDrop(t, { ...call(0.5, seed), rows }), t));
        partGrads.push(...(await tf.grad(f)(xi).data()));
      }
      expect(parts).toEqual(Array.from(whole));
      expect(partGrads).toEqual(Array.from(wholeGrad));
    }
  });

  it('pools the shortcut as AvgPool2d(2, 2, ceil_mode=True), odd sizes included, and pads zero channels', async () => {
    const x = tf.tensor(
      Array.from({ length: 25 }, (_, i) => i),
      [1, 5, 5, 1],
    );
    const s = pyramidShortcut(x as tf.Tensor4D, 2, 3);
    expect(s.shape).toEqual([1, 3, 3, 3]);
    const v = await s.data();
    const channel0 = Array.from({ length: 9 }, (_, i) => v[3 * i]);
    // Windows [0,1]x[0,1], ... ; the last row and column hold one pixel of the input each.
    expect(channel0).toEqual([3, 5, 6.5, 13, 15, 16.5, 20.5, 22.5, 24]);
    expect(
      Array.from({ length: 9 }, (_, i) => [v[3 * i + 1], v[3 * i + 2]])
        .flat()
        .every((c) => c === 0),
    ).toBe(true);
  });
});

describe.each(['cpu', 'wasm'] as const)('a PyramidNet training step on %s', (backend) => {
  beforeAll(async () => {
    await setBackend(backend);
  });

  it('leaks no tensors with closing gates: numTensors is flat across trainStep calls', async () => {
    const model = createModel('pyramidnet8_a10', { shakeDrop: { p_final: 1 } });
    expect(model).toBeInstanceOf(PyramidNet);
    const opt = new Optimizer(model.namedParameters(), { type: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 5e-5 });
    const x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 11) as tf.Tensor4D;
    const y = tf.tensor1d([0, 1, 2, 3], 'int32');
    const rng = new Generator(12);
    const step = async () => {
      const r = trainStep(model, opt, x, y, { lr: 0.05, rng });
      expect(Number.isFinite((await r.loss.data())[0])).toBe(true);
      tf.dispose([r.loss, r.correct]);
    };
    await step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) await step();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('repeats with the same generator and changes with another', async () => {
    const model = createModel('pyramidnet8_a10', { shakeDrop: { p_final: 1 } });
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 13);
    const run = async (seed: number) => Array.from(await model.forward(x, { training: true, rng: new Generator(seed) }).data());
    expect(await run(1)).toEqual(await run(1));
    expect(await run(1)).not.toEqual(await run(2));
    model.dispose();
  });
});

describe('data-parallel replicas', () => {
  it("take the single-thread step: one gate for the batch, each image's alpha and beta", async () => {
    await expectReplicasMatchSingleThread(
      'pyramidnet8_a10',
      { numClasses: 4, seed: 3, shakeDrop: { p_final: 1 } },
      { steps: 3, lr: 0.05, weightDecay: 5e-5 },
    );
  }, 120_000);
});
