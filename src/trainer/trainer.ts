import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setBackend } from '../backend/index.js';
import { ConfigError, dumpConfig, type ExperimentConfig } from '../config/index.js';
import { DataLoader, loadDataset, type DatasetSpec } from '../data/index.js';
import { createModel, type CreateModelOptions } from '../registry/index.js';
import type { Model } from '../models/model.js';
import { Generator } from '../util/random.js';
import { writeFileAtomic } from '../io/atomic.js';
import { tf } from '../tf.js';
import { CheckpointDir, readCheckpoint, writeCheckpoint, CheckpointError, type TrainingState } from './checkpoint.js';
import { evaluateModel } from './evaluate_model.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { appendMetrics, writeMetricsHistory, writeSummaryCsv, type EpochMetrics } from './metrics.js';
import { Optimizer } from '../engine/optimizer.js';
import { Progress } from './progress.js';
import { learningRate } from '../engine/schedule.js';
import { Replicas, resolveReplicaCount } from '../parallel/replicas.js';
import { trainStep, type StepResult } from '../engine/step.js';

export interface TrainOptions {
  /** The run folder; created if missing. Required unless resuming. */
  outDir?: string;
  /** Continue the run in this folder from its last checkpoint (the config given should be the run's own). */
  resume?: string;
  /** Abort: the trainer finishes the step, writes a checkpoint and returns with interrupted: true. */
  signal?: AbortSignal;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Called after each optimizer step with the number of steps taken so far. */
  onStep?: (step: number) => void;
  logger?: Logger;
  /** A progress bar (true) or periodic log lines (false). Default false. */
  progressBar?: boolean;
}

export interface TrainResult {
  runDir: string;
  history: EpochMetrics[];
  best: { epoch: number; test_top1: number } | null;
  interrupted: boolean;
  /** The checkpoint written last. */
  checkpoint: string | null;
}

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
}

export class ResumeError extends Error {
  override name = 'ResumeError';
}

/** The data side of a run: what train and eval share, so eval reproduces a run's test metrics. */
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
  };
}

export async function makeLoaders(config: ExperimentConfig, split: 'train' | 'test' | 'both' = 'both') {
  const d = config.data;
  const spec = datasetSpec(config);
  const train =
    split === 'test'
      ? null
      : new DataLoader({
          dataset: await loadDataset(spec, 'train'),
          batchSize: d.batch_size,
          shuffle: true,
          seed: config.seed,
          workers: d.workers,
          augment: {
            cropPadding: d.augment.crop_padding,
            hflip: d.augment.hflip,
            cutout: d.augment.cutout,
            normalize: d.augment.normalize,
          },
        });
  const test =
    split === 'train'
      ? null
      : new DataLoader({
          dataset: await loadDataset(spec, 'test'),
          batchSize: d.eval_batch_size,
          shuffle: false,
          seed: config.seed,
          workers: d.workers,
          augment: { normalize: d.augment.normalize },
        });
  return { train, test };
}

export function buildModel(config: ExperimentConfig): Model {
  return createModel(config.model.name, modelOptions(config));
}

export function modelOptions(config: ExperimentConfig): CreateModelOptions {
  const { name: _name, num_classes, ...familyOptions } = config.model;
  return { ...familyOptions, numClasses: num_classes, seed: config.seed };
}

export async function latestCheckpoint(runDir: string): Promise<string> {
  const dir = join(runDir, 'checkpoints');
  let files: string[];
  try {
    files = await readdir(dir);
  } catch {
    throw new CheckpointError(`${runDir} has no checkpoints/ folder; pass a run folder made by 'archai-ts train' or a checkpoint file`);
  }
  if (files.includes('last.safetensors')) return join(dir, 'last.safetensors');
  const steps = files.filter((f) => /^step-\d+\.safetensors$/.test(f)).sort();
  if (!steps.length) throw new CheckpointError(`${dir} holds no checkpoint yet; the run stopped before its first one`);
  return join(dir, steps[steps.length - 1]);
}

/**
 * Runs an experiment: its own loop (model.fit can't resume exactly or schedule per step), metrics
 * per epoch to RUN/metrics.jsonl and RUN/summary.csv, checkpoints in RUN/checkpoints. A run
 * resumed from any checkpoint produces the same metrics as one that never stopped.
 */
export async function train(config: ExperimentConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.logger ?? silentLogger();
  const runDir = options.resume ?? options.outDir;
  if (!runDir) throw new RangeError('train: give outDir (a new run folder) or resume (an existing one)');
  const resumed = options.resume ? await readCheckpoint(await latestCheckpoint(options.resume)) : null;
  if (resumed && resumed.state.model !== config.model.name) {
    throw new ResumeError(
      `cannot resume ${runDir}: its checkpoint is of model ${resumed.state.model}, the config asks for ${config.model.name}`,
    );
  }

  // Data first: a wrong root or file is the likeliest mistake, reported before anything is written.
  const loaders = await makeLoaders(config);
  const trainLoader = loaders.train!;
  const testLoader = loaders.test!;
  const backend = await setBackend(config.backend, { logger: { info: (o, m) => log.info(o, m) } }).catch(async (e: unknown) => {
    await Promise.all([trainLoader.close(), testLoader.close()]);
    throw e;
  });
  let trainReplicas: number;
  try {
    trainReplicas = resolveReplicaCount(config.trainer.replicas, backend.name);
  } catch (e) {
    await Promise.all([trainLoader.close(), testLoader.close()]);
    throw new ConfigError(`trainer.${(e as Error).message}`);
  }
  // Evaluation shares its batches among every core on the CPU backends whatever trainer.replicas says.
  const poolSize = Math.max(trainReplicas, resolveReplicaCount('auto', backend.name));
  await mkdir(join(runDir, 'checkpoints'), { recursive: true });
  const configText = dumpConfig(config);
  await writeFileAtomic(join(runDir, 'config.yaml'), configText);

  const t = config.trainer;
  const model = buildModel(config);
  const optimizer = new Optimizer(model.namedParameters(), {
    type: config.trainer.optimizer.type,
    lr: config.trainer.optimizer.lr,
    momentum: config.trainer.optimizer.momentum,
    nesterov: config.trainer.optimizer.nesterov,
    weightDecay: config.trainer.optimizer.weight_decay,
    betas: config.trainer.optimizer.betas,
    eps: config.trainer.optimizer.eps,
  });
  const checkpoints = new CheckpointDir(join(runDir, 'checkpoints'), config.trainer.keep_checkpoints);
  const stepsPerEpoch = trainLoader.numBatches;
  const scheduleCtx = { schedule: t.schedule, lr: t.optimizer.lr, epochs: t.epochs, stepsPerEpoch };
  // The shake draws get a stream of their own, apart from the weight init and the data order.
  const shakeRng = new Generator(config.seed).fork().fork();

  const state: TrainingState = {
    epoch: 0,
    batch: 0,
    step: 0,
    rng: shakeRng.getState(),
    partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 },
    history: [],
    best: null,
    model: config.model.name,
    backend: backend.name,
    replicas: trainReplicas,
    config: configText,
  };
  if (resumed) {
    try {
      model.loadStateDict(resumed.model);
      optimizer.loadStateDict(
        Object.fromEntries(Object.entries(resumed.optimizer).map(([k, v]) => [k, tf.tensor(v.data, v.shape, v.dtype)])),
        resumed.optimizerStep,
      );
    } catch (e) {
      throw new CheckpointError(`checkpoint ${resumed.path} does not fit this config's model and optimizer: ${(e as Error).message}`);
    }
    Object.assign(state, resumed.state, { config: configText, backend: backend.name, replicas: trainReplicas });
    shakeRng.setState(resumed.state.rng);
    if (resumed.state.backend !== backend.name) {
      log.warn(
        { was: resumed.state.backend, now: backend.name },
        'resuming on another backend: metrics will not match an uninterrupted run to the last digit',
      );
    }
    if ((resumed.state.replicas ?? 1) !== trainReplicas) {
      log.warn(
        { was: resumed.state.replicas ?? 1, now: trainReplicas },
        'resuming with another number of replicas: metrics will not match an uninterrupted run to the last digit',
      );
    }
    await writeMetricsHistory(join(runDir, 'metrics.jsonl'), state.history);
    log.info(
      { runDir, epoch: state.epoch, batch: state.batch, step: state.step },
      `resuming at epoch ${state.epoch + 1}, batch ${state.batch}`,
    );
  }
  log.info(
    { model: config.model.name, params: model.numParameters(), backend: backend.name, replicas: trainReplicas, runDir },
    `training ${config.model.name} on ${backend.name}${trainReplicas > 1 ? ` with ${trainReplicas} data-parallel replicas` : ''}`,
  );
  if (trainReplicas === 1 && poolSize > 1) {
    log.info(
      { cores: poolSize },
      `training steps use one core of ${poolSize}; trainer.replicas: auto shares each batch among them (the same steps, up to ${poolSize}x faster)`,
    );
  }

  const progress = new Progress(log, options.progressBar ?? false);
  let lastCheckpoint: string | null = resumed ? checkpoints.pathForStep(resumed.state.step) : null;
  let lastCheckpointStep = resumed?.state.step ?? -1;
  const saveCheckpoint = async (isBest: boolean): Promise<string> => {
    state.rng = shakeRng.getState();
    const path = checkpoints.pathForStep(state.step);
    const modelState = model.stateDict();
    const optimState = optimizer.stateDict();
    try {
      await writeCheckpoint(path, { state, model: modelState, optimizer: optimState, optimizerStep: optimizer.step });
    } finally {
      tf.dispose([modelState, optimState]);
    }
    await checkpoints.alias(path, checkpoints.last);
    if (isBest) await checkpoints.alias(path, checkpoints.best);
    await checkpoints.prune();
    lastCheckpoint = path;
    lastCheckpointStep = state.step;
    log.debug({ path, step: state.step }, 'checkpoint written');
    return path;
  };

  let replicas: Replicas | null = null;
  try {
    if (poolSize > 1)
      replicas = await Replicas.start({
        model: config.model.name,
        modelOptions: modelOptions(config),
        count: poolSize,
        backend: tf.getBackend(),
      });
    while (state.epoch < t.epochs) {
      const epoch = state.epoch;
      if (options.signal?.aborted) {
        const path = lastCheckpoint && lastCheckpointStep === state.step ? lastCheckpoint : await saveCheckpoint(false);
        log.info({ path, step: state.step }, `interrupted at the end of epoch ${epoch}; resume with --resume ${runDir}`);
        return { runDir, history: state.history, best: state.best, interrupted: true, checkpoint: path };
      }
      const epochStart = Date.now() - state.partial.seconds * 1000;
      progress.startEpoch(epoch, t.epochs, stepsPerEpoch, state.batch);
      let pending: Array<{ step: number; batch: number; n: number; result: StepResult }> = [];
      let lr = learningRate(state.step, scheduleCtx);
      // Reading losses a few steps at a time keeps the device busy; NaN is still caught at its step.
      const flush = async () => {
        if (!pending.length) return;
        const batch = pending;
        pending = [];
        const stacked = tf.tidy(() => tf.stack(batch.flatMap((p) => [p.result.loss, p.result.correct])));
        const values = await stacked.data();
        stacked.dispose();
        for (const p of batch) tf.dispose([p.result.loss, p.result.correct]);
        batch.forEach((p, i) => {
          const loss = values[2 * i];
          if (!Number.isFinite(loss)) {
            throw new TrainingDivergedError(
              `the loss became ${loss} at step ${p.step + 1} (epoch ${epoch + 1}, batch ${p.batch + 1}); the run stopped, ` +
                `its last good checkpoint is ${lastCheckpoint ?? 'none (none was written yet)'}; lower trainer.optimizer.lr or set trainer.grad_clip`,
            );
          }
          state.partial.lossSum += loss * p.n;
          state.partial.correct += values[2 * i + 1];
          state.partial.seen += p.n;
        });
        const seconds = (Date.now() - epochStart) / 1000;
        progress.update(state.batch, {
          epoch,
          step: state.step,
          loss: state.partial.lossSum / state.partial.seen,
          top1: state.partial.correct / state.partial.seen,
          lr,
          imagesPerSecond: state.partial.seen / Math.max(seconds, 1e-9),
        });
      };

      let interrupted = false;
      for await (const b of trainLoader.batches(epoch, state.batch)) {
        lr = learningRate(state.step, scheduleCtx);
        const x = tf.tensor4d(b.x, [b.n, trainLoader.dataset.height, trainLoader.dataset.width, trainLoader.dataset.channels]);
        const y = tf.tensor1d(b.y, 'int32');
        const stepOptions = { lr, rng: shakeRng, labelSmoothing: t.label_smoothing, gradClip: t.grad_clip, microBatch: t.micro_batch };
        let result: StepResult;
        try {
          result =
            replicas && trainReplicas > 1
              ? await replicas.trainStep(model, optimizer, x, y, stepOptions, trainReplicas)
              : trainStep(model, optimizer, x, y, stepOptions);
        } finally {
          tf.dispose([x, y]);
        }
        pending.push({ step: state.step, batch: b.index, n: b.n, result });
        state.step += 1;
        state.batch = b.index + 1;
        options.onStep?.(state.step);
        if (pending.length >= t.log_every || options.signal?.aborted) await flush();
        if (options.signal?.aborted) {
          interrupted = true;
          break;
        }
      }
      await flush();
      progress.endEpoch();
      if (interrupted) {
        state.partial.seconds = (Date.now() - epochStart) / 1000;
        const path = await saveCheckpoint(false);
        log.info({ path, step: state.step }, `interrupted: checkpoint written at step ${state.step}; resume with --resume ${runDir}`);
        return { runDir, history: state.history, best: state.best, interrupted: true, checkpoint: path };
      }

      const trainSeconds = (Date.now() - epochStart) / 1000;
      const isLast = epoch + 1 === t.epochs;
      const test = (epoch + 1) % t.eval_every === 0 || isLast ? await evaluateModel(model, testLoader, 0, replicas) : null;
      const isBest = test !== null && (state.best === null || test.top1 > state.best.test_top1);
      if (isBest) state.best = { epoch: epoch + 1, test_top1: test!.top1 };
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        step: state.step,
        lr,
        train_loss: state.partial.lossSum / state.partial.seen,
        train_top1: state.partial.correct / state.partial.seen,
        test_loss: test?.loss ?? null,
        test_top1: test?.top1 ?? null,
        test_top5: test?.top5 ?? null,
        images_per_s: state.partial.seen / Math.max(trainSeconds, 1e-9),
        seconds: (Date.now() - epochStart) / 1000,
        best_epoch: state.best?.epoch ?? null,
        best_test_top1: state.best?.test_top1 ?? null,
      };
      state.history.push(metrics);
      state.epoch = epoch + 1;
      state.batch = 0;
      state.partial = { lossSum: 0, correct: 0, seen: 0, seconds: 0 };
      await appendMetrics(join(runDir, 'metrics.jsonl'), metrics);
      await writeSummaryCsv(join(runDir, 'summary.csv'), state.history);
      log.info(
        metrics,
        `epoch ${metrics.epoch}/${t.epochs}: train loss ${metrics.train_loss.toFixed(4)} top1 ${metrics.train_top1.toFixed(4)}` +
          (test ? `, test loss ${test.loss.toFixed(4)} top1 ${test.top1.toFixed(4)} top5 ${test.top5.toFixed(4)}` : '') +
          `, lr ${lr.toPrecision(3)}, ${metrics.images_per_s.toFixed(1)} img/s`,
      );
      if ((epoch + 1) % t.checkpoint_every === 0 || isLast || isBest) await saveCheckpoint(isBest);
      await options.onEpoch?.(metrics);
    }
    return { runDir, history: state.history, best: state.best, interrupted: false, checkpoint: lastCheckpoint };
  } finally {
    progress.endEpoch();
    await Promise.all([trainLoader.close(), testLoader.close(), replicas?.close()]);
    optimizer.dispose();
    model.dispose();
  }
}
