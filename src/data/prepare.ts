/**
 * One batch's pixels as a pure function of (seed, epoch, batch index, image indices): the contract
 * that makes resumed runs replay the batches an uninterrupted run would have seen, and that lets a
 * worker thread and the main thread agree bit for bit. Worker threads load this module, so it must
 * not pull in tfjs or anything heavy.
 */
import { Generator } from '../util/random.js';
import { augmentBatch, type ImageSource, type ResolvedAugment } from './augment.js';
import { mixSeed } from './seed.js';

/** The Generator behind the shuffle of one epoch. */
export function epochGenerator(seed: number, epoch: number): Generator {
  return new Generator(mixSeed(seed, epoch));
}

/** The Generator behind every augmentation draw of one batch. */
export function batchGenerator(seed: number, epoch: number, index: number): Generator {
  // The extra part keeps this stream apart from epochGenerator's for any (epoch, index) pair.
  return new Generator(mixSeed(seed, epoch, index, 1));
}

export function prepareBatchPixels(
  source: ImageSource,
  indices: ArrayLike<number>,
  seed: number,
  epoch: number,
  index: number,
  augment: ResolvedAugment,
  table: Float32Array,
): Float32Array {
  return augmentBatch(source, indices, batchGenerator(seed, epoch, index), augment, table);
}
