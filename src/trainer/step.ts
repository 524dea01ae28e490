import { tf } from '../tf.js';
import type { Model } from '../models/model.js';
import type { Generator } from '../nn/random.js';
import type { Optimizer } from './optimizer.js';

export interface StepOptions {
  lr: number;
  rng: Generator;
  /** Default 0. */
  labelSmoothing?: number;
  /** Max global L2 norm of the gradients; 0 = off. Default 0. */
  gradClip?: number;
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
  let correct: tf.Scalar | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const logits = model.forward(x, { training: true, rng: options.rng });
    correct = tf.keep(tf.sum<tf.Scalar>(tf.cast(tf.equal(tf.argMax(logits, 1), y), 'float32')));
    return crossEntropy(logits, y, options.labelSmoothing ?? 0);
  }, vars);
  try {
    const byName = new Map(names.map((n, i) => [n, grads[vars[i].name]]));
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
  return { loss: value, correct: correct! };
}
