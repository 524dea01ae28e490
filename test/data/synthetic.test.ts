import { describe, expect, it } from 'vitest';

import { channelStats, loadDataset, makeSynthetic, type ImageDataset } from '../../src/data/index.js';

/** Nearest-class-mean on raw pixels: the weakest sensible classifier, in plain JS. */
function nearestClassMeanAccuracy(train: ImageDataset, test: ImageDataset): number {
  const K = train.numClasses;
  const P = 3072;
  const means = new Float64Array(K * P);
  const counts = new Float64Array(K);
  for (let i = 0; i < train.length; i++) {
    const k = train.labels[i];
    counts[k]++;
    for (let p = 0; p < P; p++) means[k * P + p] += train.images[i * P + p];
  }
  for (let k = 0; k < K; k++) for (let p = 0; p < P; p++) means[k * P + p] /= counts[k];
  let correct = 0;
  for (let i = 0; i < test.length; i++) {
    let best = -1;
    let bestDist = Infinity;
    for (let k = 0; k < K; k++) {
      let d = 0;
      for (let p = 0; p < P; p++) {
        const e = test.images[i * P + p] - means[k * P + p];
        d += e * e;
      }
      if (d < bestDist) [best, bestDist] = [k, d];
    }
    if (best === test.labels[i]) correct++;
  }
  return correct / test.length;
}

const same = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

describe('synthetic dataset', () => {
  const train = makeSynthetic('train');
  const test = makeSynthetic('test');

  it('has the ImageDataset shape, default sizes and balanced classes', () => {
    expect(train).toMatchObject({ name: 'synthetic', split: 'train', numClasses: 10, length: 2000, height: 32, width: 32, channels: 3 });
    expect(test.length).toBe(500);
    expect(train.images.length).toBe(2000 * 3072);
    const counts = new Array(10).fill(0);
    for (const l of train.labels) counts[l]++;
    expect(counts).toEqual(new Array(10).fill(200));
    expect(test.mean).toEqual(train.mean);
    const { mean, std } = channelStats(train.images);
    for (let c = 0; c < 3; c++) {
      expect(Math.abs(train.mean[c] - mean[c])).toBeLessThan(0.01);
      expect(Math.abs(train.std[c] - std[c])).toBeLessThan(0.01);
    }
  });

  it('is learnable, well above chance, yet not trivially separable', () => {
    const acc = nearestClassMeanAccuracy(train, test);
    expect(acc).toBeGreaterThan(0.6); // chance is 0.1
    expect(acc).toBeLessThan(0.97);
  });

  it('is a deterministic function of the seed and options', () => {
    const again = makeSynthetic('train');
    expect(same(again.images, train.images)).toBe(true);
    expect(same(again.labels, train.labels)).toBe(true);
    expect(same(makeSynthetic('train', { seed: 1 }).images, train.images)).toBe(false);
    expect(same(test.images.subarray(0, 3072 * 10), train.images.subarray(0, 3072 * 10))).toBe(false);
    const four = makeSynthetic('test', { numClasses: 4, testSize: 40, seed: 3 });
    expect(four.numClasses).toBe(4);
    expect(Math.max(...four.labels)).toBe(3);
    expect(() => makeSynthetic('train', { numClasses: 1 })).toThrow(/numClasses must be an integer in 2\.\.256/);
  });

  it('loads through loadDataset with seed, sizes and limits', async () => {
    const spec = {
      dataset: 'synthetic' as const,
      root: 'unused',
      seed: 5,
      synthetic: { numClasses: 3, trainSize: 30, testSize: 12 },
      limitTest: 5,
    };
    const a = await loadDataset(spec, 'train');
    expect(a.length).toBe(30);
    const b = await loadDataset(spec, 'test');
    expect(b.length).toBe(5);
    expect(same(b.images, makeSynthetic('test', { ...spec.synthetic, seed: 5 }).images.subarray(0, 5 * 3072))).toBe(true);
  });
});
