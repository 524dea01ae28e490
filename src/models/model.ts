import type { ExampleShape, ForwardOptions, Module, ShapeProfile } from '../nn/module.js';
import type { tf } from '../tf.js';

/** One row of a model's description: a stage of blocks (or the stem, or the head). */
export interface StageInfo {
  name: string;
  blocks: number;
  inChannels: number;
  outChannels: number;
  stride: number;
  /** Output H x W x C for the input described (32x32 by default). */
  outputShape: ExampleShape;
  params: number;
  macs: number;
}

/** What every zoo model offers beyond Module: classification logits and a description of itself. */
export interface Model extends Module {
  readonly numClasses: number;
  /** The family's options it was built with, every default filled in (replicas compare them). */
  readonly options: Readonly<Record<string, unknown>>;
  /** Logits [N, numClasses] for NHWC float32 images. */
  forward(x: tf.Tensor, options?: ForwardOptions): tf.Tensor2D;
  profile(input?: ExampleShape): ShapeProfile;
  stages(input?: ExampleShape): StageInfo[];
}
