import { tf } from '../tf.js';
import { getDefaultGenerator, uniform } from './init.js';
import { Module, type ExampleShape, type ShapeProfile } from './module.js';
import type { Generator } from '../util/random.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  /** Default true. */
  bias?: boolean;
  /** Start the bias at zero instead of PyTorch's U(±1/sqrt(in)) (archai zeroes it). Default false. */
  zeroBias?: boolean;
  rng?: Generator;
}

/** PyTorch's nn.Linear; the weight is held as [in, out] (a plain matMul) and is [out, in] for torch. */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(options: LinearOptions) {
    super();
    this.inFeatures = options.inFeatures;
    this.outFeatures = options.outFeatures;
    const rng = options.rng ?? getDefaultGenerator();
    const bound = 1 / Math.sqrt(this.inFeatures);
    this.weight = this.registerParameter('weight', uniform([this.inFeatures, this.outFeatures], bound, rng));
    this.bias =
      (options.bias ?? true)
        ? this.registerParameter('bias', options.zeroBias ? tf.zeros([this.outFeatures]) : uniform([this.outFeatures], bound, rng))
        : null;
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const y = tf.matMul(x as tf.Tensor2D, this.weight as tf.Tensor2D);
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  profile([h, w, c]: ExampleShape): ShapeProfile {
    if (h !== 1 || w !== 1 || c !== this.inFeatures) {
      throw new RangeError(`Linear expects ${this.inFeatures} features, got [${h}, ${w}, ${c}]`);
    }
    return { shape: [1, 1, this.outFeatures], macs: this.inFeatures * this.outFeatures };
  }

  protected override toTorchLayout(name: string, value: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(value) : value.clone();
  }

  protected override torchShape(name: string, shape: readonly number[]): number[] {
    return name === 'weight' ? [shape[1], shape[0]] : [...shape];
  }

  protected override fromTorchLayout(name: string, value: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(value) : value.clone();
  }
}
