/**
 * The validation hold-out: a seeded, class-stratified part of the training set, so that choosing a
 * checkpoint or an architecture never looks at the test set. Each class gives the same fraction
 * (rounded), both parts keep the files' order, and the same seed always holds out the same images.
 */
import { Generator } from '../util/random.js';
import type { ImageDataset } from './dataset.js';
import { DataError } from './errors.js';
import { mixSeed } from './seed.js';

/** A stream of its own: the hold-out must not move when other draws of the seed change. */
const VAL_STREAM = 3;

function subset(data: ImageDataset, indices: number[], split: ImageDataset['split']): ImageDataset {
  const size = data.height * data.width * data.channels;
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  indices.forEach((src, i) => {
    images.set(data.images.subarray(src * size, (src + 1) * size), i * size);
    labels[i] = data.labels[src]!;
  });
  return { ...data, split, length: indices.length, images, labels };
}

/** Splits a training set into what is trained on and the held-out `fraction` (0 < fraction < 1). */
export function holdOut(data: ImageDataset, fraction: number, seed: number): { train: ImageDataset; val: ImageDataset } {
  if (!(fraction > 0 && fraction < 1)) throw new DataError(`val_split must be in (0, 1), got ${fraction}`);
  const byClass: number[][] = Array.from({ length: data.numClasses }, () => []);
  for (let i = 0; i < data.length; i++) byClass[data.labels[i]!]!.push(i);
  const rng = new Generator(mixSeed(seed, VAL_STREAM));
  const val: number[] = [];
  for (const members of byClass) {
    const take = Math.round(members.length * fraction);
    // Partial Fisher-Yates: the first `take` of a seeded permutation.
    for (let i = 0; i < take; i++) {
      const j = i + rng.int(members.length - i);
      [members[i], members[j]] = [members[j]!, members[i]!];
    }
    val.push(...members.slice(0, take));
  }
  if (val.length === 0 || val.length === data.length) {
    throw new DataError(
      `val_split ${fraction} of ${data.length} training images leaves ${val.length === 0 ? 'no validation' : 'no training'} images; change data.val_split`,
    );
  }
  const held = new Set(val);
  const train = [...Array(data.length).keys()].filter((i) => !held.has(i));
  return {
    train: subset(data, train, 'train'),
    val: subset(
      data,
      val.sort((a, b) => a - b),
      'val',
    ),
  };
}
