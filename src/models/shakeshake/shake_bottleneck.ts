import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { ReLU } from '../../nn/relu.js';
import { Sequential } from '../../nn/sequential.js';
import { ShakeUnit, type ShakeUnitOptions } from './shake_unit.js';

export interface ShakeBottleNeckOptions extends ShakeUnitOptions {
  midChannels: number;
  /** Groups of the 3x3 convolution. */
  cardinality: number;
}

/**
 * archai's ShakeBottleNeck: two [conv1x1, BN, ReLU, grouped conv3x3, BN, ReLU, conv1x1, BN]
 * branches mixed by Shake-Shake, plus the input or a Shortcut.
 */
export class ShakeBottleNeck extends ShakeUnit {
  constructor(options: ShakeBottleNeckOptions) {
    const { inChannels, midChannels, outChannels, cardinality, rng, weightStd } = options;
    const stride = options.stride ?? 1;
    const conv = (cin: number, cout: number, k: number, s: number, groups: number) =>
      new Conv2d({
        inChannels: cin,
        outChannels: cout,
        kernelSize: k,
        padding: (k - 1) / 2,
        stride: s,
        groups,
        bias: false,
        weightStd: weightStd?.(k, cout),
        rng,
      });
    super(
      options,
      () =>
        new Sequential([
          conv(inChannels, midChannels, 1, 1, 1),
          new BatchNorm2d({ numFeatures: midChannels }),
          new ReLU(),
          conv(midChannels, midChannels, 3, stride, cardinality),
          new BatchNorm2d({ numFeatures: midChannels }),
          new ReLU(),
          conv(midChannels, outChannels, 1, 1, 1),
          new BatchNorm2d({ numFeatures: outChannels }),
        ]),
    );
  }
}
