import { tf } from '../tf.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from './module.js';

/** PyTorch's nn.Sequential: children named 0, 1, 2, ... so state dict keys carry the indices. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(layers: Module[]) {
    super();
    this.layers = layers;
    layers.forEach((m, i) => this.registerModule(String(i), m));
  }

  forward(x: tf.Tensor, options?: ForwardOptions): tf.Tensor {
    return tf.tidy(() => this.layers.reduce((h, m) => m.forward(h, options), x));
  }

  profile(input: ExampleShape): ShapeProfile {
    return chainProfiles(this.layers, input);
  }
}

export function chainProfiles(layers: readonly Module[], input: ExampleShape): ShapeProfile {
  let shape = input;
  let macs = 0;
  for (const m of layers) {
    const p = m.profile(shape);
    shape = p.shape;
    macs += p.macs;
  }
  return { shape, macs };
}
