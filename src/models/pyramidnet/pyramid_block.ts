import { tf } from '../../tf.js';
import type { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { convBatchNormEval } from '../../nn/fold_batchnorm.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from '../../nn/module.js';
import type { Generator } from '../../util/random.js';
import type { ResolvedShakeDropOptions } from './options.js';
import type { PyramidBlockPlan } from './plan.js';
import { shakeDrop } from './shake_drop.js';
import { pyramidShortcut } from './shortcut.js';
import { archaiConvStd } from '../archai_init.js';

export interface PyramidBlockOptions extends PyramidBlockPlan {
  gate: ResolvedShakeDropOptions['gate'];
  rng?: Generator;
}

/** Inside a network the generator is always resolved (the model's own when the caller gave none). */
export type BlockForwardOptions = ForwardOptions & { rng: Generator };

/**
 * What archai's BasicBlock and Bottleneck share: a residual branch that starts with BN and ends
 * with BN (no ReLU at either end), ShakeDrop on it, and the parameter-free shortcut added. The
 * subclasses register their layers in archai's order, so state dict keys come out as PyTorch's.
 */
export abstract class PyramidBlock extends Module {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly stride: number;
  readonly pDrop: number;
  readonly gate: ResolvedShakeDropOptions['gate'];

  protected constructor(options: PyramidBlockOptions) {
    super();
    this.inChannels = options.inChannels;
    this.outChannels = options.outChannels;
    this.stride = options.stride;
    this.pDrop = options.pDrop;
    this.gate = options.gate;
  }

  /** The branch before ShakeDrop. */
  protected abstract residual(x: tf.Tensor4D, options: ForwardOptions): tf.Tensor4D;

  /** The branch's convolutions, in order. */
  protected abstract convs(): Conv2d[];

  forward(x: tf.Tensor, options: BlockForwardOptions): tf.Tensor {
    return tf.tidy(() => {
      const h = shakeDrop(this.residual(x as tf.Tensor4D, options), {
        training: options.training ?? false,
        pDrop: this.pDrop,
        gate: this.gate,
        rng: options.rng,
        ...(options.rows ? { rows: options.rows } : {}),
      });
      return tf.add(h, pyramidShortcut(x as tf.Tensor4D, this.stride, this.outChannels));
    });
  }

  profile(input: ExampleShape): ShapeProfile {
    let shape = input;
    let macs = 0;
    for (const conv of this.convs()) {
      const p = conv.profile(shape);
      shape = p.shape;
      macs += p.macs;
    }
    return { shape, macs };
  }

  /** conv, BN and optionally ReLU: one fused conv in eval, the layers one by one in training. */
  protected convBn(conv: Conv2d, bn: BatchNorm2d, x: tf.Tensor4D, relu: boolean, options: ForwardOptions): tf.Tensor4D {
    if (!options.training) return convBatchNormEval(conv, bn, x, relu);
    const y = bn.forward(conv.forward(x), options);
    return relu ? (tf.relu(y) as tf.Tensor4D) : y;
  }

  protected conv(cin: number, cout: number, kernelSize: number, stride: number, rng?: Generator): Conv2d {
    return new Conv2d({
      inChannels: cin,
      outChannels: cout,
      kernelSize,
      padding: (kernelSize - 1) / 2,
      stride,
      bias: false,
      weightStd: archaiConvStd(kernelSize, cout),
      rng,
    });
  }
}
