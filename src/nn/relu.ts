import { tf } from '../tf.js';
import { Module, type ExampleShape, type ShapeProfile } from './module.js';

export class ReLU extends Module {
  forward(x: tf.Tensor): tf.Tensor {
    return tf.relu(x);
  }

  profile(input: ExampleShape): ShapeProfile {
    return { shape: input, macs: 0 };
  }
}
