import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineFamily } from '../../src/models/family.js';
import { ModelRegistry, UnknownModelError, createModel, listModels, modelInfo } from '../../src/registry/index.js';
import { closestNames, naturalCompare, wildcardToRegExp } from '../../src/util/names.js';
import { ShakeResNet } from '../../src/models/shakeshake/shake_resnet.js';
import { ShakeResNeXt } from '../../src/models/shakeshake/shake_resnext.js';

describe('listModels', () => {
  it('lists the zoo in natural order and filters with wildcards', () => {
    expect(listModels()).toEqual([
      'pyramidnet110_a270',
      'pyramidnet272_a200_bottleneck',
      'shake_resnet26_2x32d',
      'shake_resnet26_2x64d',
      'shake_resnet26_2x96d',
      'shake_resnet26_2x112d',
      'shake_resnext26_2x4x96d',
      'shake_resnext29_2x4x64d',
      'wide_resnet28_10',
      'wide_resnet40_2',
    ]);
    expect(listModels('*', { family: 'wide_resnet' })).toEqual(['wide_resnet28_10', 'wide_resnet40_2']);
    expect(listModels('shake_resnet*_2x?2d')).toEqual(['shake_resnet26_2x32d']);
    expect(listModels('*resnext*')).toEqual(['shake_resnext26_2x4x96d', 'shake_resnext29_2x4x64d']);
    expect(listModels('SHAKESHAKE*', { aliases: true })).toEqual([
      'shakeshake26_2x32d',
      'shakeshake26_2x64d',
      'shakeshake26_2x96d',
      'shakeshake26_2x96d_next',
      'shakeshake26_2x112d',
    ]);
    expect(listModels('nothing*')).toEqual([]);
  });

  it('sorts digit runs as numbers and escapes regex characters in patterns', () => {
    expect(['a10', 'a9', 'a100', 'b1'].sort(naturalCompare)).toEqual(['a9', 'a10', 'a100', 'b1']);
    expect(wildcardToRegExp('a.b*').test('axb')).toBe(false);
    expect(wildcardToRegExp('a.b*').test('a.bc')).toBe(true);
  });
});

describe('createModel', () => {
  it("builds archai's aliases as the same networks", () => {
    const a = createModel('shakeshake26_2x96d_next');
    expect(a).toBeInstanceOf(ShakeResNeXt);
    expect((a as ShakeResNeXt).depth).toBe(26);
    expect((a as ShakeResNeXt).cardinality).toBe(4);
    a.dispose();
  });

  it('builds any name of the grammar with a valid depth, and says why a depth is invalid', () => {
    const m = createModel('shake_resnet8_2x8d', { numClasses: 3 });
    expect(m).toBeInstanceOf(ShakeResNet);
    expect(m.numClasses).toBe(3);
    m.dispose();
    expect(() => createModel('shake_resnet12_2x8d')).toThrow(/depth must be 6n\+2/);
    expect(() => createModel('shake_resnext10_2x4x64d')).toThrow(/floor\(\(depth-2\)\/9\) >= 1/);
    expect(() => createModel('shake_resnext11_2x4x32d')).toThrow(/>= 64/);
  });

  it('says "did you mean" for unknown names', () => {
    let err: unknown;
    try {
      createModel('shake_resnet26_2x32');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UnknownModelError);
    expect((err as UnknownModelError).message).toMatch(/unknown model 'shake_resnet26_2x32'; did you mean 'shake_resnet26_2x32d'/);
    expect(closestNames('zzzzzzzzzzzz', ['shake_resnet26_2x32d'])).toEqual([]);
  });

  it('passes options through: classes, variant, seed', async () => {
    const paper = createModel('shake_resnet8_2x8d', { variant: 'paper' });
    expect([...paper.namedParameters().keys()]).toContain('bn_in.weight');
    const a = createModel('shake_resnet8_2x8d', { seed: 1 });
    const b = createModel('shake_resnet8_2x8d', { seed: 1 });
    const c = createModel('shake_resnet8_2x8d', { seed: 2 });
    const w = (m: typeof a) => m.namedParameters().get('layer1.0.branch1.1.weight')!.data();
    expect(await w(a)).toEqual(await w(b));
    expect(await w(a)).not.toEqual(await w(c));
    for (const m of [paper, a, b, c]) m.dispose();
  });

  it('registers a new family with one call and refuses duplicate names', () => {
    const r = new ModelRegistry();
    const tiny = defineFamily<{ w: number }, object>({
      name: 'tiny',
      title: 'a test family',
      grammar: 'tiny{w}',
      choices: { w: 'even width' },
      options: z.strictObject({}),
      parse: (n) => (/^tiny(\d+)$/.exec(n) ? { w: Number(/^tiny(\d+)$/.exec(n)![1]) } : null),
      format: (a) => `tiny${a.w}`,
      describe: (a) => `tiny of width ${a.w}`,
      variants: [{ arch: { w: 2 }, aliases: ['t'] }],
      build: (a, o) => new ShakeResNet({ depth: 8, wBase: a.w, numClasses: o.numClasses, seed: o.seed }),
    });
    r.registerFamily(tiny);
    expect(r.listModels()).toEqual(['tiny2']);
    expect(r.createModel('t')).toBeInstanceOf(ShakeResNet);
    expect((r.createModel('tiny4') as ShakeResNet).wBase).toBe(4);
    expect(() => r.createModel('tiny2', { shake: { forward: 'even' } })).toThrow(/'shake' is not an option of tiny2 \(family tiny\)/);
    expect(() => r.registerFamily({ ...tiny, name: 'tiny_again' })).toThrow(/'tiny2' is already registered/);
  });
});

describe('modelInfo', () => {
  it('counts parameters and MACs and describes each stage', () => {
    const info = modelInfo('shakeshake26_2x32d');
    expect(info.name).toBe('shake_resnet26_2x32d');
    expect(info.aliases).toEqual(['shakeshake26_2x32d']);
    expect(info.params).toBe(2_923_146);
    expect(info.stages.map((s) => s.name)).toEqual(['c_in', 'layer1', 'layer2', 'layer3', 'fc_out']);
    expect(info.stages.reduce((s, x) => s + x.params, 0)).toBe(info.params);
    expect(info.stages.reduce((s, x) => s + x.macs, 0)).toBe(info.macs);
    expect(info.stages[3].outputShape).toEqual([8, 8, 128]);
    // Stem: 32*32*16*27; one identity block of layer1: 2 branches x 2 convs x 32*32*32*(9*32).
    expect(info.stages[0].macs).toBe(32 * 32 * 16 * 27);
    expect(info.macs).toBeGreaterThan(4.2e8);
    expect(info.macs).toBeLessThan(4.3e8);
  });
});
