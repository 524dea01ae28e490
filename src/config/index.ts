export { loadConfig, parseConfigText, type LoadedConfig, type ParseOptions } from './load.js';
export { dumpConfig } from './dump.js';
export { configJsonSchema, configJsonSchemaText } from './json_schema.js';
export { ConfigError, type SourcePosition } from './errors.js';
export {
  experimentSchema,
  configFileObject,
  type ExperimentConfig,
} from './schema.js';
