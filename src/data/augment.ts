/**
 * Training-time augmentation of CIFAR-style uint8 NHWC images into normalised float32 NHWC, the
 * recipe of archai / torchvision: RandomCrop(32, padding) → RandomHorizontalFlip → ToTensor →
 * Normalize(mean, std) → Cutout.
 *
 * The random choices of an image (ImageDraw) are drawn separately from applying them so that the
 * main thread and worker threads, given the same Generator state, produce identical bytes, and so
 * tests can apply hand-picked draws. This module must stay free of tfjs and of Node APIs: worker
 * threads load it.
 */
import type { Generator } from '../util/random.js';

export interface AugmentOptions {
  /**
   * Zeros (black pixels) added on every side before a random crop back to the original size, as
   * torchvision's RandomCrop(32, padding=cropPadding). Default 0: no crop.
   */
  cropPadding?: number;
  /** Mirror left-right with probability 0.5. Default false. */
  hflip?: boolean;
  /**
   * Side of a square set to 0 after normalisation (the dataset mean colour) at a uniformly random
   * centre, clipped at the borders (DeVries & Taylor 2017). Default 0: off.
   */
  cutout?: number;
  /** Subtract the dataset mean and divide by its std, per channel; false yields pixel/255. Default true. */
  normalize?: boolean;
}

export type ResolvedAugment = Required<AugmentOptions>;

/** What the test split gets: normalisation only. */
export const EVAL_AUGMENT: ResolvedAugment = Object.freeze({ cropPadding: 0, hflip: false, cutout: 0, normalize: true });

export function resolveAugment(options: AugmentOptions = {}): ResolvedAugment {
  const r: ResolvedAugment = {
    cropPadding: options.cropPadding ?? 0,
    hflip: options.hflip ?? false,
    cutout: options.cutout ?? 0,
    normalize: options.normalize ?? true,
  };
  for (const key of ['cropPadding', 'cutout'] as const) {
    if (!Number.isInteger(r[key]) || r[key] < 0) throw new RangeError(`augment.${key} must be a non-negative integer, got ${r[key]}`);
  }
  return r;
}

/** The images an augmenter reads: the subset of ImageDataset that crosses into worker threads. */
export interface ImageSource {
  images: Uint8Array;
  height: number;
  width: number;
  channels: number;
  mean: readonly number[];
  std: readonly number[];
}

/** The random choices for one image. */
export interface ImageDraw {
  /** Crop origin in the padded image, each in [0, 2*cropPadding]. */
  cropY: number;
  cropX: number;
  flip: boolean;
  /** Cutout centre in output coordinates; ignored when cutout is 0. */
  cutY: number;
  cutX: number;
}

/**
 * Draw one image's choices. The order (crop y, crop x, flip, cutout y, cutout x) and the fact that
 * disabled steps draw nothing are part of the reproducibility contract: changing them changes
 * every augmented batch of a seeded run.
 */
export function drawAugment(rng: Generator, options: ResolvedAugment, height: number, width: number): ImageDraw {
  const span = 2 * options.cropPadding + 1;
  const cropY = options.cropPadding > 0 ? rng.int(span) : 0;
  const cropX = options.cropPadding > 0 ? rng.int(span) : 0;
  const flip = options.hflip ? rng.uniform() < 0.5 : false;
  const cutY = options.cutout > 0 ? rng.int(height) : 0;
  const cutX = options.cutout > 0 ? rng.int(width) : 0;
  return { cropY, cropX, flip, cutY, cutX };
}

/**
 * Byte → float table per channel, channel-major (c*256 + v). Computed once per loader: a lookup is
 * faster than the arithmetic and, being the same float32 values everywhere, keeps threads in step.
 */
export function pixelTable(source: Pick<ImageSource, 'channels' | 'mean' | 'std'>, normalize: boolean): Float32Array {
  const table = new Float32Array(source.channels * 256);
  for (let c = 0; c < source.channels; c++) {
    for (let v = 0; v < 256; v++) {
      table[c * 256 + v] = normalize ? (v / 255 - source.mean[c]) / source.std[c] : v / 255;
    }
  }
  return table;
}

/** Write image `index` of `source`, augmented by `draw`, at `out[offset...]`. */
export function applyAugment(
  source: ImageSource,
  index: number,
  draw: ImageDraw,
  options: ResolvedAugment,
  table: Float32Array,
  out: Float32Array,
  offset: number,
): void {
  const { height: H, width: W, channels: C, images } = source;
  const pad = options.cropPadding;
  const base = index * H * W * C;
  // Flip after crop: output column x shows crop column W-1-x, i.e. source column x0 + step*x.
  const step = draw.flip ? -1 : 1;
  const x0 = (draw.flip ? W - 1 : 0) + draw.cropX - pad;
  // Output columns whose source column is inside the image; the rest is padding.
  const xa = draw.flip ? Math.max(0, x0 - W + 1) : Math.max(0, -x0);
  const xb = draw.flip ? Math.min(W, x0 + 1) : Math.min(W, W - x0);
  for (let y = 0; y < H; y++) {
    const sy = y + draw.cropY - pad;
    const rowOut = offset + y * W * C;
    const inside = sy >= 0 && sy < H;
    for (let x = 0; x < W; x++) {
      const o = rowOut + x * C;
      if (!inside || x < xa || x >= xb) {
        // Padding is black in pixel space, so it normalises to (0 - mean)/std, as in torchvision.
        for (let c = 0; c < C; c++) out[o + c] = table[c * 256];
      } else if (C === 3) {
        const s = base + (sy * W + x0 + step * x) * 3;
        out[o] = table[images[s]];
        out[o + 1] = table[256 + images[s + 1]];
        out[o + 2] = table[512 + images[s + 2]];
      } else {
        const s = base + (sy * W + x0 + step * x) * C;
        for (let c = 0; c < C; c++) out[o + c] = table[c * 256 + images[s + c]];
      }
    }
  }
  const L = options.cutout;
  if (L > 0) {
    // Side exactly L; for even L this is archai's CutoutDefault [y - L/2, y + L/2).
    const y0 = draw.cutY - Math.floor(L / 2);
    const x0 = draw.cutX - Math.floor(L / 2);
    const y1 = Math.min(H, y0 + L);
    const x1 = Math.min(W, x0 + L);
    for (let y = Math.max(0, y0); y < y1; y++) {
      const start = offset + (y * W + Math.max(0, x0)) * C;
      const end = offset + (y * W + x1) * C;
      if (end > start) out.fill(0, start, end);
    }
  }
}

/**
 * Augment the images at `indices` (in that order) into one NHWC float32 batch, drawing from `rng`.
 * The single code path shared by in-process and worker preparation.
 */
export function augmentBatch(
  source: ImageSource,
  indices: ArrayLike<number>,
  rng: Generator,
  options: ResolvedAugment,
  table: Float32Array = pixelTable(source, options.normalize),
  out: Float32Array = new Float32Array(indices.length * source.height * source.width * source.channels),
): Float32Array {
  const size = source.height * source.width * source.channels;
  for (let i = 0; i < indices.length; i++) {
    const draw = drawAugment(rng, options, source.height, source.width);
    applyAugment(source, indices[i], draw, options, table, out, i * size);
  }
  return out;
}
