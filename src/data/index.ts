/**
 * The data pipeline of the experiment runner: dataset readers (CIFAR-10/100 binary files, a
 * synthetic set), the optional download, augmentation and the prefetching DataLoader. It yields
 * host arrays only; the trainer makes tensors.
 *
 *   const train = await loadDataset({ dataset: 'cifar10', root: 'data', download: true }, 'train');
 *   const loader = new DataLoader({ dataset: train, batchSize: 128, shuffle: true, seed: 1,
 *                                   augment: { cropPadding: 4, hflip: true, cutout: 16 } });
 *   for await (const batch of loader.batches(epoch)) { ... }
 *   await loader.close();
 */
import { CIFAR10_LAYOUT, CIFAR100_LAYOUT, readCifar, type CifarKind } from './cifar.js';
import type { ImageDataset, Split } from './dataset.js';
import { downloadCifar, type DownloadOptions } from './download.js';
import { DataError } from './errors.js';
import { makeSynthetic, type SyntheticOptions } from './synthetic.js';
import { holdOut } from './val_split.js';

/** The datasets a config may name. */
export const DATASET_NAMES = ['cifar10', 'cifar100', 'synthetic'] as const;

export type DatasetName = (typeof DATASET_NAMES)[number];

/** Classes of the real datasets, so a config can't train a 10-way head on CIFAR-100. */
export const DATASET_CLASSES: Record<CifarKind, number> = { cifar10: CIFAR10_LAYOUT.numClasses, cifar100: CIFAR100_LAYOUT.numClasses };

export interface DatasetSpec {
  dataset: DatasetName;
  /** Folder holding the files (or the archive's folder); where a download goes. Unused by synthetic. */
  root: string;
  /** Fetch the official archive into root when the files are missing. Default false. */
  download?: boolean;
  /** Keep only the first N train images. Default: all. */
  limitTrain?: number;
  /** Keep only the first N test images. Default: all. */
  limitTest?: number;
  /** Seed of the synthetic dataset (the CIFAR readers draw nothing). Default 0. */
  seed?: number;
  /** Archive URL for a mirror. Default: the official one. */
  downloadUrl?: string;
  /** Expected MD5 of the archive at downloadUrl. Default: the official archive's when downloadUrl is unset. */
  downloadMd5?: string;
  /** Sizes and class count of the synthetic dataset. Default: see SyntheticOptions. */
  synthetic?: Omit<SyntheticOptions, 'seed'>;
  /** Fraction of the training set held out as the 'val' split (class-stratified, by `seed`). Default 0: none. */
  valSplit?: number;
}

/** Take the first `limit` images of a dataset (views, no copy). */
export function limitDataset(data: ImageDataset, limit: number | undefined): ImageDataset {
  if (limit === undefined || limit >= data.length) return data;
  if (!Number.isInteger(limit) || limit < 1) throw new DataError(`${data.name}: limit must be a positive integer, got ${limit}`);
  const size = data.height * data.width * data.channels;
  return { ...data, length: limit, images: data.images.subarray(0, limit * size), labels: data.labels.subarray(0, limit) };
}

/**
 * Load one split of a dataset, downloading it first when asked and missing.
 * `options` passes progress reporting and timeouts through to the download.
 */
export async function loadDataset(
  spec: DatasetSpec,
  split: Split | 'val',
  options: Omit<DownloadOptions, 'url' | 'md5'> = {},
): Promise<ImageDataset> {
  const valSplit = spec.valSplit ?? 0;
  if (split === 'val' && valSplit <= 0) throw new DataError('there is no validation split: set data.val_split, e.g. val_split: 0.1');
  if (valSplit > 0 && split !== 'test') {
    const parts = holdOut(await loadFileSplit(spec, 'train', options), valSplit, spec.seed ?? 0);
    return parts[split];
  }
  return loadFileSplit(spec, split === 'val' ? 'train' : split, options);
}

async function loadFileSplit(spec: DatasetSpec, split: Split, options: Omit<DownloadOptions, 'url' | 'md5'>): Promise<ImageDataset> {
  if (!(DATASET_NAMES as readonly string[]).includes(spec.dataset)) {
    throw new DataError(`unknown dataset ${JSON.stringify(spec.dataset)}; use one of ${DATASET_NAMES.join(', ')}`);
  }
  const limit = split === 'train' ? spec.limitTrain : spec.limitTest;
  if (spec.dataset === 'synthetic') {
    return limitDataset(makeSynthetic(split, { ...spec.synthetic, seed: spec.seed ?? 0 }), limit);
  }
  if (spec.download) {
    await downloadCifar(spec.dataset, spec.root, { ...options, url: spec.downloadUrl, md5: spec.downloadMd5 });
  }
  return readCifar(spec.dataset, spec.root, split, { limit });
}

export { DataError } from './errors.js';
export { channelStats, type ChannelTriple, type ImageDataset, type Split } from './dataset.js';
export {
  CIFAR10_LAYOUT,
  CIFAR100_LAYOUT,
  CIFAR_PIXELS,
  cifarLayout,
  hasCifar,
  locateCifar,
  readCifar,
  readCifar10,
  readCifar100,
  type CifarKind,
  type CifarLayout,
  type ReadCifarOptions,
} from './cifar.js';
export { CIFAR10_CLASSES, CIFAR100_CLASSES } from './cifar_names.js';
export { CIFAR_ARCHIVES, downloadCifar, type ArchiveSource, type DownloadOptions, type DownloadResult } from './download.js';
export { fetchToFile, type FetchOptions, type FetchResult } from './http.js';
export { extractTar, type TarEntry } from './tar.js';
export { makeSynthetic, type SyntheticOptions } from './synthetic.js';
export { holdOut } from './val_split.js';
export {
  EVAL_AUGMENT,
  applyAugment,
  augmentBatch,
  drawAugment,
  pixelTable,
  resolveAugment,
  type AugmentOptions,
  type ImageDraw,
  type ImageSource,
  type ResolvedAugment,
} from './augment.js';
export { mixSeed } from './seed.js';
export { batchGenerator, epochGenerator, prepareBatchPixels } from './prepare.js';
export { DataLoader, type Batch, type DataLoaderOptions } from './loader.js';
