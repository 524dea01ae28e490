import { tf } from '../../tf.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { Module, type ExampleShape, type ShapeProfile } from '../../nn/module.js';
import type { Generator } from '../../nn/random.js';
import { ReLU } from '../../nn/relu.js';
import { Sequential } from '../../nn/sequential.js';
import { shakeShake, type ResolvedShakeOptions } from './shake_shake.js';
import { Shortcut } from './shortcut.js';
import type { BlockForwardOptions } from './types.js';

export interface ShakeBottleNeckOptions {
  inChannels: number;
  midChannels: number;
  outChannels: number;
  /** Groups of the 3x3 convolution. */
  cardinality: number;
  /** Default 1. */
  stride?: number;
  shake: ResolvedShakeOptions;
  weightStd?: (kernelSize: number, outChannels: number) => number;
  rng?: Generator;
}

/**
 * archai's ShakeBottleNeck: two [conv1x1, BN, ReLU, grouped conv3x3, BN, ReLU, conv1x1, BN]
 * branches mixed by Shake-Shake, plus the input or a Shortcut.
 */
export class ShakeBottleNeck extends Module {
  readonly equalIO: boolean;
  readonly shortcut: Shortcut | null;
  readonly branch1: Sequential;
  readonly branch2: Sequential;
  readonly shake: ResolvedShakeOptions;

  constructor(options: ShakeBottleNeckOptions) {
    super();
    const { inChannels, midChannels, outChannels, cardinality, rng, weightStd } = options;
    const stride = options.stride ?? 1;
    this.shake = options.shake;
    this.equalIO = inChannels === outChannels;
    if (this.equalIO && stride !== 1) throw new RangeError('ShakeBottleNeck: a strided block must change the width');
    this.shortcut = this.equalIO
      ? null
      : this.registerModule('shortcut', new Shortcut({ inChannels, outChannels, stride, weightStd, rng }));
    const conv = (cin: number, cout: number, k: number, s: number, groups: number) =>
      new Conv2d({ inChannels: cin, outChannels: cout, kernelSize: k, padding: (k - 1) / 2, stride: s, groups, bias: false, weightStd: weightStd?.(k, cout), rng });
    const branch = () =>
      new Sequential([
        conv(inChannels, midChannels, 1, 1, 1),
        new BatchNorm2d({ numFeatures: midChannels }),
        new ReLU(),
        conv(midChannels, midChannels, 3, stride, cardinality),
        new BatchNorm2d({ numFeatures: midChannels }),
        new ReLU(),
        conv(midChannels, outChannels, 1, 1, 1),
        new BatchNorm2d({ numFeatures: outChannels }),
      ]);
    this.branch1 = this.registerModule('branch1', branch());
    this.branch2 = this.registerModule('branch2', branch());
  }

  forward(x: tf.Tensor, options: BlockForwardOptions): tf.Tensor {
    return tf.tidy(() => {
      const h1 = this.branch1.forward(x, options);
      const h2 = this.branch2.forward(x, options);
      const h = shakeShake(h1, h2, { training: options.training ?? false, rng: options.rng, options: this.shake });
      const h0 = this.shortcut ? this.shortcut.forward(x, options) : x;
      return tf.add(h, h0);
    });
  }

  profile(input: ExampleShape): ShapeProfile {
    const b = this.branch1.profile(input);
    const s = this.shortcut ? this.shortcut.profile(input).macs : 0;
    return { shape: b.shape, macs: 2 * b.macs + s };
  }
}
