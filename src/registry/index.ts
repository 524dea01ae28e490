import type { Model } from '../models/model.js';
import { ModelRegistry, type CreateModelOptions, type ModelEntry, type ModelFamily, type ModelInfo } from './registry.js';
import { registerShakeShakeModels } from './shakeshake.js';

export { ModelRegistry, UnknownModelError } from './registry.js';
export type { CreateModelOptions, ModelEntry, ModelFamily, ModelInfo } from './registry.js';
export { naturalCompare, wildcardToRegExp, closestNames } from '../util/names.js';

/** The package's registry, with the built-in zoo registered when it is made (no import order to get right). */
export const defaultRegistry = new ModelRegistry();
registerShakeShakeModels(defaultRegistry);

export function registerModel(entry: ModelEntry): void {
  defaultRegistry.registerModel(entry);
}

export function registerModelFamily(family: ModelFamily): void {
  defaultRegistry.registerFamily(family);
}

export function createModel(name: string, options?: CreateModelOptions): Model {
  return defaultRegistry.createModel(name, options);
}

export function listModels(pattern?: string, options?: { aliases?: boolean }): string[] {
  return defaultRegistry.listModels(pattern, options);
}

export function modelInfo(name: string, options?: CreateModelOptions): ModelInfo {
  return defaultRegistry.modelInfo(name, options);
}
