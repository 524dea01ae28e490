/**
 * archai-ts in a web page: the model zoo, weights from safetensors, inference and training steps,
 * on the browser's tfjs backends. The package's "./browser" export; dist/browser/archai-ts.js is
 * this file bundled with tfjs (scripts/build-browser.mjs), next to tfjs's .wasm binaries.
 * Nothing here reaches a Node module (test/browser/bundle.test.ts builds it to make sure).
 *
 *   import { tf, setBackend, createModel, readSafetensors } from './archai-ts.js';
 *   await setBackend('wasm');
 *   const model = createModel('shake_resnet26_2x32d', { numClasses: 10 });
 *   model.loadStateDict(await readSafetensors('best.safetensors'));  // a training checkpoint as it is
 *   const logits = model.forward(tf.zeros([1, 32, 32, 3]), { training: false });
 */
import type { tf as tfNamespace } from './tf.js';
import { readSafetensorsSource, type SafetensorsSource } from './io/safetensors_source.js';

export { tf } from './tf.js';
export {
  setBrowserBackend as setBackend,
  BROWSER_BACKEND_NAMES as BACKEND_NAMES,
  type BrowserBackendName as BackendName,
  type BrowserBackendInfo as BackendInfo,
  type BrowserBackendOptions as SetBackendOptions,
} from './backend/browser_backend.js';
export { BackendError } from './backend/errors.js';
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
export type { Model, StageInfo } from './models/model.js';
export { ShakeResNet, ShakeResNeXt, type ShakeResNetOptions, type ShakeResNeXtOptions } from './models/shakeshake/index.js';
export { WideResNet, type WideResNetOptions } from './models/wideresnet/index.js';
export { PyramidNet, type PyramidNetOptions } from './models/pyramidnet/index.js';
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
} from './nn/index.js';
export { decodeSafetensors } from './io/safetensors_decode.js';
export { encodeSafetensors } from './io/safetensors_encode.js';
export { SafetensorsError } from './io/safetensors_error.js';
export type { HostTensor } from './io/host_tensor.js';
export { readSafetensorsSource, type SafetensorsSource } from './io/safetensors_source.js';
export { trainStep, crossEntropy, type StepOptions, type StepResult } from './engine/step.js';
export { Optimizer, type OptimizerOptions, type OptimizerType } from './engine/optimizer.js';
export { learningRate, type ScheduleConfig, type ScheduleContext } from './engine/schedule.js';
export { CIFAR10_CLASSES, CIFAR100_CLASSES } from './data/cifar_names.js';

/**
 * Tensors of a safetensors file at a URL (fetched; relative to the page) or in memory (an
 * ArrayBuffer or Uint8Array, e.g. a dropped file's bytes). Metadata dropped: readSafetensorsSource
 * keeps it. The caller owns (disposes) the tensors.
 */
export async function readSafetensors(source: SafetensorsSource): Promise<Record<string, tfNamespace.Tensor>> {
  return (await readSafetensorsSource(source)).tensors;
}
