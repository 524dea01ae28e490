import type { tf } from '../tf.js';
import type { ExampleShape, ForwardOptions, Module, ShapeProfile } from '../nn/module.js';
import type { StageInfo } from './shakeshake/shake_net.js';

/** What every zoo model offers beyond Module: classification logits and a description of itself. */
export interface Model extends Module {
  readonly numClasses: number;
  /** Logits [N, numClasses] for NHWC float32 images. */
  forward(x: tf.Tensor, options?: ForwardOptions): tf.Tensor2D;
  profile(input?: ExampleShape): ShapeProfile;
  stages(input?: ExampleShape): StageInfo[];
}
