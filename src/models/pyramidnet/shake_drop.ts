import { tf } from '../../tf.js';
import { type BatchRows, uniformRows } from '../../nn/row_draws.js';
import type { Generator } from '../../util/random.js';
import type { ResolvedShakeDropOptions } from './options.js';

export interface ShakeDropCall {
  training: boolean;
  /** Probability that the gate closes. */
  pDrop: number;
  gate: ResolvedShakeDropOptions['gate'];
  rng: Generator;
  /** A share of a larger batch (ForwardOptions.rows): the coefficients of the whole batch are drawn and sliced. */
  rows?: BatchRows;
}

/**
 * ShakeDrop (Yamada et al. 2018) as archai's ShakeDropFunction. Training: one gate for the batch,
 * open with probability 1 − p_drop (the identity); closed, the output is α·x forward with
 * α ~ U[−1, 1] per image and the gradient β·g backward with β ~ U[0, 1] per image. Eval: (1 − p_drop)·x,
 * the expectation. Everything is drawn at forward time from the caller's generator, the gate first,
 * once per batch, so data-parallel shares, which start from the same generator state, agree on it.
 * p_drop = 0 draws nothing.
 */
export function shakeDrop(x: tf.Tensor, call: ShakeDropCall): tf.Tensor {
  const { pDrop, rng } = call;
  if (pDrop === 0) return x;
  if (!call.training) return tf.mul(x, 1 - pDrop);
  if (call.gate === 'keep' || rng.uniform() < 1 - pDrop) return x;
  const n = x.shape[0] ?? 1;
  const alpha = uniformRows(rng, n, 1, call.rows, -1, 1);
  const beta = uniformRows(rng, n, 1, call.rows, 0, 1);
  const perImage = (c: Float32Array, rank: number) => tf.tensor(c, [n, ...new Array<number>(rank - 1).fill(1)], 'float32');
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const a = args[0] as tf.Tensor;
    const alphaT = perImage(alpha, a.rank);
    const value = tf.mul(a, alphaT);
    alphaT.dispose();
    return { value, gradFunc: (dy: tf.Tensor) => tf.mul(dy, perImage(beta, dy.rank)) };
  });
  return f(x);
}
