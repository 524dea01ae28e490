import { tf } from '../tf.js';
import type { Model } from '../models/model.js';
import type { Generator } from '../util/random.js';
import type { Optimizer } from './optimizer.js';
import type { AllReduce } from '../backend/host/batchnorm_kernels.js';
import { planMicroBatches, type MicroBatch } from './micro_batch.js';

export interface StepOptions {
  lr: number;
  rng: Generator;
  /** Default 0. */
  labelSmoothing?: number;
  /** Max global L2 norm of the gradients; 0 = off. Default 0. */
  gradClip?: number;
  /**
   * At most this many images per forward/backward pass: a larger batch is split into near-equal
   * micro-batches whose gradients are averaged before the one update (see micro_batch.ts for the
   * BatchNorm semantics). 0 or undefined: the whole batch (autoMicroBatch gives what a backend holds).
   */
  microBatch?: number;
}

/** What a step leaves to be read later: reading now would stall the device every step. */
export interface StepResult {
  /** Mean loss of the batch. */
  loss: tf.Scalar;
  /** Correct top-1 predictions in the batch. */
  correct: tf.Scalar;
}

/** Cross entropy as PyTorch's F.cross_entropy(label_smoothing=ε): mean over the batch. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, labelSmoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const onehot = tf.oneHot(labels, logits.shape[1]);
    return tf.losses.softmaxCrossEntropy(onehot, logits, undefined, labelSmoothing) as tf.Scalar;
  });
}

/** Forward, backward, clip and update: one SGD step, tidy-clean. */
export function trainStep(model: Model, optimizer: Optimizer, x: tf.Tensor4D, y: tf.Tensor1D, options: StepOptions): StepResult {
  const parts = planMicroBatches(x.shape, options.microBatch, options.rng);
  const state = parts.length > 1 ? BufferState.save(model) : null;
  let sums: PartialSums;
  try {
    sums = runMicroBatches(model, x, y, parts, x.shape[0], options, state);
  } catch (e) {
    state?.dispose();
    throw e;
  }
  try {
    state?.finish(sums.buffers);
    applyUpdate(model, optimizer, sums.grads, options);
  } finally {
    tf.dispose([...sums.grads, ...sums.buffers]);
  }
  return { loss: sums.loss, correct: sums.correct };
}

/**
 * Sums over some micro-batches of one batch of N, each weighted n_i / N: gradients (in the order of
 * model.parameters()), loss, and, when the step is split, the running-statistic buffers each
 * micro-batch left (in floatBuffers order; empty when the step is not split).
 * Correct predictions are a plain sum.
 */
export interface PartialSums {
  grads: tf.Tensor[];
  loss: tf.Scalar;
  correct: tf.Scalar;
  buffers: tf.Tensor[];
}

/**
 * The running statistics at the start of a split step. Every micro-batch starts from them and
 * leaves its own; the step ends with their weighted mean: one momentum update with the mean of the
 * micro-batches' statistics, whichever thread ran which micro-batch.
 */
/**
 * The model's float32 buffers (BatchNorm's running statistics), in namedBuffers order: the ones a
 * split step averages and data-parallel replicas exchange. Integer buffers (counters) are left out.
 */
export function floatBuffers(model: Model): Array<[string, tf.Variable]> {
  return [...model.namedBuffers()].filter(([, v]) => v.dtype === 'float32');
}

export class BufferState {
  private constructor(
    private readonly floats: Array<[string, tf.Variable, tf.Tensor]>,
    private readonly others: Array<[tf.Variable, tf.Tensor]>,
  ) {}

  static save(model: Model): BufferState {
    const floats = floatBuffers(model).map(([k, v]): [string, tf.Variable, tf.Tensor] => [k, v, tf.clone(v)]);
    const others = [...model.namedBuffers().values()]
      .filter((v) => v.dtype !== 'float32')
      .map((v): [tf.Variable, tf.Tensor] => [v, tf.clone(v)]);
    return new BufferState(floats, others);
  }

  /** Float buffers' values now, in floatBuffers order (the tensors are the variables themselves). */
  current(): tf.Variable[] {
    return this.floats.map(([, v]) => v);
  }

  /** Puts every buffer back to its value at the start of the step. */
  restore(): void {
    for (const [, v, start] of this.floats) v.assign(start);
    for (const [v, start] of this.others) v.assign(start);
  }

  /** Assigns the averaged float buffers (integer counters keep what one micro-batch left) and frees the saved values. */
  finish(averaged: tf.Tensor[]): void {
    for (const [i, [, v]] of this.floats.entries()) v.assign(averaged[i]!);
    this.dispose();
  }

  dispose(): void {
    tf.dispose([...this.floats.map(([, , t]) => t), ...this.others.map(([, t]) => t)]);
  }
}

/**
 * Forward and backward over `parts` (rows of x from their start), accumulated with weight
 * n_i / batchSize. With `state`, each part starts from the saved running statistics. Only one
 * part's activations are alive at a time. With `sync` (one part: this thread's share of a
 * synchronised data-parallel step) BatchNorm takes its statistics over every replica's rows, and
 * the loss is weighted before the backward pass, so that the gradients BatchNorm's backward pass
 * sums over the replicas are those of the whole batch's mean loss.
 */
export function runMicroBatches(
  model: Model,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  parts: readonly MicroBatch[],
  batchSize: number,
  options: Pick<StepOptions, 'labelSmoothing'>,
  state: BufferState | null,
  sync: AllReduce | null = null,
): PartialSums {
  const vars = model.parameters();
  let acc: PartialSums | null = null;
  try {
    for (const part of parts) {
      const whole = parts.length === 1 && part.size === x.shape[0];
      const xi = whole ? x : tf.slice(x, [part.start, 0, 0, 0], [part.size, -1, -1, -1]);
      const yi = whole ? y : tf.slice(y, [part.start], [part.size]);
      state?.restore();
      const w = part.size / batchSize;
      // The weight goes on the loss before backward when synchronised, on the gradients after otherwise.
      const lossWeight = sync ? w : 1;
      const gradWeight = sync ? 1 : w;
      let r: ReturnType<typeof lossAndGrads>;
      try {
        r = lossAndGrads(model, xi, yi, vars, { ...part, sync }, options.labelSmoothing ?? 0, lossWeight);
      } finally {
        if (!whole) tf.dispose([xi, yi]);
      }
      const prev: PartialSums | null = acc;
      const next: PartialSums = tf.tidy(() => {
        const add = (a: tf.Tensor | undefined, b: tf.Tensor) => (a ? tf.add(a, b) : b);
        const scale = (t: tf.Tensor, k: number) => (k === 1 ? tf.clone(t) : tf.mul(t, k));
        return {
          grads: vars.map((v, i) => add(prev?.grads[i], scale(r.grads[v.name]!, gradWeight))),
          loss: add(prev?.loss, scale(r.loss, gradWeight)) as tf.Scalar,
          correct: add(prev?.correct, tf.clone(r.correct)) as tf.Scalar,
          buffers: state ? state.current().map((b, i) => add(prev?.buffers[i], scale(b, w))) : [],
        };
      });
      tf.dispose([...Object.values(r.grads), r.loss, r.correct]);
      if (prev) disposeSums(prev);
      acc = next;
    }
  } catch (e) {
    if (acc) disposeSums(acc);
    throw e;
  }
  if (!acc) throw new RangeError('runMicroBatches needs at least one micro-batch');
  return acc;
}

export function disposeSums(s: PartialSums): void {
  tf.dispose([...s.grads, s.loss, s.correct, ...s.buffers]);
}

/** Clip (PyTorch's clip_grad_norm_) and take the optimizer step, with grads in model.parameters() order. */
export function applyUpdate(
  model: Model,
  optimizer: Optimizer,
  grads: readonly tf.Tensor[],
  options: Pick<StepOptions, 'lr' | 'gradClip'>,
): void {
  const names = [...model.namedParameters().keys()];
  tf.tidy(() => {
    const byName = new Map(names.map((k, i) => [k, grads[i]!]));
    const clip = options.gradClip ?? 0;
    if (clip > 0) {
      // Scale by max_norm / (norm + 1e-6) when that is below 1.
      const norm = tf.sqrt(tf.addN([...byName.values()].map((g) => tf.sum(tf.square(g)))));
      const scale = tf.minimum(tf.div(clip, tf.add(norm, 1e-6)), 1);
      for (const [k, g] of byName) byName.set(k, tf.mul(g, scale));
    }
    optimizer.apply(byName, options.lr);
  });
}

/** One forward/backward pass: mean loss (times `weight`), correct count and the gradients keyed by variable name. */
function lossAndGrads(
  model: Model,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  vars: tf.Variable[],
  part: Pick<MicroBatch, 'rng' | 'rows'> & { sync: AllReduce | null },
  labelSmoothing: number,
  weight: number,
): { loss: tf.Scalar; correct: tf.Scalar; grads: tf.NamedTensorMap } {
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.forward(x, {
      training: true,
      rng: part.rng,
      ...(part.rows ? { rows: part.rows } : {}),
      ...(part.sync ? { batchNormSync: part.sync } : {}),
    });
    correct = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
    const loss = crossEntropy(logits, y, labelSmoothing);
    return weight === 1 ? loss : tf.mul(loss, weight);
  }, vars);
  return { loss: value, correct: correct!, grads };
}
