/**
 * Config to components: the one mapping from an experiment config onto data loaders, a backend, a
 * model, an optimizer and replicas, shared by train, eval and anything that runs experiments from
 * code. Everything here checks its input and writes nothing to disk, so a run folder is only made
 * once all of it has succeeded.
 */
import { type BackendInfo, setBackend } from '../backend/index.js';
import { ConfigError, type ExperimentConfig } from '../config/index.js';
import { DataLoader, type DatasetSpec, loadDataset } from '../data/index.js';
import { Optimizer } from '../engine/optimizer.js';
import type { Model } from '../models/model.js';
import { Replicas, ReplicaCountError, resolveReplicaCount } from '../parallel/replicas.js';
import { type CreateModelOptions, createModel } from '../registry/index.js';
import type { Logger } from './logger.js';
import type { Resources } from './resources.js';

/** What the data layer needs of a config: the one place config keys map onto the dataset readers. */
export function datasetSpec(config: ExperimentConfig): DatasetSpec {
  const d = config.data;
  return {
    dataset: d.dataset,
    root: d.root,
    download: d.download,
    downloadUrl: d.download_url,
    downloadMd5: d.download_md5,
    limitTrain: d.limit_train || undefined,
    limitTest: d.limit_test || undefined,
    seed: config.seed,
    synthetic: { trainSize: d.synthetic.train_size, testSize: d.synthetic.test_size, numClasses: d.synthetic.num_classes },
    valSplit: d.val_split,
  };
}

/** The shuffled, augmented training loader of a config. */
export async function trainLoader(config: ExperimentConfig): Promise<DataLoader> {
  const d = config.data;
  return new DataLoader({
    dataset: await loadDataset(datasetSpec(config), 'train'),
    batchSize: d.batch_size,
    shuffle: true,
    seed: config.seed,
    workers: d.workers,
    augment: { cropPadding: d.augment.crop_padding, hflip: d.augment.hflip, cutout: d.augment.cutout, normalize: d.augment.normalize },
  });
}

/** An evaluation loader over a split: in order, only normalised (as the test set is during training). */
export async function evalLoader(config: ExperimentConfig, split: 'train' | 'test' | 'val'): Promise<DataLoader> {
  const d = config.data;
  return new DataLoader({
    dataset: await loadDataset(datasetSpec(config), split),
    batchSize: d.eval_batch_size,
    shuffle: false,
    seed: config.seed,
    workers: d.workers,
    augment: { normalize: d.augment.normalize },
  });
}

/** createModel's options of a config: the family's options, the classes and the seed. */
export function modelOptions(config: ExperimentConfig): CreateModelOptions {
  const { name: _name, num_classes, ...familyOptions } = config.model;
  return { ...familyOptions, numClasses: num_classes, seed: config.seed };
}

export function buildModel(config: ExperimentConfig): Model {
  return createModel(config.model.name, modelOptions(config));
}

export function buildOptimizer(config: ExperimentConfig, model: Model): Optimizer {
  const o = config.trainer.optimizer;
  return new Optimizer(model.namedParameters(), {
    type: o.type,
    momentum: o.momentum,
    nesterov: o.nesterov,
    weightDecay: o.weight_decay,
    betas: o.betas,
    eps: o.eps,
  });
}

/** Selects the config's backend (or `override`), logging the choice and, for 'auto', what was passed over. */
export async function selectBackend(config: ExperimentConfig, log: Logger, override?: ExperimentConfig['backend']): Promise<BackendInfo> {
  const info = await setBackend(override ?? config.backend);
  const passed = info.fallbackFrom?.length ? `; passed over: ${info.fallbackFrom.join('; ')}` : '';
  log.info({ backend: info }, `backend ${info.name}${(override ?? config.backend) === 'auto' ? ` (auto${passed})` : ''}`);
  return info;
}

/** Replicas for `count` threads (the main one included), or null for one; closed by `resources`. */
export async function startReplicas(
  config: ExperimentConfig,
  backend: string,
  count: number,
  resources: Resources,
): Promise<Replicas | null> {
  if (count <= 1) return null;
  const replicas = await Replicas.start({ model: config.model.name, modelOptions: modelOptions(config), count, backend });
  resources.add(() => replicas.close());
  return replicas;
}

export interface TrainingParts {
  backend: BackendInfo;
  model: Model;
  optimizer: Optimizer;
  train: DataLoader;
  test: DataLoader;
  /** The validation split (data.val_split), or null. */
  val: DataLoader | null;
  /** Threads sharing each training step. */
  trainReplicas: number;
  /** Threads for steps and evaluation (evaluation uses every core on the CPU backends), or null. */
  replicas: Replicas | null;
}

/** Every component of a training run, checked in order of the likeliest mistake (data, then backend, then model). */
export async function trainingParts(config: ExperimentConfig, resources: Resources, log: Logger): Promise<TrainingParts> {
  const train = resources.add(await trainLoader(config), (l) => l.close());
  const test = resources.add(await evalLoader(config, 'test'), (l) => l.close());
  const val = config.data.val_split > 0 ? resources.add(await evalLoader(config, 'val'), (l) => l.close()) : null;
  const backend = await selectBackend(config, log);
  let trainReplicas: number;
  try {
    trainReplicas = resolveReplicaCount(config.trainer.replicas, backend.name);
  } catch (e) {
    if (e instanceof ReplicaCountError) throw new ConfigError(`trainer.${e.message}`);
    throw e;
  }
  const model = resources.add(buildModel(config), (m) => m.dispose());
  const optimizer = resources.add(buildOptimizer(config, model), (o) => o.dispose());
  const poolSize = Math.max(trainReplicas, resolveReplicaCount('auto', backend.name));
  const replicas = await startReplicas(config, backend.name, poolSize, resources);
  return { backend, model, optimizer, train, test, val, trainReplicas, replicas };
}
