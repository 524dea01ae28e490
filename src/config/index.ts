export {
  loadConfig,
  parseConfigText,
  readLayered,
  readLayeredText,
  withOverrides,
  validateLayer,
  experimentFromLayer,
  type LoadedConfig,
  type ParseOptions,
} from './load.js';
export { type Layer, isPlainObject } from './layer.js';
export { modelSection } from './model_section.js';
export { dumpConfig } from './dump.js';
export { configJsonSchema, configJsonSchemaText } from './json_schema.js';
export { ConfigError, type SourcePosition } from './errors.js';
export {
  experimentSchema,
  configFileObject,
  experimentObject,
  type ExperimentConfig,
} from './schema.js';
