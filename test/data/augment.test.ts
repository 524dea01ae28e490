import { describe, expect, it } from 'vitest';

import {
  applyAugment,
  augmentBatch,
  drawAugment,
  mixSeed,
  pixelTable,
  resolveAugment,
  type ImageDraw,
  type ImageSource,
  type ResolvedAugment,
} from '../../src/data/index.js';
import { Generator } from '../../src/util/random.js';

const H = 5;
const W = 4;
const C = 3;
const mean = [0.5, 0.25, 0.125];
const std = [0.2, 0.5, 0.25];

/** Two tiny images whose every byte differs, so any misplaced pixel shows. */
function tinySource(): ImageSource {
  const images = new Uint8Array(2 * H * W * C);
  for (let i = 0; i < images.length; i++) images[i] = (i * 37 + 11) & 255;
  return { images, height: H, width: W, channels: C, mean, std };
}

/**
 * The torchvision recipe done literally and slowly, as the reference: build the zero-padded image,
 * crop, flip, scale to [0,1], normalise, then zero the cutout square of side L, clipped at the borders.
 */
function reference(src: ImageSource, index: number, d: ImageDraw, o: ResolvedAugment): number[] {
  const p = o.cropPadding;
  const PH = H + 2 * p;
  const PW = W + 2 * p;
  const padded: number[][][] = [];
  for (let y = 0; y < PH; y++) {
    padded.push([]);
    for (let x = 0; x < PW; x++) {
      const inside = y >= p && y < p + H && x >= p && x < p + W;
      padded[y].push([0, 1, 2].map((c) => (inside ? src.images[index * H * W * C + ((y - p) * W + (x - p)) * C + c] : 0)));
    }
  }
  let img = padded.slice(d.cropY, d.cropY + H).map((row) => row.slice(d.cropX, d.cropX + W));
  if (d.flip) img = img.map((row) => [...row].reverse());
  const out = img.map((row) => row.map((px) => px.map((v, c) => (o.normalize ? (v / 255 - mean[c]) / std[c] : v / 255))));
  if (o.cutout > 0) {
    const half = Math.floor(o.cutout / 2);
    const clip = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
    for (let y = clip(d.cutY - half, H); y < clip(d.cutY - half + o.cutout, H); y++) {
      for (let x = clip(d.cutX - half, W); x < clip(d.cutX - half + o.cutout, W); x++) out[y][x] = [0, 0, 0];
    }
  }
  return out.flat(2).map((v) => Math.fround(v));
}

function apply(src: ImageSource, index: number, d: ImageDraw, o: ResolvedAugment): number[] {
  const out = new Float32Array(H * W * C).fill(NaN);
  applyAugment(src, index, d, o, pixelTable(src, o.normalize), out, 0);
  return Array.from(out);
}

describe('augmentation kernels on a hand-made image', () => {
  const src = tinySource();

  it('normalises per channel with the dataset mean/std, or scales to [0,1]', () => {
    const none: ImageDraw = { cropY: 0, cropX: 0, flip: false, cutY: 0, cutX: 0 };
    const norm = apply(src, 1, none, resolveAugment({}));
    const base = H * W * C;
    expect(norm[0]).toBeCloseTo((src.images[base] / 255 - 0.5) / 0.2, 6);
    expect(norm[5]).toBeCloseTo((src.images[base + 5] / 255 - 0.125) / 0.25, 6);
    expect(apply(src, 1, none, resolveAugment({ normalize: false }))).toEqual(
      Array.from(src.images.subarray(base, 2 * base)).map((v) => Math.fround(v / 255)),
    );
  });

  it('crops (zero padding), flips and cuts out exactly like the literal recipe, for every draw', () => {
    let checked = 0;
    for (const normalize of [true, false]) {
      for (const cutout of [0, 2, 3]) {
        const o = resolveAugment({ cropPadding: 2, hflip: true, cutout, normalize });
        for (let cropY = 0; cropY <= 4; cropY++) {
          for (let cropX = 0; cropX <= 4; cropX++) {
            for (const flip of [false, true]) {
              for (const [cutY, cutX] of [
                [0, 0],
                [2, 1],
                [4, 3],
                [1, 3],
              ]) {
                const d = { cropY, cropX, flip, cutY, cutX };
                expect(apply(src, 1, d, o)).toEqual(reference(src, 1, d, o));
                checked++;
              }
            }
          }
        }
      }
    }
    expect(checked).toBe(2 * 3 * 25 * 2 * 4);
  });

  it('fills padding with the normalised value of black and the cutout with 0', () => {
    const o = resolveAugment({ cropPadding: 1, cutout: 2 });
    // Crop origin (0,0): row 0 and column 0 of the output are padding.
    const out = apply(src, 0, { cropY: 0, cropX: 0, flip: false, cutY: 4, cutX: 3 }, o);
    for (let c = 0; c < 3; c++) expect(out[c]).toBeCloseTo(-mean[c] / std[c], 6);
    // Cutout of side 2 centred at (4,3): rows 3..4, cols 2..3.
    for (const [y, x] of [
      [3, 2],
      [3, 3],
      [4, 2],
      [4, 3],
    ])
      expect(out.slice((y * W + x) * 3, (y * W + x) * 3 + 3)).toEqual([0, 0, 0]);
    expect(out[(2 * W + 3) * 3]).not.toBe(0);
  });

  it('draws crop offsets over 0..2p, flips about half the time, and nothing for disabled steps', () => {
    const rng = new Generator(5);
    const o = resolveAugment({ cropPadding: 4, hflip: true, cutout: 16 });
    const seenY = new Set<number>();
    let flips = 0;
    for (let i = 0; i < 2000; i++) {
      const d = drawAugment(rng, o, 32, 32);
      seenY.add(d.cropY);
      if (d.flip) flips++;
      expect(d.cutY).toBeGreaterThanOrEqual(0);
      expect(d.cutY).toBeLessThan(32);
    }
    expect([...seenY].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(flips).toBeGreaterThan(900);
    expect(flips).toBeLessThan(1100);

    const g = new Generator(9);
    const state = g.getState();
    expect(drawAugment(g, resolveAugment({}), 32, 32)).toEqual({ cropY: 0, cropX: 0, flip: false, cutY: 0, cutX: 0 });
    expect(g.getState()).toEqual(state);
  });

  it('gives the same bytes for the same generator state, different ones otherwise', () => {
    const o = resolveAugment({ cropPadding: 2, hflip: true, cutout: 2 });
    const a = augmentBatch(src, [1, 0, 1], new Generator(mixSeed(3, 0, 7)), o);
    const b = augmentBatch(src, [1, 0, 1], new Generator(mixSeed(3, 0, 7)), o);
    const c = augmentBatch(src, [1, 0, 1], new Generator(mixSeed(3, 1, 7)), o);
    expect(Buffer.from(a.buffer).equals(Buffer.from(b.buffer))).toBe(true);
    expect(Buffer.from(a.buffer).equals(Buffer.from(c.buffer))).toBe(false);
  });

  it('validates options', () => {
    expect(() => resolveAugment({ cropPadding: -1 })).toThrow(/cropPadding must be a non-negative integer/);
    expect(() => resolveAugment({ cutout: 1.5 })).toThrow(/cutout/);
    expect(resolveAugment()).toEqual({ cropPadding: 0, hflip: false, cutout: 0, normalize: true });
  });
});

describe('mixSeed', () => {
  it('is order- and length-sensitive and spreads nearby tuples', () => {
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(1, 2, 0));
    expect(mixSeed(2 ** 40, 1)).not.toBe(mixSeed(0, 1));
    expect(mixSeed(-1)).not.toBe(mixSeed(2 ** 32 - 1));
    const seen = new Set<number>();
    for (let e = 0; e < 50; e++) for (let b = 0; b < 400; b++) seen.add(mixSeed(7, e, b));
    expect(seen.size).toBe(20000);
    expect(() => mixSeed(0.5)).toThrow(RangeError);
  });
});
