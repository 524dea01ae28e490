import { beforeAll, describe, expect, it } from 'vitest';
import { setBackend } from '../../src/backend/index.js';
import { BatchNorm2d } from '../../src/nn/batchnorm2d.js';
import { Conv2d } from '../../src/nn/conv2d.js';
import { Linear } from '../../src/nn/linear.js';
import { StateDictError } from '../../src/nn/module.js';
import { Generator } from '../../src/util/random.js';
import { ReLU } from '../../src/nn/relu.js';
import { Sequential } from '../../src/nn/sequential.js';
import { tf } from '../../src/tf.js';
import { expectClose, randn } from '../helpers.js';

beforeAll(async () => {
  await setBackend('cpu');
});

const tiny = () =>
  new Sequential([
    new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2, rng: new Generator(1) }),
    new BatchNorm2d({ numFeatures: 6 }),
    new ReLU(),
  ]);

describe('Module state dicts', () => {
  it('names entries as PyTorch does, Sequential indices included, in PyTorch order', () => {
    const m = tiny();
    const sd = m.stateDict();
    expect(Object.keys(sd)).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
    ]);
    expect(sd['0.weight'].shape).toEqual([6, 2, 3, 3]);
    expect(m.stateDict({ layout: 'tfjs' })['0.weight'].shape).toEqual([3, 3, 2, 6]);
    expect([...m.namedParameters().keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias']);
    expect([...m.namedBuffers().keys()]).toEqual(['1.running_mean', '1.running_var', '1.num_batches_tracked']);
  });

  it('round-trips through the torch layout and transposes conv and linear weights', async () => {
    const a = tiny();
    const b = new Sequential([
      new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2, rng: new Generator(2) }),
      new BatchNorm2d({ numFeatures: 6 }),
      new ReLU(),
    ]);
    b.loadStateDict(a.stateDict());
    const x = randn([2, 5, 5, 4], 3);
    await expectClose(b.forward(x), a.forward(x), 1e-6);

    const lin = new Linear({ inFeatures: 3, outFeatures: 2 });
    lin.loadStateDict({
      weight: tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      bias: tf.tensor1d([0.5, -0.5]),
    });
    const y = lin.forward(tf.tensor2d([[1, 0, -1]]));
    expect(Array.from(await y.data())).toEqual([1 - 3 + 0.5, 4 - 6 - 0.5]);
  });

  it('names missing and unexpected keys, and checks shapes before assigning anything', async () => {
    const m = tiny();
    const sd = m.stateDict();
    const { ['1.running_var']: _dropped, ...missing } = sd;
    expect(() => m.loadStateDict(missing)).toThrow(/missing keys: 1\.running_var/);
    expect(() => m.loadStateDict({ ...sd, 'extra.weight': tf.zeros([1]) })).toThrow(/unexpected keys: extra\.weight/);
    expect(m.loadStateDict(missing, { strict: false }).missingKeys).toEqual(['1.running_var']);

    const before = await m.namedParameters().get('1.bias')!.data();
    const bad = { ...sd, '1.bias': tf.ones([6]), '0.weight': tf.zeros([6, 4, 3, 3]) };
    expect(() => m.loadStateDict(bad)).toThrow(StateDictError);
    expect(() => m.loadStateDict(bad)).toThrow(/'0\.weight' has shape \[6,4,3,3\] but the model expects \[6,2,3,3\]/);
    expect(await m.namedParameters().get('1.bias')!.data()).toEqual(before);
  });

  it("loads a training checkpoint's model entries and a DataParallel state dict; refuses another model's even without strict", async () => {
    const source = tiny();
    const sd = source.stateDict();
    const prefixed = (p: string) => Object.fromEntries(Object.entries(sd).map(([k, v]) => [`${p}${k}`, v]));
    for (const record of [
      { ...prefixed('model.'), 'optim.0.weight.momentum_buffer': tf.zeros([6, 2, 3, 3]) },
      prefixed('module.'),
      prefixed('model.module.'),
    ]) {
      const m = new Sequential([
        new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2, rng: new Generator(9) }),
        new BatchNorm2d({ numFeatures: 6 }),
        new ReLU(),
      ]);
      expect(m.loadStateDict(record)).toEqual({ missingKeys: [], unexpectedKeys: [], skippedKeys: [] });
      expect(await m.namedParameters().get('0.weight')!.data()).toEqual(await source.namedParameters().get('0.weight')!.data());
    }
    const other = { 'fc.weight': tf.zeros([2, 2]), 'fc.bias': tf.zeros([2]) };
    expect(() => source.loadStateDict(other, { strict: false })).toThrow(
      /none of the 2 entries of the state dict is a name of this model \(e\.g\. 'fc\.weight'/,
    );
    const partial = source.loadStateDict({ '1.bias': sd['1.bias']!, 'extra.weight': tf.zeros([1]) }, { strict: false });
    expect(partial.unexpectedKeys).toEqual(['extra.weight']);
    expect(partial.missingKeys).toContain('0.weight');
  });
});

describe('Conv2d', () => {
  it('pads symmetrically as PyTorch does, also with stride 2', async () => {
    const conv = new Conv2d({ inChannels: 1, outChannels: 1, kernelSize: 3, padding: 1, stride: 2, bias: false });
    conv.weight.assign(tf.ones([3, 3, 1, 1]));
    const x = tf.tensor4d(
      Array.from({ length: 16 }, (_, i) => i + 1),
      [1, 4, 4, 1],
    );
    // PyTorch: F.conv2d(arange(1,17).view(1,1,4,4), ones(1,1,3,3), stride=2, padding=1)
    expect(Array.from(await conv.forward(x).data())).toEqual([14, 30, 57, 99]);
  });

  it('computes a grouped convolution as a block-diagonal one', async () => {
    const grouped = new Conv2d({ inChannels: 4, outChannels: 6, kernelSize: 3, padding: 1, groups: 2, bias: false });
    const w = await grouped.weight.data(); // [3,3,2,6]
    const dense = new Float32Array(3 * 3 * 4 * 6);
    for (let k = 0; k < 9; k++) {
      for (let ci = 0; ci < 2; ci++) {
        for (let co = 0; co < 6; co++) {
          const g = Math.floor(co / 3);
          dense[(k * 4 + g * 2 + ci) * 6 + co] = w[(k * 2 + ci) * 6 + co];
        }
      }
    }
    const x = randn([2, 5, 5, 4], 4);
    const expected = tf.conv2d(x as tf.Tensor4D, tf.tensor4d(dense, [3, 3, 4, 6]), 1, [
      [0, 0],
      [1, 1],
      [1, 1],
      [0, 0],
    ]);
    await expectClose(grouped.forward(x), expected, 1e-5);
  });
});

describe('Generator', () => {
  it('is reproducible from a seed and from a saved state', () => {
    const a = new Generator(42);
    const b = new Generator(42);
    expect([a.uniform(), a.uniform()]).toEqual([b.uniform(), b.uniform()]);
    const state = a.getState();
    const x = [a.nextUint32(), a.uniform()];
    expect([new Generator(0).setState(state).nextUint32(), a.uniform()]).not.toEqual(x);
    const c = new Generator(0).setState(state);
    expect([c.nextUint32(), c.uniform()]).toEqual(x);
    expect(new Generator(43).uniform()).not.toEqual(new Generator(42).uniform());
  });

  it('draws uniforms in [0, 1) and normals with the right moments', () => {
    const g = new Generator(7);
    const u = g.fillUniform(new Float32Array(20000));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
    const n = g.fillNormal(new Float32Array(20000), 0, 2);
    const mean = n.reduce((s, v) => s + v, 0) / n.length;
    const std = Math.sqrt(n.reduce((s, v) => s + (v - mean) ** 2, 0) / n.length);
    expect(Math.abs(mean)).toBeLessThan(0.05);
    expect(Math.abs(std - 2)).toBeLessThan(0.05);
  });
});
