import { tf } from '../../tf.js';
import { BatchNorm2d } from '../../nn/batchnorm2d.js';
import { Conv2d } from '../../nn/conv2d.js';
import { Module, type ExampleShape, type ForwardOptions, type ShapeProfile } from '../../nn/module.js';
import type { Generator } from '../../util/random.js';

export interface ShortcutOptions {
  inChannels: number;
  outChannels: number;
  stride: number;
  /** Std of the N(0, std) conv init; default PyTorch's own init. */
  weightStd?: (kernelSize: number, outChannels: number) => number;
  rng?: Generator;
}

/**
 * archai's Shortcut for blocks that change shape: ReLU, then two strided 1x1 convs of half the
 * output width, the second on the input shifted by one pixel, so the two halves see the even and
 * the odd pixel grid; concatenated and batch-normalised.
 */
export class Shortcut extends Module {
  readonly stride: number;
  readonly conv1: Conv2d;
  readonly conv2: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(options: ShortcutOptions) {
    super();
    const { inChannels, outChannels, stride, rng } = options;
    this.stride = stride;
    const half = Math.floor(outChannels / 2);
    const weightStd = options.weightStd?.(1, half);
    const conv = () => new Conv2d({ inChannels, outChannels: half, kernelSize: 1, stride, bias: false, weightStd, rng });
    this.conv1 = this.registerModule('conv1', conv());
    this.conv2 = this.registerModule('conv2', conv());
    this.bn = this.registerModule('bn', new BatchNorm2d({ numFeatures: 2 * half }));
  }

  forward(x: tf.Tensor, options?: ForwardOptions): tf.Tensor {
    return tf.tidy(() => {
      const h = tf.relu(x) as tf.Tensor4D;
      const h1 = this.conv1.forward(h);
      const h2 = this.conv2.forward(shiftOnePixel(h));
      return this.bn.forward(tf.concat([h1, h2], 3), options);
    });
  }

  profile(input: ExampleShape): ShapeProfile {
    const p1 = this.conv1.profile(input);
    const p2 = this.conv2.profile(input);
    const [h, w] = p1.shape;
    return { shape: [h, w, this.bn.numFeatures], macs: p1.macs + p2.macs };
  }
}

/** x[:, 1:, 1:, :] padded with zeros at the far end: archai's F.pad(h, (-1, 1, -1, 1)). */
export function shiftOnePixel(x: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const cropped = tf.slice(x, [0, 1, 1, 0], [n, h - 1, w - 1, c]);
    return tf.pad(cropped, [
      [0, 0],
      [0, 1],
      [0, 1],
      [0, 0],
    ]);
  });
}
