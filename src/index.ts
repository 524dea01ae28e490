/**
 * archai-ts: archai's model zoo and experiment runner on TensorFlow.js. The public API, listed
 * explicitly: what is not here is internal and may change.
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
export type { Model, StageInfo } from './models/model.js';
export {
  ShakeResNet,
  ShakeResNeXt,
  ShakeBlock,
  ShakeBottleNeck,
  Shortcut,
  shakeShake,
  type ShakeResNetOptions,
  type ShakeResNeXtOptions,
  type ShakeOptions,
  type ShakeVariant,
} from './models/shakeshake/index.js';
export { WideResNet, WideBasic, type WideResNetConfig, type WideResNetOptions } from './models/wideresnet/index.js';
export {
  PyramidNet,
  PyramidBasicBlock,
  PyramidBottleneck,
  shakeDrop,
  type PyramidNetConfig,
  type PyramidNetOptions,
  type ShakeDropOptions,
} from './models/pyramidnet/index.js';
export {
  Module,
  StateDictError,
  Conv2d,
  BatchNorm2d,
  Linear,
  ReLU,
  Sequential,
  Generator,
  manualSeed,
  type ForwardOptions,
  type StateDictOptions,
  type LoadStateDictOptions,
  type LoadStateDictResult,
  type StateRecord,
  type WeightLayout,
  type Conv2dOptions,
  type BatchNorm2dOptions,
  type LinearOptions,
} from './nn/index.js';
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
  NotACheckpointError,
  TrainingDivergedError,
  ResumeError,
  RunFolderError,
  createRunLogger,
  Replicas,
  ReplicaError,
  resolveReplicaCount,
  type ReplicaCount,
  type ReplicasOptions,
  type TrainOptions,
  type Checkpoint,
  type TrainResult,
  type EvaluateOptions,
  type EvaluateResult,
  type EpochMetrics,
  type OptimizerOptions,
} from './trainer/index.js';
export { renderCurvesSvg, renderParetoSvg, curvesSpec, paretoSpec, type CurvePoint, type VegaLiteSpec } from './plot/index.js';
export {
  search,
  loadSearchConfig,
  parseSearchConfigText,
  SearchSpace,
  type SearchConfig,
  type SearchOptions,
  type SearchResult,
  type TrialRow,
} from './search/index.js';
export { runBench, formatBench, type BenchOptions, type BenchResult, type BenchMode } from './bench/bench.js';
