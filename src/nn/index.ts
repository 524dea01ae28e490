export { Module, StateDictError } from './module.js';
export type {
  ForwardOptions,
  WeightLayout,
  StateDictOptions,
  LoadStateDictOptions,
  LoadStateDictResult,
  HostTensorLike,
  StateRecord,
  ExampleShape,
  ShapeProfile,
} from './module.js';
export { Conv2d, type Conv2dOptions } from './conv2d.js';
export { BatchNorm2d, type BatchNorm2dOptions } from './batchnorm2d.js';
export { Linear, type LinearOptions } from './linear.js';
export { ReLU } from './relu.js';
export { Sequential, chainProfiles } from './sequential.js';
export { Generator, type GeneratorState } from '../util/random.js';
export { manualSeed, getDefaultGenerator, withoutInitialValues } from './init.js';
export { Dropout } from './dropout.js';
export { uniformRows, type BatchRows } from './row_draws.js';
export { GlobalAvgPool } from './global_avg_pool.js';
