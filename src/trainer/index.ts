export { train, type TrainOptions, type TrainResult } from './trainer.js';
export { TrainingDivergedError, ResumeError } from './errors.js';
export { RunFolderError } from './run_folder_error.js';
export { lockRunFolder, type RunLock } from './run_lock.js';
export { evaluate, type EvaluateOptions, type EvaluateResult } from './evaluate.js';
export { evaluateModel, type EvalMetrics } from './evaluate_model.js';
export {
  buildModel,
  buildOptimizer,
  modelOptions,
  trainLoader,
  evalLoader,
  datasetSpec,
  trainingParts,
  type TrainingParts,
} from './components.js';
export { Resources } from './resources.js';
export { Optimizer, type OptimizerOptions, type OptimizerType } from '../engine/optimizer.js';
export { learningRate, type ScheduleContext, type ScheduleConfig } from '../engine/schedule.js';
export { trainStep, crossEntropy, type StepOptions, type StepResult } from '../engine/step.js';
export {
  Replicas,
  ReplicaError,
  ReplicaCountError,
  resolveReplicaCount,
  type ReplicaCount,
  type ReplicasOptions,
} from '../parallel/replicas.js';
export {
  readCheckpoint,
  writeCheckpoint,
  CheckpointError,
  NotACheckpointError,
  CheckpointDir,
  type Checkpoint,
  type TrainingState,
} from './checkpoint.js';
export { DETERMINISTIC_KEYS, type EpochMetrics } from './metrics.js';
export { createRunLogger, logToFile, silentLogger, type Logger } from './logger.js';
