import { tf } from '../../tf.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { Dropout } from '../../nn/dropout.js';
import { convBatchNormEval } from '../../nn/fold_batchnorm.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from '../../nn/module.js';
import { Sequential } from '../../nn/sequential.js';
import type { Generator } from '../../util/random.js';

export interface WideBasicOptions {
  inChannels: number;
  outChannels: number;
  /** Default 1. */
  stride?: number;
  /** Default 0. */
  dropRate?: number;
  rng?: Generator;
}

/**
 * archai's WideBasic, a pre-activation block: BN, ReLU, conv3x3, dropout, BN, ReLU, conv3x3 (with
 * the block's stride on the second conv, as archai has it; the WRN paper strides the first), plus
 * the input, or a strided conv1x1 of it when the shape changes. Convs keep their biases and
 * PyTorch's default init (archai's conv_init is commented out).
 *
 * archai builds its BatchNorms with momentum=0.9, which in PyTorch weights the newest batch 0.9:
 * TensorFlow's decay convention in PyTorch's argument, a plain bug that makes the running
 * statistics little more than the last batch's. Ours keep PyTorch's 0.1, the WRN paper's.
 */
export class WideBasic extends Module {
  readonly bn1: BatchNorm2d;
  readonly conv1: Conv2d;
  readonly dropout: Dropout;
  readonly bn2: BatchNorm2d;
  readonly conv2: Conv2d;
  /** Empty (the identity) unless the shape changes; a Sequential either way, as archai's, so keys are shortcut.0.*. */
  readonly shortcut: Sequential;

  constructor(options: WideBasicOptions) {
    super();
    const { inChannels, outChannels, rng } = options;
    const stride = options.stride ?? 1;
    const conv = (cin: number, k: number, s: number) =>
      new Conv2d({ inChannels: cin, outChannels, kernelSize: k, padding: (k - 1) / 2, stride: s, bias: true, rng });
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: inChannels }));
    this.conv1 = this.registerModule('conv1', conv(inChannels, 3, 1));
    this.dropout = this.registerModule('dropout', new Dropout(options.dropRate ?? 0));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: outChannels }));
    this.conv2 = this.registerModule('conv2', conv(outChannels, 3, stride));
    const project = stride !== 1 || inChannels !== outChannels;
    this.shortcut = this.registerModule('shortcut', new Sequential(project ? [conv(inChannels, 1, stride)] : []));
  }

  forward(x: tf.Tensor, options: ForwardOptions = {}): tf.Tensor {
    return tf.tidy(() => {
      const a = tf.relu(this.bn1.forward(x, options)) as tf.Tensor4D;
      // In eval dropout is the identity, so conv1, bn2 and the ReLU run as one fused conv.
      const h = options.training
        ? tf.relu(this.bn2.forward(this.dropout.forward(this.conv1.forward(a), options), options))
        : convBatchNormEval(this.conv1, this.bn2, a, true);
      return tf.add(this.conv2.forward(h), this.shortcut.forward(x, options));
    });
  }

  profile(input: ExampleShape): ShapeProfile {
    const c1 = this.conv1.profile(input);
    const c2 = this.conv2.profile(c1.shape);
    const s = this.shortcut.profile(input);
    return { shape: c2.shape, macs: c1.macs + c2.macs + s.macs };
  }
}
