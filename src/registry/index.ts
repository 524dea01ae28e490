import { MODEL_FAMILIES } from '../models/families.js';
import type { AnyModelFamily } from '../models/family.js';
import type { Model } from '../models/model.js';
import { type CreateModelOptions, type ModelInfo, ModelRegistry } from './registry.js';

export {
  type CreateModelOptions,
  type ModelInfo,
  ModelOptionsError,
  ModelRegistry,
  type OptionIssue,
  type ResolvedName,
  UnknownModelError,
} from './registry.js';

/** The package's registry, with every family of the zoo registered when it is made (no import order to get right). */
export const defaultRegistry = new ModelRegistry();
for (const family of MODEL_FAMILIES) defaultRegistry.registerFamily(family);

export function registerModelFamily(family: AnyModelFamily): void {
  defaultRegistry.registerFamily(family);
}

export function createModel(name: string, options?: CreateModelOptions): Model {
  return defaultRegistry.createModel(name, options);
}

export function listModels(pattern?: string, options?: { aliases?: boolean; family?: string }): string[] {
  return defaultRegistry.listModels(pattern, options);
}

export function modelInfo(name: string, options?: CreateModelOptions): ModelInfo {
  return defaultRegistry.modelInfo(name, options);
}
