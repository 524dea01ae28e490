import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { BackendName } from '../backend/index.js';
import { ConfigError, type ExperimentConfig, parseConfigText } from '../config/index.js';
import { readSafetensorsFile } from '../io/index.js';
import type { Model } from '../models/model.js';
import { resolveReplicaCount, type ReplicaCount } from '../parallel/replicas.js';
import { type Checkpoint, CheckpointDir, NotACheckpointError, readCheckpoint } from './checkpoint.js';
import { buildModel, evalLoader, selectBackend, startReplicas } from './components.js';
import { type EvalMetrics, evaluateModel } from './evaluate_model.js';
import { type Logger, silentLogger } from './logger.js';
import { Progress } from './progress.js';
import { Resources } from './resources.js';

export interface EvaluateOptions {
  /** A run folder (its last checkpoint and its own config), a checkpoint file, or plain weights (with `config`). */
  checkpoint: string;
  /** Overrides the config the checkpoint carries (model and data settings); required for plain weights. */
  config?: ExperimentConfig;
  /** Reads the data from here instead of the config's data.root (not for synthetic data). */
  dataRoot?: string;
  /** Default 'test'; 'val' is the run's validation hold-out (data.val_split). */
  split?: 'train' | 'test' | 'val';
  /** Default: the config's backend. */
  backend?: BackendName;
  /** Data-parallel replicas on wasm and cpu (same results, one core each). Default 'auto': one per core. */
  replicas?: ReplicaCount;
  logger?: Logger;
  /** A progress bar that moves every batch. Default false. */
  progressBar?: boolean;
}

export interface EvaluateResult extends EvalMetrics {
  checkpoint: string;
  model: string;
  split: 'train' | 'test' | 'val';
  /** The training epoch the checkpoint was taken at; null for plain weights. */
  epoch: number | null;
}

/** What is scored: weights and the config that builds and feeds their model. */
interface Target {
  file: string;
  config: ExperimentConfig;
  weights: Checkpoint['model'] | Record<string, unknown>;
  epoch: number | null;
}

async function target(options: EvaluateOptions): Promise<Target> {
  const path = resolve(options.checkpoint);
  const isDir = (await stat(path).catch(() => null))?.isDirectory() ?? false;
  const file = isDir ? await new CheckpointDir(join(path, 'checkpoints'), 1).find('last') : path;
  let ckpt: Checkpoint;
  try {
    ckpt = await readCheckpoint(file);
  } catch (e) {
    if (!(e instanceof NotACheckpointError) || !options.config) throw e;
    return { file, config: options.config, weights: (await readSafetensorsFile(file)).tensors, epoch: null };
  }
  let config = options.config;
  if (!config) {
    const runConfig = isDir ? join(path, 'config.yaml') : null;
    const text = runConfig ? await readFile(runConfig, 'utf8').catch(() => ckpt.state.config) : ckpt.state.config;
    config = parseConfigText(text, runConfig ?? `${file} (embedded config)`);
  }
  return { file, config, weights: ckpt.model, epoch: ckpt.state.epoch };
}

function withDataRoot(config: ExperimentConfig, root: string | undefined): ExperimentConfig {
  if (!root) return config;
  if (config.data.dataset === 'synthetic') {
    throw new ConfigError(`--data ${root}: this run trained on the synthetic dataset, which is generated, not read; drop --data`);
  }
  return { ...config, data: { ...config.data, root: resolve(root) } };
}

/**
 * Scores a checkpoint. On a run folder it uses the run's last checkpoint and the run's own data
 * settings, so it reproduces the test metrics the run logged for that epoch.
 */
export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const log = options.logger ?? silentLogger();
  const t = await target(options);
  const config = withDataRoot(t.config, options.dataRoot);
  const split = options.split ?? 'test';
  const resources = new Resources();
  try {
    const loader = resources.add(await evalLoader(config, split), (l) => l.close());
    const backend = await selectBackend(config, log, options.backend);
    const count = resolveReplicaCount(options.replicas ?? 'auto', backend.name);
    const model: Model = resources.add(buildModel(config), (m) => m.dispose());
    model.loadStateDict(t.weights as Parameters<Model['loadStateDict']>[0]);
    const replicas = await startReplicas(config, backend.name, count, resources);
    const progress = new Progress(log, options.progressBar ?? false);
    progress.startEval(`${config.model.name} ${split}`, loader.numBatches);
    const metrics = await evaluateModel(model, loader, 0, replicas, (done) => progress.tick(done)).finally(() => progress.end());
    return { ...metrics, checkpoint: t.file, model: config.model.name, split, epoch: t.epoch };
  } finally {
    await resources.dispose();
  }
}
