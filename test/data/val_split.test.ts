import { describe, expect, it } from 'vitest';
import { holdOut, loadDataset, makeSynthetic } from '../../src/data/index.js';

describe('validation hold-out', () => {
  const data = makeSynthetic('train', { trainSize: 203, numClasses: 5, seed: 1 });
  const count = (labels: Uint8Array, k: number) => labels.filter((l) => l === k).length;

  it('holds out the same fraction of every class, disjoint from training, the same for the same seed', () => {
    const { train, val } = holdOut(data, 0.2, 7);
    expect(train.length + val.length).toBe(203);
    for (let k = 0; k < 5; k++) expect(count(val.labels, k)).toBe(Math.round(count(data.labels, k) * 0.2));
    const size = 32 * 32 * 3;
    const key = (d: typeof data, i: number) => Buffer.from(d.images.subarray(i * size, (i + 1) * size)).toString('base64');
    const trainKeys = new Set(Array.from({ length: train.length }, (_, i) => key(train, i)));
    for (let i = 0; i < val.length; i++) expect(trainKeys.has(key(val, i))).toBe(false);
    expect([train.split, val.split]).toEqual(['train', 'val']);
    expect(holdOut(data, 0.2, 7).val.labels).toEqual(val.labels);
    expect(Buffer.from(holdOut(data, 0.2, 8).val.images).equals(Buffer.from(val.images))).toBe(false);
  });

  it("is the 'val' split of loadDataset, and a missing split says how to get one", async () => {
    const spec = {
      dataset: 'synthetic' as const,
      root: '.',
      seed: 2,
      valSplit: 0.1,
      synthetic: { trainSize: 100, testSize: 10, numClasses: 4 },
    };
    const [train, val] = await Promise.all([loadDataset(spec, 'train'), loadDataset(spec, 'val')]);
    // Rounded per class, so about a tenth.
    expect(train.length + val.length).toBe(100);
    expect(Math.abs(val.length - 10)).toBeLessThanOrEqual(2);
    await expect(loadDataset({ ...spec, valSplit: 0 }, 'val')).rejects.toThrow(/set data\.val_split/);
    expect(() => holdOut(makeSynthetic('train', { trainSize: 3, numClasses: 3 }), 0.1, 0)).toThrow(/leaves no validation images/);
  });
});
