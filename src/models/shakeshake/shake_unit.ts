import { tf } from '../../tf.js';
import { Module, type ExampleShape, type ShapeProfile } from '../../nn/module.js';
import type { Generator } from '../../util/random.js';
import type { Sequential } from '../../nn/sequential.js';
import type { ResolvedShakeOptions } from './options.js';
import { shakeShake } from './shake_shake.js';
import { Shortcut } from './shortcut.js';
import type { BlockForwardOptions } from './types.js';

export interface ShakeUnitOptions {
  inChannels: number;
  outChannels: number;
  /** Default 1. */
  stride?: number;
  shake: ResolvedShakeOptions;
  weightStd?: (kernelSize: number, outChannels: number) => number;
  rng?: Generator;
}

/**
 * What ShakeBlock and ShakeBottleNeck share: two branches mixed by Shake-Shake, plus the input, or
 * a Shortcut when the shape changes. Subclasses build the branches; registration order (shortcut,
 * branch1, branch2) is archai's, so state dicts list keys as PyTorch does.
 */
export abstract class ShakeUnit extends Module {
  readonly equalIO: boolean;
  readonly shortcut: Shortcut | null;
  readonly branch1: Sequential;
  readonly branch2: Sequential;
  readonly shake: ResolvedShakeOptions;

  protected constructor(options: ShakeUnitOptions, makeBranch: () => Sequential) {
    super();
    const { inChannels, outChannels, rng, weightStd } = options;
    const stride = options.stride ?? 1;
    this.shake = options.shake;
    this.equalIO = inChannels === outChannels;
    // archai tests in == out only, so a strided block of equal widths would skip the stride on the
    // identity path; its networks never build one, and neither do ours.
    if (this.equalIO && stride !== 1) throw new RangeError(`${new.target.name}: a strided block must change the width`);
    this.shortcut = this.equalIO
      ? null
      : this.registerModule('shortcut', new Shortcut({ inChannels, outChannels, stride, weightStd, rng }));
    this.branch1 = this.registerModule('branch1', makeBranch());
    this.branch2 = this.registerModule('branch2', makeBranch());
  }

  forward(x: tf.Tensor, options: BlockForwardOptions): tf.Tensor {
    return tf.tidy(() => {
      const h1 = this.branch1.forward(x, options);
      const h2 = this.branch2.forward(x, options);
      const h = shakeShake(h1, h2, {
        training: options.training ?? false,
        rng: options.rng,
        options: this.shake,
        ...(options.rows ? { rows: options.rows } : {}),
      });
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
