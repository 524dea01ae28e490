import { tf } from '../tf.js';
import type { Model } from '../models/model.js';
import type { Generator } from '../nn/random.js';
import type { Optimizer } from './optimizer.js';
import { autoMicroBatch, microBatchSizes } from './micro_batch.js';

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
   * BatchNorm semantics: per-micro-batch statistics, running statistics moved once per micro-batch).
   * 0 or undefined: auto (the whole batch, except on wasm where what the heap holds).
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
  const named = model.namedParameters();
  const names = [...named.keys()];
  const vars = [...named.values()];
  const n = x.shape[0];
  const micro = options.microBatch && options.microBatch > 0 ? options.microBatch : autoMicroBatch(model, x.shape);
  const sizes = microBatchSizes(n, Math.min(micro, n));
  let loss: tf.Scalar;
  let correct: tf.Scalar;
  let grads: tf.NamedTensorMap;
  if (sizes.length === 1) {
    ({ loss, correct, grads } = lossAndGrads(model, x, y, vars, options));
  } else {
    ({ loss, correct, grads } = accumulate(model, x, y, vars, options, sizes));
  }
  try {
    const byName = new Map(names.map((k, i) => [k, grads[vars[i]!.name]!]));
    tf.tidy(() => {
      const clip = options.gradClip ?? 0;
      if (clip > 0) {
        // PyTorch's clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
        const norm = tf.sqrt(tf.addN([...byName.values()].map((g) => tf.sum(tf.square(g)))));
        const scale = tf.minimum(tf.div(clip, tf.add(norm, 1e-6)), 1);
        for (const [k, g] of byName) byName.set(k, tf.mul(g, scale));
      }
      optimizer.apply(byName, options.lr);
    });
  } finally {
    tf.dispose(grads);
  }
  return { loss, correct };
}

/** One forward/backward pass: mean loss, correct count and the gradients keyed by variable name. */
function lossAndGrads(
  model: Model,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  vars: tf.Variable[],
  options: StepOptions,
): { loss: tf.Scalar; correct: tf.Scalar; grads: tf.NamedTensorMap } {
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.forward(x, { training: true, rng: options.rng });
    correct = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
    return crossEntropy(logits, y, options.labelSmoothing ?? 0);
  }, vars);
  return { loss: value, correct: correct!, grads };
}

interface Accumulated {
  grads: tf.NamedTensorMap | null;
  loss: tf.Scalar | null;
  correct: tf.Scalar | null;
}

/**
 * Micro-batches in order, gradients and loss summed with weight n_i / N: the full batch's mean for
 * every layer without batch statistics. Only one micro-batch's activations are alive at a time.
 */
function accumulate(
  model: Model,
  x: tf.Tensor4D,
  y: tf.Tensor1D,
  vars: tf.Variable[],
  options: StepOptions,
  sizes: number[],
): { loss: tf.Scalar; correct: tf.Scalar; grads: tf.NamedTensorMap } {
  const n = x.shape[0];
  let grads: tf.NamedTensorMap | null = null;
  let loss: tf.Scalar | null = null;
  let correct: tf.Scalar | null = null;
  let start = 0;
  try {
    for (const m of sizes) {
      const xi = tf.slice(x, [start, 0, 0, 0], [m, -1, -1, -1]);
      const yi = tf.slice(y, [start], [m]);
      start += m;
      let r: ReturnType<typeof lossAndGrads>;
      try {
        r = lossAndGrads(model, xi, yi, vars, options);
      } finally {
        tf.dispose([xi, yi]);
      }
      const w = m / n;
      const prev: Accumulated = { grads, loss, correct };
      const next: { grads: tf.NamedTensorMap; loss: tf.Scalar; correct: tf.Scalar } = tf.tidy(() => {
        const g: tf.NamedTensorMap = {};
        for (const [k, gi] of Object.entries(r.grads)) {
          const scaled = tf.mul(gi, w);
          g[k] = prev.grads ? tf.add(prev.grads[k]!, scaled) : scaled;
        }
        const l = tf.mul(r.loss, w) as tf.Scalar;
        return {
          grads: g,
          loss: (prev.loss ? tf.add(prev.loss, l) : l) as tf.Scalar,
          correct: (prev.correct ? tf.add(prev.correct, r.correct) : tf.clone(r.correct)) as tf.Scalar,
        };
      });
      tf.dispose([r.grads, r.loss, r.correct]);
      if (prev.grads) tf.dispose(prev.grads);
      tf.dispose([prev.loss, prev.correct].filter((t): t is tf.Scalar => t != null));
      ({ grads, loss, correct } = next);
    }
  } catch (e) {
    if (grads) tf.dispose(grads);
    tf.dispose([loss, correct].filter((t): t is tf.Scalar => t != null));
    throw e;
  }
  return { loss: loss!, correct: correct!, grads: grads! };
}
