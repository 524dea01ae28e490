/**
 * Runs an experiment: its own loop (model.fit can't resume exactly or schedule per step), metrics
 * per epoch to RUN/metrics.jsonl and RUN/summary.csv, checkpoints in RUN/checkpoints. A run resumed
 * from any checkpoint produces the same metrics as one that never stopped.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { dumpConfig, type ExperimentConfig } from '../config/index.js';
import type { DataLoader } from '../data/index.js';
import type { ScheduleContext } from '../engine/schedule.js';
import { tf } from '../tf.js';
import { Generator } from '../util/random.js';
import { type BestEpoch, type Checkpoint, CheckpointError, readCheckpoint, type TrainingState, writeCheckpoint } from './checkpoint.js';
import { type TrainingParts, trainingParts } from './components.js';
import { trainEpoch } from './epoch.js';
import { ResumeError } from './errors.js';
import { type EvalMetrics, evaluateModel } from './evaluate_model.js';
import { type Logger, silentLogger } from './logger.js';
import type { EpochMetrics } from './metrics.js';
import { Progress } from './progress.js';
import { checkResumeConfig } from './resume_check.js';
import { Resources } from './resources.js';
import { RunFolder } from './run_folder.js';
import { onDisk, RunFolderError } from './run_folder_error.js';

export interface TrainOptions {
  /** A new run folder; created if missing. One holding a checkpoint is refused (resume it instead). */
  outDir?: string;
  /** Continue the run in this folder (the config given should be the run's own, see allowConfigChange). */
  resume?: string;
  /** The checkpoint to resume from: 'last' (default), 'best', 'step-N' (see `train --resume`). */
  from?: string;
  /** Config keys (or key prefixes) a resume may change although they alter results. */
  allowConfigChange?: readonly string[];
  /** Stop: the trainer finishes the step, writes a checkpoint and returns with interrupted: true. */
  signal?: AbortSignal;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
  /** Called after each optimizer step with the number of steps taken so far. */
  onStep?: (step: number) => void;
  /** Called once the run folder is made and locked, before anything is written there (e.g. to log to RUN/log.jsonl). */
  onRunFolder?: (folder: { dir: string; logFile: string }) => void;
  logger?: Logger;
  /** A progress bar that moves every step (true) or log lines every log_every steps (false). Default false. */
  progressBar?: boolean;
  /**
   * Take over the run folder's lock when a process of another host holds it, instead of refusing:
   * for callers that own the run by other means (a queue worker given a job whose worker stopped).
   */
  takeOverLock?: boolean;
}

export interface TrainResult {
  runDir: string;
  history: EpochMetrics[];
  best: BestEpoch | null;
  interrupted: boolean;
  /** The checkpoint written last. */
  checkpoint: string | null;
}

/** The epoch this invocation trains up to: trainer.stop_after_epochs, else the schedule's length. */
export function stopEpoch(config: ExperimentConfig): number {
  return Math.min(config.trainer.stop_after_epochs ?? config.trainer.epochs, config.trainer.epochs);
}

/** A run in progress: its parts, its folder and where training stands. */
interface Run {
  config: ExperimentConfig;
  parts: TrainingParts;
  folder: RunFolder;
  log: Logger;
  options: TrainOptions;
  state: TrainingState;
  /** The generator of the model's own draws (shake coefficients, dropout, ShakeDrop gates). */
  rng: Generator;
  schedule: ScheduleContext;
  progress: Progress;
  last: { path: string; step: number } | null;
}

/**
 * Trains `config`. Everything that can be wrong (config, model, data, backend, the resume
 * checkpoint and its config) is checked before anything is written; one owner releases every
 * resource on every path.
 */
export async function train(config: ExperimentConfig, options: TrainOptions = {}): Promise<TrainResult> {
  const log = options.logger ?? silentLogger();
  const dir = options.resume ?? options.outDir;
  if (!dir) throw new RangeError('train: give outDir (a new run folder) or resume (an existing one)');
  const resources = new Resources();
  try {
    const open = async (create: boolean) =>
      resources.add(
        await RunFolder.open(resolve(dir), {
          ...{ create, keepCheckpoints: config.trainer.keep_checkpoints, log },
          takeOverOtherHosts: options.takeOverLock,
        }),
        (f) => f.close(),
      );
    // A resumed folder is locked first, so that its checkpoint cannot change while it is read.
    const resumeFolder = options.resume ? await open(false) : null;
    const resumed = resumeFolder ? await resumePoint(resumeFolder, config, options, log) : null;
    const parts = await trainingParts(config, resources, log);
    const folder = resumeFolder ?? (await open(true));
    if (!resumeFolder) await refuseExistingRun(folder, log);
    options.onRunFolder?.({ dir: folder.dir, logFile: folder.logFile });
    const run = await begin(config, parts, folder, resumed, options, log);
    const result = await loop(run);
    await folder.writeCurves(result.history);
    return result;
  } finally {
    await resources.dispose();
  }
}

/** A new run may reuse a folder whose run stopped before its first checkpoint, not one that has some. */
async function refuseExistingRun(folder: RunFolder, log: Logger): Promise<void> {
  const existing = await folder.checkpoints.list();
  if (existing.length > 0) {
    throw new RunFolderError(
      `${folder.dir} already holds a run (checkpoints ${existing.slice(0, 3).join(', ')}); resume it with --resume ${folder.dir} or choose another folder`,
    );
  }
  if (await folder.hasConfig()) log.warn(`${folder.dir} holds a run that stopped before its first checkpoint: starting it again`);
}

/** The checkpoint a resume starts from, checked against the config; null when the run has none yet. */
async function resumePoint(folder: RunFolder, config: ExperimentConfig, options: TrainOptions, log: Logger): Promise<Checkpoint | null> {
  if (!(await folder.hasCheckpoint())) {
    if (options.from) throw new CheckpointError(`${folder.dir} holds no checkpoint yet, so there is no '${options.from}' to resume from`);
    log.warn(`${folder.dir} holds no checkpoint yet (the run stopped before its first): starting it from the beginning`);
    return null;
  }
  const file = await folder.checkpoints.find(options.from ?? 'last');
  const ckpt = await readCheckpoint(file).catch(async (e: unknown) => {
    if (!(e instanceof CheckpointError)) throw e;
    const others = (await folder.checkpoints.list()).filter((n) => !file.endsWith(`${n}.safetensors`));
    throw new CheckpointError(
      `${e.message.replace(/; use another checkpoint of the run$/, '')}; resume from another with --from (${others.join(', ') || 'none left'})`,
    );
  });
  if (ckpt.state.model !== config.model.name) {
    throw new ResumeError(
      `cannot resume ${folder.dir}: its checkpoint is of model ${ckpt.state.model}, the config asks for ${config.model.name}`,
    );
  }
  const changes = checkResumeConfig(folder.dir, ckpt.state.config, config, options.allowConfigChange ?? []);
  if (changes.length) {
    log.warn(
      { changes },
      `resuming with a changed config: ${changes.map((c) => `${c.key} ${JSON.stringify(c.was)} -> ${JSON.stringify(c.now)}`).join(', ')}`,
    );
  }
  return ckpt;
}

/** Sets up where training stands (from the checkpoint when resuming) and writes the run's config. */
async function begin(
  config: ExperimentConfig,
  parts: TrainingParts,
  folder: RunFolder,
  resumed: Checkpoint | null,
  options: TrainOptions,
  log: Logger,
): Promise<Run> {
  const configText = dumpConfig(config);
  const t = config.trainer;
  // The model's draws get a stream of their own, apart from the weight init and the data order.
  const rng = new Generator(config.seed).fork().fork();
  const state: TrainingState = {
    ...{ epoch: 0, batch: 0, step: 0, partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 }, history: [], best: null },
    rng: rng.getState(),
    model: config.model.name,
    backend: parts.backend.name,
    replicas: parts.trainReplicas,
    config: configText,
  };
  if (resumed) restore(resumed, parts, state, rng, log);
  await folder.writeConfig(configText);
  await folder.writeHistory(state.history);
  const schedule = { schedule: t.schedule, lr: t.optimizer.lr, epochs: t.epochs, stepsPerEpoch: parts.train.numBatches };
  const progress = new Progress(log, options.progressBar ?? false);
  // The step file names the step in messages; last and best are copies of it.
  const stepFile = resumed ? folder.checkpoints.pathForStep(resumed.state.step) : '';
  const last = resumed ? { path: existsSync(stepFile) ? stepFile : resumed.path, step: resumed.state.step } : null;
  const run: Run = { config, parts, folder, log, options, state, rng, schedule, progress, last };
  announce(run, resumed !== null);
  return run;
}

function restore(resumed: Checkpoint, parts: TrainingParts, state: TrainingState, rng: Generator, log: Logger): void {
  try {
    parts.model.loadStateDict(resumed.model);
    const slots = Object.entries(resumed.optimizer).map(([k, v]) => [k, tf.tensor(v.data, v.shape, v.dtype)] as const);
    parts.optimizer.loadStateDict(Object.fromEntries(slots), resumed.optimizerStep);
  } catch (e) {
    throw new CheckpointError(`checkpoint ${resumed.path} does not fit this config's model and optimizer: ${(e as Error).message}`);
  }
  const { config, backend, replicas } = state;
  Object.assign(state, resumed.state, { config, backend, replicas });
  rng.setState(resumed.state.rng);
  for (const [what, was, now] of [
    ['backend', resumed.state.backend, backend],
    ['number of replicas', resumed.state.replicas ?? 1, replicas],
  ] as const) {
    if (was !== now) log.warn({ was, now }, `resuming with another ${what}: metrics will not match an uninterrupted run to the last digit`);
  }
}

function announce(run: Run, resumed: boolean): void {
  const { config, parts, log, state } = run;
  if (resumed)
    log.info({ epoch: state.epoch, batch: state.batch, step: state.step }, `resuming at epoch ${state.epoch + 1}, batch ${state.batch}`);
  const n = parts.trainReplicas;
  log.info(
    { model: config.model.name, params: parts.model.numParameters(), backend: parts.backend.name, replicas: n, runDir: run.folder.dir },
    `training ${config.model.name} on ${parts.backend.name}${n > 1 ? ` with ${n} data-parallel replicas` : ''}`,
  );
  const cores = parts.replicas?.count ?? 1;
  if (n === 1 && cores > 1) {
    log.info(
      { cores },
      `training steps use one core of ${cores}; trainer.replicas: auto shares each batch among them (the same steps, up to ${cores}x faster)`,
    );
  }
}

async function loop(run: Run): Promise<TrainResult> {
  const { state, config, options } = run;
  const result = (interrupted: boolean): TrainResult => ({
    runDir: run.folder.dir,
    history: state.history,
    best: state.best,
    interrupted,
    checkpoint: run.last?.path ?? null,
  });
  while (state.epoch < stopEpoch(config)) {
    if (options.signal?.aborted) return result(await stop(run));
    const p = run.parts;
    const epoch = await trainEpoch({
      ...{ model: p.model, optimizer: p.optimizer, loader: p.train, replicas: p.replicas, trainReplicas: p.trainReplicas },
      ...{ rng: run.rng, trainer: config.trainer, schedule: run.schedule, state, progress: run.progress },
      ...{ signal: options.signal, onStep: options.onStep, lastCheckpoint: () => run.last?.path ?? null },
    });
    if (epoch.interrupted) return result(await stop(run));
    await finishEpoch(run, epoch.lr, epoch.seconds);
  }
  return result(false);
}

/** Checkpoints where training stands (unless that is the last checkpoint) and says how to continue. */
async function stop(run: Run): Promise<true> {
  const { state, log } = run;
  const path = run.last?.step === state.step ? run.last.path : await saveCheckpoint(run, false);
  log.info({ path, step: state.step }, `stopped at step ${state.step}: checkpoint ${path}; resume with --resume ${run.folder.dir}`);
  return true;
}

/** Scores the model on a split with a progress bar; null when `loader` is null or not due. */
async function score(run: Run, loader: DataLoader | null, what: string): Promise<EvalMetrics | null> {
  if (!loader) return null;
  const { parts, progress } = run;
  progress.startEval(`epoch ${run.state.epoch + 1}/${run.config.trainer.epochs} ${what}`, loader.numBatches);
  try {
    return await evaluateModel(parts.model, loader, 0, parts.replicas, (done) => progress.tick(done));
  } finally {
    progress.end();
  }
}

/** Whether `epoch` (0-based) ends the run, as far as this invocation goes. */
const finalEpoch = (run: Run, epoch: number) => epoch + 1 === stopEpoch(run.config);

/** Validation every epoch, the test set on eval_every epochs and the last; the best epoch by val (else test) top-1. */
async function scoreEpoch(run: Run) {
  const { state, config, parts } = run;
  const epoch = state.epoch;
  const val = await score(run, parts.val, 'val');
  const testDue = (epoch + 1) % config.trainer.eval_every === 0 || finalEpoch(run, epoch);
  const test = await score(run, testDue ? parts.test : null, 'test');
  const top1 = parts.val ? val!.top1 : test?.top1;
  const previous = state.best && (parts.val ? state.best.val_top1 : state.best.test_top1);
  const isBest = top1 !== undefined && (previous == null || top1 > previous);
  if (isBest) state.best = { epoch: epoch + 1, val_top1: val?.top1 ?? null, test_top1: test?.top1 ?? null };
  return { val, test, isBest };
}

/** Metrics, the log line and the checkpoints due at the end of an epoch. */
async function finishEpoch(run: Run, lr: number, trainSeconds: number): Promise<void> {
  const { state, config } = run;
  const t = config.trainer;
  const epoch = state.epoch;
  const evalStart = Date.now();
  const { val, test, isBest } = await scoreEpoch(run);
  const { lossSum, correct, seen } = state.partial;
  const metrics: EpochMetrics = {
    ...{ epoch: epoch + 1, step: state.step, lr, train_loss: lossSum / seen, train_top1: correct / seen },
    ...{ test_loss: test?.loss ?? null, test_top1: test?.top1 ?? null, test_top5: test?.top5 ?? null },
    ...{ val_loss: val?.loss ?? null, val_top1: val?.top1 ?? null, val_top5: val?.top5 ?? null },
    ...{ images_per_s: seen / Math.max(trainSeconds, 1e-9), seconds: trainSeconds + (Date.now() - evalStart) / 1000 },
    ...{
      best_epoch: state.best?.epoch ?? null,
      best_val_top1: state.best?.val_top1 ?? null,
      best_test_top1: state.best?.test_top1 ?? null,
    },
  };
  state.history.push(metrics);
  Object.assign(state, { epoch: epoch + 1, batch: 0, partial: { lossSum: 0, correct: 0, seen: 0, seconds: 0 } });
  await run.folder.appendEpoch(metrics, state.history);
  const scores = (name: string, m: EvalMetrics | null) =>
    m ? `, ${name} loss ${m.loss.toFixed(4)} top1 ${m.top1.toFixed(4)} top5 ${m.top5.toFixed(4)}` : '';
  run.log.info(
    metrics,
    `epoch ${metrics.epoch}/${t.epochs}: train loss ${metrics.train_loss.toFixed(4)} top1 ${metrics.train_top1.toFixed(4)}` +
      `${scores('val', val)}${scores('test', test)}, lr ${lr.toPrecision(3)}, ${metrics.images_per_s.toFixed(1)} img/s`,
  );
  if ((epoch + 1) % t.checkpoint_every === 0 || finalEpoch(run, epoch) || isBest) await saveCheckpoint(run, isBest);
  await run.options.onEpoch?.(metrics);
}

async function saveCheckpoint(run: Run, isBest: boolean): Promise<string> {
  const { state, parts, folder } = run;
  state.rng = run.rng.getState();
  const dir = folder.checkpoints;
  const path = dir.pathForStep(state.step);
  const model = parts.model.stateDict();
  const optimizer = parts.optimizer.stateDict();
  try {
    await onDisk('write the checkpoint', path, () =>
      writeCheckpoint(path, { state, model, optimizer, optimizerStep: parts.optimizer.step }),
    );
  } finally {
    tf.dispose([model, optimizer]);
  }
  await onDisk('write', dir.last, () => dir.alias(path, dir.last));
  if (isBest) await onDisk('write', dir.best, () => dir.alias(path, dir.best));
  await onDisk('prune the checkpoints in', dir.dir, () => dir.prune());
  run.last = { path, step: state.step };
  run.log.debug({ path, step: state.step }, 'checkpoint written');
  return path;
}
