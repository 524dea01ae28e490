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

export interface ShakeBlockOptions {
  inChannels: number;
  outChannels: number;
  /** Default 1. */
  stride?: number;
  shake: ResolvedShakeOptions;
  weightStd?: (kernelSize: number, outChannels: number) => number;
  rng?: Generator;
}

/**
 * archai's ShakeBlock: two [ReLU, conv3x3, BN, ReLU, conv3x3, BN] branches mixed by Shake-Shake,
 * plus the input (or a Shortcut when the shape changes). archai also builds a Shortcut for
 * identity blocks and never calls it; we don't, and loading skips those keys.
 */
export class ShakeBlock extends Module {
  readonly equalIO: boolean;
  readonly shortcut: Shortcut | null;
  readonly branch1: Sequential;
  readonly branch2: Sequential;
  readonly shake: ResolvedShakeOptions;

  constructor(options: ShakeBlockOptions) {
    super();
    const { inChannels, outChannels, rng, weightStd } = options;
    const stride = options.stride ?? 1;
    this.shake = options.shake;
    this.equalIO = inChannels === outChannels;
    // archai tests in == out only, so a stride-2 block with equal widths would skip the stride;
    // its networks never build one, and neither do ours.
    if (this.equalIO && stride !== 1) throw new RangeError('ShakeBlock: a strided block must change the width');
    this.shortcut = this.equalIO
      ? null
      : this.registerModule('shortcut', new Shortcut({ inChannels, outChannels, stride, weightStd, rng }));
    const branch = () => {
      const conv = (cin: number, s: number) =>
        new Conv2d({ inChannels: cin, outChannels, kernelSize: 3, padding: 1, stride: s, bias: false, weightStd: weightStd?.(3, outChannels), rng });
      return new Sequential([
        new ReLU(),
        conv(inChannels, stride),
        new BatchNorm2d({ numFeatures: outChannels }),
        new ReLU(),
        conv(outChannels, 1),
        new BatchNorm2d({ numFeatures: outChannels }),
      ]);
    };
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
