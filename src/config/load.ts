import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { homedir } from 'node:os';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import { ConfigError, configError, displaySource } from './errors.js';
import { issueToError } from './issues.js';
import { emptyLayer, isPlainObject, locate, mergeLayers, type Layer } from './layer.js';
import { overrideLayer } from './overrides.js';
import { configFileObject, experimentSchema, type ExperimentConfig } from './schema.js';
import { parseYamlLayer } from './yaml_layer.js';

export interface LoadedConfig {
  config: ExperimentConfig;
  /** Absolute path of the config file. */
  path: string;
  /** The file name without its extension: the experiment's default name. */
  name: string;
  /** Every file read, absolute, in the order merged (bases first, `path` last). */
  files: string[];
}

export interface ParseOptions {
  /** Folder that relative `extends` and data.root resolve against; default the folder of sourceName. */
  baseDir?: string;
  /** `key.path=value` overrides, applied after merging. */
  overrides?: string[];
}

/** The keys naming base files; archai's `__include__` and `extends` mean the same and may both appear. */
const INCLUDE_KEYS = ['extends', '__include__'] as const;

function expandHome(p: string): string {
  return p === '~' || p.startsWith('~/') ? homedir() + p.slice(1) : p;
}

function readConfigFile(file: string, from?: { layer: Layer; path: Array<string | number>; source: string }): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message;
    if (!from) throw new ConfigError(`${displaySource(file)}: cannot read the config: ${why}; check the path`);
    const pos = locate(from.layer, from.path)?.value ?? { source: from.source };
    throw configError(
      pos,
      String(from.path[0]),
      `cannot read '${displaySource(file)}': ${why}; paths are relative to the folder of ${basename(from.source)}`,
    );
  }
}

/** A layer's own data.root made absolute against its file's folder, before merging hides who set it. */
function anchorRoot(layer: Layer, dir: string): void {
  const data = layer.data.data;
  if (isPlainObject(data) && typeof data.root === 'string' && data.root !== '') {
    data.root = resolve(dir, expandHome(data.root));
  }
}

/** The layer of one file with its bases merged underneath, in order; `stack` is the include chain, for cycles. */
function withIncludes(layer: Layer, source: string, dir: string, stack: string[], files: string[]): Layer {
  anchorRoot(layer, dir);
  let merged = emptyLayer();
  for (const key of INCLUDE_KEYS) {
    const value = layer.data[key];
    delete layer.data[key];
    if (value === undefined || value === null) continue;
    const list = Array.isArray(value) ? value : [value];
    list.forEach((entry, i) => {
      const at = Array.isArray(value) ? [key, i] : [key];
      if (typeof entry !== 'string' || entry === '') {
        const pos = locate(layer, at)?.value ?? { source };
        throw configError(pos, key, `expected a file name or a list of file names, got ${JSON.stringify(entry)}`);
      }
      const file = resolve(dir, expandHome(entry));
      if (stack.includes(file)) {
        const chain = [...stack.slice(stack.indexOf(file)), file].map((f) => basename(f)).join(' -> ');
        const pos = locate(layer, at)?.value ?? { source };
        throw configError(pos, key, `circular extends: ${chain}; remove one of these extends`);
      }
      const text = readConfigFile(file, { layer, path: at, source });
      const base = withIncludes(parseYamlLayer(text, file), file, dirname(file), [...stack, file], files);
      merged = mergeLayers(merged, base);
    });
  }
  files.push(source);
  return mergeLayers(merged, layer);
}

/** `layer` with `--set` overrides on top, their key paths checked against `pathSchema`. */
export function withOverrides(layer: Layer, overrides: readonly string[], pathSchema: z.core.$ZodType = configFileObject): Layer {
  let merged = layer;
  for (const spec of overrides) merged = mergeLayers(merged, overrideLayer(spec, pathSchema));
  return merged;
}

/** The layer's data validated by `schema`, or a ConfigError pointing at the file and line of the first problem. */
export function validateLayer<S extends z.ZodType>(layer: Layer, schema: S, fallbackSource: string): z.output<S> {
  const result = schema.safeParse(layer.data, { reportInput: true });
  if (!result.success) throw issueToError(result.error.issues, schema, layer, { source: fallbackSource });
  return result.data;
}

/** An experiment config from a merged layer: validated, every default filled in. */
export function experimentFromLayer(layer: Layer, fallbackSource: string): ExperimentConfig {
  const config = validateLayer(layer, experimentSchema, fallbackSource);
  // Roots set by files are absolute by now; a default or --set root is relative to where the run starts.
  return { ...config, data: { ...config.data, root: resolve(expandHome(config.data.root)) } };
}

function resolveConfig(root: Layer, overrides: readonly string[], fallbackSource: string): ExperimentConfig {
  return experimentFromLayer(withOverrides(root, overrides), fallbackSource);
}

/** A config file with its `extends` chain merged underneath (no validation): for configs that embed an experiment. */
export function readLayered(path: string): { layer: Layer; path: string; files: string[] } {
  const file = resolve(path);
  const files: string[] = [];
  const layer = withIncludes(parseYamlLayer(readConfigFile(file), file), file, dirname(file), [file], files);
  return { layer, path: file, files };
}

/** The same from text (a saved config), relative paths resolving against `baseDir`. */
export function readLayeredText(text: string, sourceName: string, baseDir = dirname(sourceName)): Layer {
  const dir = resolve(baseDir);
  const stack = isAbsolute(sourceName) ? [sourceName] : [resolve(dir, basename(sourceName))];
  return withIncludes(parseYamlLayer(text, sourceName), sourceName, dir, stack, []);
}

/**
 * Reads a config file with its `extends` chain, applies `--set` overrides, validates, and fills
 * in every default. Every problem is a ConfigError whose one-line message names the file, line,
 * key and fix.
 */
export async function loadConfig(path: string, overrides: string[] = []): Promise<LoadedConfig> {
  const { layer, path: file, files } = readLayered(path);
  const config = resolveConfig(layer, overrides, file);
  return { config, path: file, name: basename(file, extname(file)), files };
}

/**
 * The same for a config that is not (only) a file on disk, e.g. a run's saved config.yaml read
 * for resuming; sourceName is what error messages call it.
 */
export function parseConfigText(text: string, sourceName: string, options: ParseOptions = {}): ExperimentConfig {
  const layer = readLayeredText(text, sourceName, options.baseDir);
  return resolveConfig(layer, options.overrides ?? [], sourceName);
}
