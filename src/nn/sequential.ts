import { tf } from '../tf.js';
import { BatchNorm2d } from './batchnorm2d.js';
import { Conv2d } from './conv2d.js';
import { convBatchNormEval } from './fold_batchnorm.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from './module.js';
import { ReLU } from './relu.js';

/** PyTorch's nn.Sequential: children named 0, 1, 2, ... so state dict keys carry the indices. */
export class Sequential extends Module {
  readonly layers: readonly Module[];

  constructor(layers: Module[]) {
    super();
    this.layers = layers;
    for (const [i, m] of layers.entries()) this.registerModule(String(i), m);
  }

  /** In eval mode a Conv2d followed by a BatchNorm2d (and a ReLU) runs as one fused conv (fold_batchnorm.ts). */
  forward(x: tf.Tensor, options?: ForwardOptions): tf.Tensor {
    return tf.tidy(() => {
      let h = x;
      for (let i = 0; i < this.layers.length; i++) {
        const m = this.layers[i]!;
        const bn = this.layers[i + 1];
        if (!options?.training && m instanceof Conv2d && bn instanceof BatchNorm2d) {
          const relu = this.layers[i + 2] instanceof ReLU;
          h = convBatchNormEval(m, bn, h as tf.Tensor4D, relu);
          i += relu ? 2 : 1;
        } else {
          h = m.forward(h, options);
        }
      }
      return h;
    });
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
