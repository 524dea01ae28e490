/**
 * One epoch of training steps, from the batch where the state stands. It stops after any step when
 * asked (yielding to the event loop between steps so that a signal is seen on every backend) and
 * reads the losses a few steps at a time, so the device stays busy but a NaN is caught at its step.
 */
import type { ExperimentConfig } from '../config/index.js';
import type { DataLoader } from '../data/index.js';
import type { Optimizer } from '../engine/optimizer.js';
import { learningRate, type ScheduleContext } from '../engine/schedule.js';
import { type StepResult, trainStep } from '../engine/step.js';
import type { Model } from '../models/model.js';
import type { Replicas } from '../parallel/replicas.js';
import { tf } from '../tf.js';
import type { Generator } from '../util/random.js';
import type { TrainingState } from './checkpoint.js';
import { TrainingDivergedError } from './errors.js';
import type { Progress } from './progress.js';

export interface EpochRun {
  model: Model;
  optimizer: Optimizer;
  loader: DataLoader;
  replicas: Replicas | null;
  trainReplicas: number;
  /** The generator of the model's own draws. */
  rng: Generator;
  trainer: ExperimentConfig['trainer'];
  schedule: ScheduleContext;
  state: TrainingState;
  progress: Progress;
  signal?: AbortSignal;
  onStep?: (step: number) => void;
  /** For the divergence message: the checkpoint a user can go back to. */
  lastCheckpoint: () => string | null;
}

interface Pending {
  step: number;
  batch: number;
  n: number;
  result: StepResult;
}

/** Adds read losses to the epoch's sums; throws TrainingDivergedError at a non-finite one. */
async function readLosses(run: EpochRun, pending: Pending[]): Promise<void> {
  const { state } = run;
  const stacked = tf.tidy(() => tf.stack(pending.flatMap((p) => [p.result.loss, p.result.correct])));
  let values: Float32Array;
  try {
    values = (await stacked.data()) as Float32Array;
  } finally {
    stacked.dispose();
    for (const p of pending) tf.dispose([p.result.loss, p.result.correct]);
  }
  pending.forEach((p, i) => {
    const loss = values[2 * i]!;
    if (!Number.isFinite(loss)) {
      throw new TrainingDivergedError(
        `the loss became ${loss} at step ${p.step + 1} (epoch ${state.epoch + 1}, batch ${p.batch + 1}); the run stopped, ` +
          `its last good checkpoint is ${run.lastCheckpoint() ?? 'none (none was written yet)'}; lower trainer.optimizer.lr or set trainer.grad_clip`,
      );
    }
    state.partial.lossSum += loss * p.n;
    state.partial.correct += values[2 * i + 1]!;
    state.partial.seen += p.n;
  });
}

async function step(run: EpochRun, x: tf.Tensor4D, y: tf.Tensor1D, lr: number): Promise<StepResult> {
  const t = run.trainer;
  const options = { lr, rng: run.rng, labelSmoothing: t.label_smoothing, gradClip: t.grad_clip, microBatch: t.micro_batch };
  try {
    return run.replicas && run.trainReplicas > 1
      ? await run.replicas.trainStep(run.model, run.optimizer, x, y, options, run.trainReplicas)
      : trainStep(run.model, run.optimizer, x, y, options);
  } finally {
    tf.dispose([x, y]);
  }
}

/** Trains the rest of the state's epoch; returns whether it stopped early on the signal, and the last lr. */
export async function trainEpoch(run: EpochRun): Promise<{ interrupted: boolean; lr: number; seconds: number }> {
  const { state, loader, progress } = run;
  const epochStart = Date.now() - state.partial.seconds * 1000;
  const seconds = () => (Date.now() - epochStart) / 1000;
  const { height, width, channels } = loader.dataset;
  let pending: Pending[] = [];
  let lr = learningRate(state.step, run.schedule);
  const flush = async () => {
    if (!pending.length) return;
    const batch = pending;
    pending = [];
    await readLosses(run, batch);
    const { lossSum, correct, seen } = state.partial;
    const info = {
      epoch: state.epoch,
      step: state.step,
      loss: lossSum / seen,
      top1: correct / seen,
      lr,
      imagesPerSecond: seen / Math.max(seconds(), 1e-9),
    };
    progress.update(state.batch, info);
  };
  progress.startEpoch(state.epoch, run.trainer.epochs, loader.numBatches, state.batch);
  try {
    for await (const b of loader.batches(state.epoch, state.batch)) {
      lr = learningRate(state.step, run.schedule);
      const result = await step(run, tf.tensor4d(b.x, [b.n, height, width, channels]), tf.tensor1d(b.y, 'int32'), lr);
      pending.push({ step: state.step, batch: b.index, n: b.n, result });
      state.step += 1;
      state.batch = b.index + 1;
      run.onStep?.(state.step);
      progress.tick(state.batch);
      if (pending.length >= run.trainer.log_every) await flush();
      // A macrotask turn: without it a synchronous backend never lets a signal handler run.
      await new Promise((r) => setImmediate(r));
      if (run.signal?.aborted) break;
    }
    await flush();
  } finally {
    for (const p of pending) tf.dispose([p.result.loss, p.result.correct]);
    progress.end();
  }
  state.partial.seconds = seconds();
  return { interrupted: state.batch < loader.numBatches, lr, seconds: seconds() };
}
