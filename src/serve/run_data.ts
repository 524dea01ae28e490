/**
 * What the demo page needs to know of a run besides its files: the model to build, the classes,
 * the normalisation of its data, and some test images, read with the repo's data loader from the
 * run's own data settings (its synthetic test set if it trained on synthetic data).
 */
import { DataError } from '../data/errors.js';
import { loadConfig, type ExperimentConfig } from '../config/index.js';
import { CIFAR10_CLASSES, CIFAR100_CLASSES, cifarLayout, loadDataset, type ImageDataset } from '../data/index.js';
import { datasetSpec, modelOptions } from '../trainer/components.js';
import type { RunFiles } from './run_files.js';

/** info.json: everything the page needs to build the model and read images as the run did. */
export interface RunInfo {
  run: string;
  model: string;
  /** createModel's options, as the trainer built the model. */
  modelOptions: Record<string, unknown>;
  checkpoint: 'best' | 'last';
  dataset: string;
  numClasses: number;
  classNames: string[];
  /** Per-channel mean and std of pixel/255 the run normalised with (when `normalize`). */
  mean: number[];
  std: number[];
  normalize: boolean;
  /** Why there are no test images, when there are none (e.g. the CIFAR files are not on this machine). */
  testImagesNote?: string;
}

/** test-images.json: the first images of the test split, raw bytes (32x32x3, HWC) in base64. */
export interface TestImages {
  images: Array<{ index: number; label: number; pixels: string }>;
}

/** The run's info and test images; only the config being unreadable is an error (missing data files are a note). */
export async function readRunData(files: RunFiles, count: number): Promise<{ info: RunInfo; testImages: TestImages }> {
  const { config } = await loadConfig(files.config);
  let data: ImageDataset | null = null;
  let note: string | undefined;
  try {
    // Never download from a server command; the CIFAR reader reads only the records asked for.
    const spec = { ...datasetSpec(config), download: false };
    data = await loadDataset({ ...spec, limitTest: Math.min(count, spec.limitTest ?? count) }, 'test');
  } catch (e) {
    // A synthetic set is generated, so any failure there is a real error; CIFAR files may just be elsewhere.
    if (!(e instanceof DataError) || config.data.dataset === 'synthetic') throw e;
    note = e.message;
  }
  const info: RunInfo = {
    run: files.dir,
    model: config.model.name,
    modelOptions: modelOptions(config) as Record<string, unknown>,
    checkpoint: files.checkpointName,
    dataset: config.data.dataset,
    numClasses: config.model.num_classes,
    classNames: classNames(config, data),
    ...normalisation(config, data),
    normalize: config.data.augment.normalize,
    ...(note ? { testImagesNote: note } : {}),
  };
  return { info, testImages: { images: data ? pickImages(data, count) : [] } };
}

/** The dataset's statistics; without its files, CIFAR's published constants (the readers use the same). */
function normalisation(config: ExperimentConfig, data: ImageDataset | null): { mean: number[]; std: number[] } {
  const dataset = config.data.dataset;
  if (data) return { mean: [...data.mean], std: [...data.std] };
  // readRunData rethrows any failure to make a synthetic set, so only CIFAR gets here.
  const layout = cifarLayout(dataset === 'synthetic' ? 'cifar10' : dataset);
  return { mean: [...layout.mean], std: [...layout.std] };
}

function classNames(config: ExperimentConfig, data: ImageDataset | null): string[] {
  if (data?.classNames?.length === config.model.num_classes) return data.classNames;
  if (config.data.dataset === 'cifar10') return [...CIFAR10_CLASSES];
  if (config.data.dataset === 'cifar100') return [...CIFAR100_CLASSES];
  return Array.from({ length: config.model.num_classes }, (_, k) => `class ${k}`);
}

function pickImages(data: ImageDataset, count: number): TestImages['images'] {
  const size = data.height * data.width * data.channels;
  const n = Math.min(count, data.length);
  return Array.from({ length: n }, (_, i) => ({
    index: i,
    label: data.labels[i]!,
    pixels: Buffer.from(data.images.subarray(i * size, (i + 1) * size)).toString('base64'),
  }));
}
