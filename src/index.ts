/**
 * archai-ts: archai's Shake-Shake zoo on TensorFlow.js.
 *
 *   import { tf, setBackend, createModel } from 'archai-ts';
 *   await setBackend('auto');
 *   const model = createModel('shake_resnet26_2x32d', { numClasses: 10 });
 *   const logits = model.forward(tf.zeros([1, 32, 32, 3]), { training: false });
 */
export { tf } from './tf.js';
export { setBackend, BackendError, type BackendName, type BackendInfo } from './backend/index.js';
export {
  createModel,
  listModels,
  modelInfo,
  registerModelFamily,
  defaultRegistry,
  ModelRegistry,
  UnknownModelError,
  ModelOptionsError,
  type CreateModelOptions,
  type ModelInfo,
} from './registry/index.js';
export {
  defineFamily,
  type ModelFamily,
  type AnyModelFamily,
  type Architecture,
  type BaseModelOptions,
  type ModelVariant,
} from './models/family.js';
export {
  readSafetensors,
  readSafetensorsFile,
  writeSafetensors,
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type HostTensor,
} from './io/index.js';
export type { Model } from './models/model.js';
export * from './models/shakeshake/index.js';
export * from './nn/index.js';
export {
  loadConfig,
  parseConfigText,
  dumpConfig,
  configJsonSchema,
  ConfigError,
  type ExperimentConfig,
  type LoadedConfig,
} from './config/index.js';
export { loadDataset, DataLoader, DataError, type ImageDataset, type DatasetSpec, type Batch } from './data/index.js';
export {
  train,
  evaluate,
  evaluateModel,
  trainStep,
  crossEntropy,
  learningRate,
  Optimizer,
  readCheckpoint,
  CheckpointError,
  TrainingDivergedError,
  ResumeError,
  createRunLogger,
  Replicas,
  ReplicaError,
  resolveReplicaCount,
  type ReplicaCount,
  type ReplicasOptions,
  type TrainOptions,
  type TrainResult,
  type EvaluateOptions,
  type EvaluateResult,
  type EpochMetrics,
  type OptimizerOptions,
} from './trainer/index.js';
export { runBench, formatBench, type BenchOptions, type BenchResult, type BenchMode } from './bench/bench.js';
