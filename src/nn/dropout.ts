import { tf } from '../tf.js';
import { getDefaultGenerator } from './init.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from './module.js';
import { uniformRows } from './row_draws.js';

/**
 * PyTorch's nn.Dropout: in training each element is zeroed with probability p and the rest scaled
 * by 1/(1-p); in eval, the identity. The mask is drawn on the host from options.rng (the default
 * generator without one), per image and sliced by options.rows, so a training step consumes the
 * same randomness on every backend, resume replays it, and data-parallel shares drop what the whole
 * batch would. p = 0 draws nothing.
 */
export class Dropout extends Module {
  readonly p: number;

  constructor(p: number) {
    super();
    if (!(p >= 0 && p < 1)) throw new RangeError(`dropout probability must be in [0, 1), got ${p}`);
    this.p = p;
  }

  forward(x: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    if (!options.training || this.p === 0 || x.size === 0) return x;
    const n = x.shape[0] ?? 1;
    const u = uniformRows(options.rng ?? getDefaultGenerator(), n, x.size / n, options.rows);
    const scale = 1 / (1 - this.p);
    const mask = new Float32Array(u.length);
    for (let i = 0; i < u.length; i++) mask[i] = u[i]! < this.p ? 0 : scale;
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }

  profile(input: ExampleShape): ShapeProfile {
    return { shape: input, macs: 0 };
  }
}
