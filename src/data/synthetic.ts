/**
 * `dataset: synthetic`: a generated 32x32 RGB classification set for smoke tests, CI and examples
 * that need something learnable without downloading anything.
 *
 * Each class is a fixed smooth template (a few low-frequency colour waves over a class colour).
 * Each image is its class template, circularly shifted by a few pixels, blended with a second,
 * random class's template, with random contrast and brightness and per-pixel noise. Shifts and
 * blending make it a task a convnet learns well above chance within a few CPU epochs but not in
 * one batch; a nearest-class-mean classifier on raw pixels also beats chance by a wide margin,
 * which is what the tests check. Everything follows from the seed.
 */
import { Generator } from '../util/random.js';
import { channelStats, type ImageDataset, type Split } from './dataset.js';
import { DataError } from './errors.js';
import { mixSeed } from './seed.js';

export interface SyntheticOptions {
  /** Number of classes (2..256). Default 10. */
  numClasses?: number;
  /** Images in the train split. Default 2000. */
  trainSize?: number;
  /** Images in the test split. Default 500. */
  testSize?: number;
  /** Seed of the templates and samples; both splits of one seed share the templates. Default 0. */
  seed?: number;
}

const SIZE = 32;
const PIXELS = SIZE * SIZE * 3;
/** Waves per channel of a template: enough for distinct patterns, few enough to stay smooth. */
const WAVES = 3;
/** Largest shift, in pixels, each way. */
const MAX_SHIFT = 4;
/** Per-pixel noise std, in units of pixel/255. */
const NOISE = 0.2;
/** The blended-in distractor template's weight is uniform in [0, MAX_BLEND). */
const MAX_BLEND = 0.45;

// Stream tags: the templates and each split draw from separate, seed-derived generators.
const TEMPLATE_STREAM = 0;
const SPLIT_STREAM: Record<Split, number> = { train: 1, test: 2 };
const CALIBRATION_STREAM = 3;
/** Images behind the mean/std estimate: within ~0.005 of the full-set values, for 10% of the default set's cost. */
const CALIBRATION_SIZE = 200;

/** Class templates, values about 0..1, NHWC, [numClasses * PIXELS]. */
function makeTemplates(numClasses: number, seed: number): Float32Array {
  const rng = new Generator(mixSeed(seed, TEMPLATE_STREAM));
  const out = new Float32Array(numClasses * PIXELS);
  for (let k = 0; k < numClasses; k++) {
    for (let c = 0; c < 3; c++) {
      const colour = 0.25 + 0.5 * rng.uniform();
      const waves = Array.from({ length: WAVES }, () => ({
        // Whole cycles per image, so circular shifts wrap without a seam.
        fy: rng.int(4),
        fx: rng.int(4),
        phase: 2 * Math.PI * rng.uniform(),
        amp: 0.08 + 0.12 * rng.uniform(),
      }));
      for (let y = 0; y < SIZE; y++) {
        for (let x = 0; x < SIZE; x++) {
          let v = colour;
          for (const w of waves) v += w.amp * Math.cos((2 * Math.PI * (w.fy * y + w.fx * x)) / SIZE + w.phase);
          out[k * PIXELS + (y * SIZE + x) * 3 + c] = v;
        }
      }
    }
  }
  return out;
}

/** Std of the sum of 4 independent uniform bytes: sqrt(4 * (256^2 - 1) / 12). */
const BYTE_SUM_STD = Math.sqrt((4 * (256 * 256 - 1)) / 12);

/**
 * Near-Gaussian noise with std NOISE from the 4 bytes of one draw (central limit): a quarter of the
 * cost of Box-Muller, which dominated generation time.
 */
function fillNoise(out: Float32Array, rng: Generator): void {
  const scale = NOISE / BYTE_SUM_STD;
  for (let i = 0; i < out.length; i++) {
    const u = rng.nextUint32();
    out[i] = scale * ((u & 255) + ((u >>> 8) & 255) + ((u >>> 16) & 255) + (u >>> 24) - 510);
  }
}

function sampleSplit(
  templates: Float32Array,
  numClasses: number,
  size: number,
  rng: Generator,
): { images: Uint8Array; labels: Uint8Array } {
  const labels = new Uint8Array(size);
  // Balanced classes in random order.
  const perm = rng.permutation(size);
  for (let i = 0; i < size; i++) labels[perm[i]] = i % numClasses;
  const images = new Uint8Array(size * PIXELS);
  const noise = new Float32Array(PIXELS);
  for (let i = 0; i < size; i++) {
    const k = labels[i];
    const other = rng.int(numClasses);
    const blend = MAX_BLEND * rng.uniform();
    const dy = rng.int(2 * MAX_SHIFT + 1) - MAX_SHIFT;
    const dx = rng.int(2 * MAX_SHIFT + 1) - MAX_SHIFT;
    const contrast = 0.6 + 0.8 * rng.uniform();
    const brightness = 0.2 * (rng.uniform() - 0.5);
    fillNoise(noise, rng);
    const a = k * PIXELS;
    const b = other * PIXELS;
    for (let y = 0; y < SIZE; y++) {
      const sy = (y + dy + SIZE) % SIZE;
      for (let x = 0; x < SIZE; x++) {
        const sx = (x + dx + SIZE) % SIZE;
        const s = (sy * SIZE + sx) * 3;
        const o = (y * SIZE + x) * 3;
        for (let c = 0; c < 3; c++) {
          const t = (1 - blend) * templates[a + s + c] + blend * templates[b + s + c];
          const v = 0.5 + contrast * (t - 0.5) + brightness + noise[o + c];
          images[i * PIXELS + o + c] = Math.max(0, Math.min(255, Math.round(255 * v)));
        }
      }
    }
  }
  return { images, labels };
}

function checkSize(name: string, value: number, min: number, max = Infinity): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new DataError(`synthetic dataset: ${name} must be an integer in ${min}..${max}, got ${value}`);
  }
  return value;
}

/** One split of the synthetic dataset. */
export function makeSynthetic(split: Split, options: SyntheticOptions = {}): ImageDataset {
  const numClasses = checkSize('numClasses', options.numClasses ?? 10, 2, 256);
  const trainSize = checkSize('trainSize', options.trainSize ?? 2000, 1);
  const testSize = checkSize('testSize', options.testSize ?? 500, 1);
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed)) throw new DataError(`synthetic dataset: seed must be an integer, got ${seed}`);
  const templates = makeTemplates(numClasses, seed);
  const size = split === 'train' ? trainSize : testSize;
  const data = sampleSplit(templates, numClasses, size, new Generator(mixSeed(seed, SPLIT_STREAM[split])));
  // Normalisation constants from a separate fixed-size sample, so that both splits (and any sizes)
  // share them without generating the train split to load the test split.
  const calibration = sampleSplit(templates, numClasses, CALIBRATION_SIZE, new Generator(mixSeed(seed, CALIBRATION_STREAM)));
  const stats = channelStats(calibration.images);
  return {
    name: 'synthetic',
    split,
    numClasses,
    length: data.labels.length,
    height: 32,
    width: 32,
    channels: 3,
    images: data.images,
    labels: data.labels,
    classNames: Array.from({ length: numClasses }, (_, k) => `pattern_${k}`),
    mean: [stats.mean[0], stats.mean[1], stats.mean[2]],
    std: [stats.std[0], stats.std[1], stats.std[2]],
  };
}
