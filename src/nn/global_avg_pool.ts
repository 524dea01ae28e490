import { tf } from '../tf.js';
import { Module, type ExampleShape, type ShapeProfile } from './module.js';

/**
 * The mean over H and W: [N, H, W, C] to [N, C]. archai pools with avg_pool2d(8) or AvgPool2d(8),
 * which only fit 32x32 inputs; the global mean is the same there and works for any input size.
 */
export class GlobalAvgPool extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.mean(x, [1, 2]);
  }

  profile([, , c]: ExampleShape): ShapeProfile {
    return { shape: [1, 1, c], macs: 0 };
  }
}
