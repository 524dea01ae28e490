import type { ForwardOptions } from '../../nn/module.js';
import type { Generator } from '../../util/random.js';

/** Inside a network the generator is always resolved (the model's own when the caller gave none). */
export interface BlockForwardOptions extends ForwardOptions {
  rng: Generator;
}
