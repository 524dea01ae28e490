import { tf } from '../tf.js';
import { stat, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setBackend, type BackendName } from '../backend/index.js';
import { parseConfigText, type ExperimentConfig } from '../config/index.js';
import { DataLoader, loadDataset } from '../data/index.js';
import { readCheckpoint } from './checkpoint.js';
import { evaluateModel, type EvalMetrics } from './evaluate_model.js';
import { Replicas, resolveReplicaCount, type ReplicaCount } from '../parallel/replicas.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { buildModel, datasetSpec, latestCheckpoint, makeLoaders, modelOptions } from './trainer.js';

export interface EvaluateOptions {
  /** A run folder (its last checkpoint and its own config) or a checkpoint file. */
  checkpoint: string;
  /** Overrides the config the checkpoint carries (model and data settings). */
  config?: ExperimentConfig;
  /** Reads the data from here instead of the config's data.root. */
  dataRoot?: string;
  /** Default 'test'. */
  split?: 'train' | 'test';
  /** Default: the config's backend. */
  backend?: BackendName;
  /** Data-parallel replicas on wasm and cpu (same results, one core each). Default 'auto': one per core. */
  replicas?: ReplicaCount;
  logger?: Logger;
}

export interface EvaluateResult extends EvalMetrics {
  checkpoint: string;
  model: string;
  split: 'train' | 'test';
  /** The training epoch the checkpoint was taken at. */
  epoch: number;
}

/**
 * Scores a checkpoint. On a run folder it uses the run's last checkpoint and the run's own data
 * settings, so it reproduces the test metrics the run logged for that epoch.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const log = options.logger ?? silentLogger();
  const target = resolve(options.checkpoint);
  const isDir = (await stat(target).catch(() => null))?.isDirectory() ?? false;
  const file = isDir ? await latestCheckpoint(target) : target;
  const ckpt = await readCheckpoint(file);
  let config = options.config;
  if (!config) {
    const runConfig = isDir ? join(target, 'config.yaml') : null;
    const text = runConfig ? await readFile(runConfig, 'utf8').catch(() => ckpt.state.config) : ckpt.state.config;
    config = parseConfigText(text, runConfig ?? `${file} (embedded config)`);
  }
  if (options.dataRoot) config = { ...config, data: { ...config.data, root: resolve(options.dataRoot) } };
  const split = options.split ?? 'test';
  const backend = await setBackend(options.backend ?? config.backend, { logger: { info: (o, m) => log.info(o, m) } });
  const count = resolveReplicaCount(options.replicas ?? 'auto', backend.name);
  const model = buildModel(config);
  let loader: DataLoader;
  if (split === 'test') {
    loader = (await makeLoaders(config, 'test')).test!;
  } else {
    const d = config.data;
    const dataset = await loadDataset(datasetSpec(config), 'train');
    loader = new DataLoader({
      dataset,
      batchSize: d.eval_batch_size,
      shuffle: false,
      workers: d.workers,
      augment: { normalize: d.augment.normalize },
    });
  }
  let replicas: Replicas | null = null;
  try {
    model.loadStateDict(ckpt.model);
    if (count > 1)
      replicas = await Replicas.start({ model: config.model.name, modelOptions: modelOptions(config), count, backend: tf.getBackend() });
    const metrics = await evaluateModel(model, loader, 0, replicas);
    return { ...metrics, checkpoint: file, model: config.model.name, split, epoch: ckpt.state.epoch };
  } finally {
    await Promise.all([loader.close(), replicas?.close()]);
    model.dispose();
  }
}
