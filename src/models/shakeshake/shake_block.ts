import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { ReLU } from '../../nn/relu.js';
import { Sequential } from '../../nn/sequential.js';
import { ShakeUnit, type ShakeUnitOptions } from './shake_unit.js';

export type ShakeBlockOptions = ShakeUnitOptions;

/**
 * archai's ShakeBlock: two [ReLU, conv3x3, BN, ReLU, conv3x3, BN] branches mixed by Shake-Shake,
 * plus the input (or a Shortcut when the shape changes). archai also builds a Shortcut for
 * identity blocks and never calls it; we don't, and loading skips those keys.
 */
export class ShakeBlock extends ShakeUnit {
  constructor(options: ShakeBlockOptions) {
    const { inChannels, outChannels, rng, weightStd } = options;
    const stride = options.stride ?? 1;
    const conv = (cin: number, s: number) =>
      new Conv2d({
        inChannels: cin,
        outChannels,
        kernelSize: 3,
        padding: 1,
        stride: s,
        bias: false,
        weightStd: weightStd?.(3, outChannels),
        rng,
      });
    super(
      options,
      () =>
        new Sequential([
          new ReLU(),
          conv(inChannels, stride),
          new BatchNorm2d({ numFeatures: outChannels }),
          new ReLU(),
          conv(outChannels, 1),
          new BatchNorm2d({ numFeatures: outChannels }),
        ]),
    );
  }
}
