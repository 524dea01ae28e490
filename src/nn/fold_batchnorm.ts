/**
 * Eval-mode Conv2d → BatchNorm2d (→ ReLU) as one fused convolution: BN's affine map with its
 * running statistics folded into the conv's weights and bias, the ReLU into the conv kernel's
 * activation (tfjs's fused conv2d; XNNPACK applies both inside the convolution on wasm). The
 * result equals the three layers run one by one up to float rounding; it saves the BatchNorm and
 * ReLU passes over the activations (on wasm a BatchNorm pass costs about a third of the conv's time
 * for ShakeResNet's 3x3 convs).
 */
import { tf } from '../tf.js';
import type { BatchNorm2d } from './batchnorm2d.js';
import type { Conv2d } from './conv2d.js';

export function convBatchNormEval(conv: Conv2d, bn: BatchNorm2d, x: tf.Tensor4D, relu: boolean): tf.Tensor4D {
  return tf.tidy(() => {
    // y = (conv(x) + b - mean) * s + beta, s = gamma / sqrt(var + eps)
    const s = tf.mul(bn.weight, tf.rsqrt(tf.add(bn.runningVar, bn.eps)));
    const filter = tf.mul(conv.weight, s) as tf.Tensor4D;
    let bias = tf.sub(bn.bias, tf.mul(bn.runningMean, s));
    if (conv.bias) bias = tf.add(bias, tf.mul(conv.bias, s));
    const pad =
      conv.padding === 0
        ? 'valid'
        : ([
            [0, 0],
            [conv.padding, conv.padding],
            [conv.padding, conv.padding],
            [0, 0],
          ] as tf.backend_util.ExplicitPadding);
    const activation = relu ? 'relu' : 'linear';
    if (conv.groups === 1) {
      return tf.fused.conv2d({ x, filter, strides: conv.stride, pad, bias, activation });
    }
    const xs = tf.split(x, conv.groups, 3);
    const fs = tf.split(filter, conv.groups, 3);
    const bs = tf.split(bias, conv.groups, 0);
    return tf.concat(
      xs.map((xi, i) =>
        tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: fs[i] as tf.Tensor4D, strides: conv.stride, pad, bias: bs[i], activation }),
      ),
      3,
    );
  });
}
