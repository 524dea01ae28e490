import type { tf } from '../../tf.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import type { Conv2d } from '../../nn/conv2d.js';
import type { ForwardOptions } from '../../nn/module.js';
import { PyramidBlock, type PyramidBlockOptions } from './pyramid_block.js';

/** archai's PyramidNet BasicBlock: BN, conv3x3 (strided), BN, ReLU, conv3x3, BN, then ShakeDrop and the shortcut. */
export class PyramidBasicBlock extends PyramidBlock {
  readonly bn1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn3: BatchNorm2d;

  constructor(options: PyramidBlockOptions) {
    super(options);
    const { inChannels, planes, stride, rng } = options;
    if (options.outChannels !== planes) throw new RangeError(`a basic block's output is its width: ${options.outChannels} != ${planes}`);
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: inChannels }));
    this.conv1 = this.registerModule('conv1', this.conv(inChannels, planes, 3, stride, rng));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: planes }));
    this.conv2 = this.registerModule('conv2', this.conv(planes, planes, 3, 1, rng));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d({ numFeatures: planes }));
  }

  protected residual(x: tf.Tensor4D, options: ForwardOptions): tf.Tensor4D {
    const h = this.convBn(this.conv1, this.bn2, this.bn1.forward(x, options), true, options);
    return this.convBn(this.conv2, this.bn3, h, false, options);
  }

  protected convs(): Conv2d[] {
    return [this.conv1, this.conv2];
  }
}
