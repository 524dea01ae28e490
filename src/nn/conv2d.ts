import { tf } from '../tf.js';
import { getDefaultGenerator, normal, uniform } from './init.js';
import { Module, type ExampleShape, type ShapeProfile } from './module.js';
import type { Generator } from '../util/random.js';

export interface Conv2dOptions {
  inChannels: number;
  outChannels: number;
  kernelSize: number;
  /** Default 1. */
  stride?: number;
  /** Zeros added on every side, as PyTorch's `padding` (not TensorFlow's asymmetric 'same'). Default 0. */
  padding?: number;
  /** Grouped convolution: in and out channels split into this many independent groups. Default 1. */
  groups?: number;
  /** Default true. */
  bias?: boolean;
  /**
   * Weights from N(0, std). Default: PyTorch's kaiming_uniform(a=sqrt(5)), i.e. U(±1/sqrt(fan_in)),
   * and the bias likewise.
   */
  weightStd?: number;
  rng?: Generator;
}

/**
 * PyTorch's nn.Conv2d on NHWC tensors. The weight is held as [kh, kw, in/groups, out], the layout
 * TensorFlow stores grouped convolutions in, and converted to [out, in/groups, kh, kw] for torch.
 */
export class Conv2d extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly groups: number;
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;

  constructor(options: Conv2dOptions) {
    super();
    const { inChannels, outChannels, kernelSize } = options;
    this.inChannels = inChannels;
    this.outChannels = outChannels;
    this.kernelSize = kernelSize;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.groups = options.groups ?? 1;
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new RangeError(`Conv2d: channels ${inChannels}->${outChannels} are not divisible by groups=${this.groups}`);
    }
    const rng = options.rng ?? getDefaultGenerator();
    const fanIn = (inChannels / this.groups) * kernelSize * kernelSize;
    const shape = [kernelSize, kernelSize, inChannels / this.groups, outChannels];
    this.weight = this.registerParameter(
      'weight',
      options.weightStd !== undefined ? normal(shape, options.weightStd, rng) : uniform(shape, 1 / Math.sqrt(fanIn), rng),
    );
    this.bias = (options.bias ?? true) ? this.registerParameter('bias', uniform([outChannels], 1 / Math.sqrt(fanIn), rng)) : null;
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    return tf.tidy(() => {
      const pad: 'valid' | [[0, 0], [number, number], [number, number], [0, 0]] =
        this.padding === 0
          ? 'valid'
          : [
              [0, 0],
              [this.padding, this.padding],
              [this.padding, this.padding],
              [0, 0],
            ];
      const input = x as tf.Tensor4D;
      let y: tf.Tensor4D;
      if (this.groups === 1) {
        y = tf.conv2d(input, this.weight as tf.Tensor4D, this.stride, pad);
      } else {
        // tfjs has no grouped convolution: one conv per group, concatenated on channels.
        const xs = tf.split(input, this.groups, 3);
        const ws = tf.split(this.weight as tf.Tensor4D, this.groups, 3);
        y = tf.concat(
          xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ws[i] as tf.Tensor4D, this.stride, pad)),
          3,
        );
      }
      return this.bias ? tf.add(y, this.bias) : y;
    });
  }

  profile([h, w, c]: ExampleShape): ShapeProfile {
    if (c !== this.inChannels) throw new RangeError(`Conv2d expects ${this.inChannels} channels, got ${c}`);
    const out = (n: number) => Math.floor((n + 2 * this.padding - this.kernelSize) / this.stride) + 1;
    const oh = out(h);
    const ow = out(w);
    const macs = oh * ow * this.outChannels * (this.inChannels / this.groups) * this.kernelSize * this.kernelSize;
    return { shape: [oh, ow, this.outChannels], macs };
  }

  protected override toTorchLayout(name: string, value: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(value, [3, 2, 0, 1]) : value.clone();
  }

  protected override torchShape(name: string, shape: readonly number[]): number[] {
    return name === 'weight' ? [shape[3], shape[2], shape[0], shape[1]] : [...shape];
  }

  protected override fromTorchLayout(name: string, value: tf.Tensor): tf.Tensor {
    return name === 'weight' ? tf.transpose(value, [2, 3, 1, 0]) : value.clone();
  }
}
