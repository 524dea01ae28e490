import { tf } from '../../tf.js';
import type { Generator } from '../../util/random.js';
import { type ResolvedShakeOptions, type ShakeOptions, shakeModesSchema } from './options.js';
import { resolveOptions } from '../resolve_options.js';

/** The modes, every default filled in; the rule is shakeModesSchema (options.ts). */
export function resolveShakeOptions(options: ShakeOptions = {}): ResolvedShakeOptions {
  return resolveOptions(shakeModesSchema, options, 'shake');
}

export interface ShakeShakeCall {
  training: boolean;
  rng: Generator;
  options: ResolvedShakeOptions;
  /** A share of a larger batch: draw for all `total` rows, use [offset, offset + N) (see ForwardOptions.rows). */
  rows?: { offset: number; total: number };
}

/**
 * The Shake-Shake combination of two residual branches. Training: α·x1 + (1−α)·x2 forward,
 * β·g and (1−β)·g backward; eval: the branches' mean. Both coefficients are drawn at forward
 * time from the caller's generator, so a training step consumes a fixed amount of randomness
 * whatever the backend, and resume replays it.
 */
export function shakeShake(x1: tf.Tensor, x2: tf.Tensor, call: ShakeShakeCall): tf.Tensor {
  if (!call.training) return tf.tidy(() => tf.mul(tf.add(x1, x2), 0.5));
  const { options, rng } = call;
  const n = x1.shape[0] ?? 1;
  const alpha = coefficients(options.forward, options.level, n, rng, call.rows);
  const beta = coefficients(options.backward, options.level, n, rng, call.rows);
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [a, b] = args as [tf.Tensor, tf.Tensor];
    const alphaT = coefficientTensor(alpha, a.rank);
    const value = tf.tidy(() => tf.add(b, tf.mul(alphaT, tf.sub(a, b))));
    alphaT.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor) => {
        const betaT = coefficientTensor(beta, dy.rank);
        return [tf.mul(dy, betaT), tf.mul(dy, tf.sub(1, betaT))];
      },
    };
  });
  return f(x1, x2);
}

/** One coefficient per sample (or one for the batch), or null for the constant 0.5. */
function coefficients(
  mode: 'shake' | 'even',
  level: 'image' | 'batch',
  n: number,
  rng: Generator,
  rows?: { offset: number; total: number },
): Float32Array | number {
  if (mode === 'even') return 0.5;
  if (level === 'batch') return rng.uniform();
  if (!rows) return rng.fillUniform(new Float32Array(n));
  if (rows.offset < 0 || rows.offset + n > rows.total)
    throw new RangeError(`rows ${rows.offset}..${rows.offset + n} are outside a batch of ${rows.total}`);
  return rng.fillUniform(new Float32Array(rows.total)).slice(rows.offset, rows.offset + n);
}

function coefficientTensor(c: Float32Array | number, rank: number): tf.Tensor {
  if (typeof c === 'number') return tf.scalar(c);
  const shape = [c.length, ...new Array<number>(rank - 1).fill(1)];
  return tf.tensor(c, shape, 'float32');
}
