/**
 * Batches for training and evaluation: shuffled, augmented, normalised, prepared ahead.
 *
 * Everything random is a pure function of (seed, epoch, batch index): the epoch's order comes from
 * epochGenerator(seed, epoch) and each batch's augmentation from batchGenerator(seed, epoch, index).
 * So `batches(epoch, k)` after a restart yields exactly the batches k, k+1, ... an uninterrupted run
 * would have seen, and worker threads give the same bytes as in-process preparation.
 */
import { EVAL_AUGMENT, pixelTable, resolveAugment, type AugmentOptions, type ImageSource, type ResolvedAugment } from './augment.js';
import type { ImageDataset } from './dataset.js';
import { WorkerPool } from './pool.js';
import { epochGenerator, prepareBatchPixels } from './prepare.js';
import type { WorkerInit } from './worker_protocol.js';

export interface DataLoaderOptions {
  dataset: ImageDataset;
  batchSize: number;
  /** Reshuffle every epoch (from the seed and the epoch number). Default false: dataset order. */
  shuffle?: boolean;
  /**
   * Augmentation for the train split. A test split gets normalisation only, whatever is set here
   * apart from `normalize`. Default: normalisation only.
   */
  augment?: AugmentOptions;
  /** Seed of the shuffle and augmentation streams. Default 0. */
  seed?: number;
  /** Leave out the last batch when it would be smaller than batchSize. Default false. */
  dropLast?: boolean;
  /** Batches prepared ahead of the one being consumed. Default 2. */
  prefetch?: number;
  /**
   * Worker threads preparing batches. 0 prepares them on the main thread, between the consumer's
   * awaits (the output is bit-identical either way). Default 1.
   */
  workers?: number;
}

export interface Batch {
  epoch: number;
  /** Batch index within the epoch. */
  index: number;
  /** [n, height, width, channels] NHWC, normalised. */
  x: Float32Array;
  /** Class index per image. */
  y: Int32Array;
  /** Images in this batch (batchSize, or fewer in a last partial batch). */
  n: number;
}

/** One copy of a dataset's images in shared memory, reused by every loader over the same dataset. */
const sharedImages = new WeakMap<Uint8Array, SharedArrayBuffer>();

function shareImages(images: Uint8Array): { buffer: SharedArrayBuffer; byteOffset: number } {
  if (images.buffer instanceof SharedArrayBuffer) return { buffer: images.buffer, byteOffset: images.byteOffset };
  let buffer = sharedImages.get(images);
  if (buffer === undefined) {
    buffer = new SharedArrayBuffer(images.byteLength);
    new Uint8Array(buffer).set(images);
    sharedImages.set(images, buffer);
  }
  return { buffer, byteOffset: 0 };
}

function checkCount(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`DataLoader: ${name} must be an integer >= ${min}, got ${value}`);
  return value;
}

export class DataLoader {
  readonly dataset: ImageDataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly seed: number;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly workers: number;
  /** The augmentation actually applied (test splits: normalisation only). */
  readonly augment: ResolvedAugment;
  /** Batches per epoch. */
  readonly numBatches: number;

  private readonly source: ImageSource;
  private readonly table: Float32Array;
  private pool: WorkerPool | null = null;
  private cachedOrder: { epoch: number; order: Int32Array } | null = null;

  constructor(options: DataLoaderOptions) {
    this.dataset = options.dataset;
    const { length, height, width, channels, images, labels } = this.dataset;
    // Workers read the images without bounds checks that would catch a mismatch; catch it here.
    if (images.length !== length * height * width * channels || labels.length !== length) {
      throw new RangeError(
        `DataLoader: dataset ${this.dataset.name} claims ${length} images of ${height}x${width}x${channels} but holds ` +
          `${images.length} pixel bytes and ${labels.length} labels`,
      );
    }
    this.batchSize = checkCount('batchSize', options.batchSize, 1);
    this.shuffle = options.shuffle ?? false;
    this.seed = options.seed ?? 0;
    if (!Number.isSafeInteger(this.seed)) throw new RangeError(`DataLoader: seed must be an integer, got ${this.seed}`);
    this.dropLast = options.dropLast ?? false;
    this.prefetch = checkCount('prefetch', options.prefetch ?? 2, 0);
    this.workers = checkCount('workers', options.workers ?? 1, 0);
    const resolved = resolveAugment(options.augment);
    this.augment = this.dataset.split === 'train' ? resolved : { ...EVAL_AUGMENT, normalize: resolved.normalize };
    const n = this.dataset.length;
    this.numBatches = this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
    const d = this.dataset;
    this.source = { images: d.images, height: d.height, width: d.width, channels: d.channels, mean: d.mean, std: d.std };
    this.table = pixelTable(this.source, this.augment.normalize);
  }

  /** Dataset indices in the order epoch `epoch` visits them (a copy). */
  order(epoch: number): Int32Array {
    return this.epochOrder(epoch).slice();
  }

  private epochOrder(epoch: number): Int32Array {
    checkCount('epoch', epoch, 0);
    if (this.cachedOrder?.epoch !== epoch) {
      const n = this.dataset.length;
      let order: Int32Array;
      if (this.shuffle) order = epochGenerator(this.seed, epoch).permutation(n);
      else {
        order = new Int32Array(n);
        for (let i = 0; i < n; i++) order[i] = i;
      }
      this.cachedOrder = { epoch, order };
    }
    return this.cachedOrder.order;
  }

  /** Dataset indices of batch `index` of epoch `epoch`. */
  batchIndices(epoch: number, index: number): Int32Array {
    checkCount('batch index', index, 0);
    if (index >= this.numBatches) throw new RangeError(`DataLoader: batch ${index} out of range (an epoch has ${this.numBatches})`);
    const start = index * this.batchSize;
    return this.epochOrder(epoch).slice(start, Math.min(start + this.batchSize, this.dataset.length));
  }

  /** Prepare one batch (in a worker when workers > 0). */
  async prepare(epoch: number, index: number): Promise<Batch> {
    const indices = this.batchIndices(epoch, index);
    const y = new Int32Array(indices.length);
    for (let i = 0; i < indices.length; i++) y[i] = this.dataset.labels[indices[i]];
    let x: Float32Array;
    if (this.workers > 0) {
      x = await this.getPool().run(epoch, index, indices);
    } else {
      // Yield first, so that prefetching in-process interleaves with the consumer instead of
      // preparing all look-ahead batches in one synchronous stretch.
      await new Promise<void>((resolve) => setImmediate(resolve));
      x = prepareBatchPixels(this.source, indices, this.seed, epoch, index, this.augment, this.table);
    }
    return { epoch, index, x, y, n: indices.length };
  }

  /**
   * The batches of epoch `epoch` from `startBatch` on, prepared `prefetch` ahead. Breaking out of
   * the loop early is fine: batches still in preparation are discarded.
   */
  async *batches(epoch: number, startBatch = 0): AsyncGenerator<Batch> {
    checkCount('epoch', epoch, 0);
    checkCount('startBatch', startBatch, 0);
    const ahead: Promise<Batch>[] = [];
    let next = startBatch;
    const fill = (target: number) => {
      while (ahead.length < target && next < this.numBatches) {
        const p = this.prepare(epoch, next++);
        // Abandoned look-ahead must not surface as an unhandled rejection; awaited ones still throw.
        p.catch(() => undefined);
        ahead.push(p);
      }
    };
    fill(this.prefetch);
    for (;;) {
      // Nothing queued (prefetch 0, or the start): prepare the next batch on demand.
      if (ahead.length === 0) fill(1);
      if (ahead.length === 0) return;
      const batch = await ahead.shift()!;
      // Top up before yielding, so the look-ahead is prepared while the consumer trains on `batch`.
      fill(this.prefetch);
      yield batch;
    }
  }

  private getPool(): WorkerPool {
    if (this.pool === null) {
      const d = this.dataset;
      const { buffer, byteOffset } = shareImages(d.images);
      const init: WorkerInit = {
        images: buffer,
        byteOffset,
        byteLength: d.images.byteLength,
        height: d.height,
        width: d.width,
        channels: d.channels,
        mean: [...d.mean],
        std: [...d.std],
        seed: this.seed,
        augment: { ...this.augment },
      };
      this.pool = new WorkerPool(init, this.workers);
    }
    return this.pool;
  }

  /**
   * Stop the worker threads. Idle workers never keep the process alive, so this matters for
   * releasing memory rather than for exiting; the loader stays usable and restarts workers on demand.
   */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }
}
