/**
 * A search config: an experiment (the data and recipe every trial runs; its model is replaced by
 * each trial's) plus a `search` section. Both are validated, with file and line in every message,
 * before anything runs.
 */
import { basename, dirname, extname } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  configFileObject,
  type ExperimentConfig,
  experimentFromLayer,
  isPlainObject,
  type Layer,
  modelSection,
  readLayered,
  readLayeredText,
  validateLayer,
  withOverrides,
} from '../config/index.js';
import { OBJECTIVES } from './objectives.js';
import { familyGrids, type SearchSection, searchObject, searchSection } from './schema.js';
import { SearchSpace } from './space.js';

export interface SearchConfig {
  search: SearchSection;
  /** The experiment every trial runs, with the schedule spanning the last budget; its model is the first point's. */
  base: ExperimentConfig;
  space: SearchSpace;
  /** Epoch budgets of the trained objective, increasing; empty when every objective is cheap. */
  budgets: number[];
  /** The file's name without extension: the search's default name. */
  name: string;
}

/** What `--set` paths are checked against: an experiment file's keys and `search`. */
const searchFileObject = configFileObject.extend({ search: searchObject.partial().optional() });

function fromLayer(layer: Layer, source: string): SearchConfig {
  const { search } = validateLayer(layer, z.looseObject({ search: searchSection }), source);
  const space = new SearchSpace(familyGrids(search));
  const trained = search.objectives.find((o) => OBJECTIVES[o.name].trained);
  const data = structuredClone(layer.data);
  delete data.search;
  const model = isPlainObject(data.model) ? data.model : {};
  const trainer = isPlainObject(data.trainer) ? data.trainer : {};
  const budgets = trained ? (trained.budgets ?? [typeof trainer.epochs === 'number' ? trainer.epochs : 1800]) : [];
  data.model = { name: space.points[0]!.name, ...(model.num_classes !== undefined ? { num_classes: model.num_classes } : {}) };
  if (budgets.length) data.trainer = { ...trainer, epochs: budgets[budgets.length - 1] };
  const base = experimentFromLayer({ ...layer, data }, source);
  if (trained && base.data.val_split === 0) {
    throw new ConfigError(`${source}: the objective ${trained.name} is scored on a validation split; set data.val_split (e.g. 0.1)`);
  }
  return { search, base, space, budgets, name: basename(source, extname(source)) };
}

export function loadSearchConfig(path: string, overrides: readonly string[] = []): SearchConfig {
  const { layer, path: file } = readLayered(path);
  return fromLayer(withOverrides(layer, overrides, searchFileObject), file);
}

/** A search's saved config.yaml (its base experiment resolved, its search section as given). */
export function parseSearchConfigText(text: string, source: string, overrides: readonly string[] = []): SearchConfig {
  return fromLayer(withOverrides(readLayeredText(text, source, dirname(source)), overrides, searchFileObject), source);
}

/** The experiment of one trial: the base with this model and the schedule of the last budget, stopping at `budget`. */
export function trialConfig(config: SearchConfig, name: string, budget: number | null): ExperimentConfig {
  const { base } = config;
  const trainer = { ...base.trainer };
  delete trainer.stop_after_epochs;
  if (budget !== null && budget < trainer.epochs) trainer.stop_after_epochs = budget;
  return { ...base, model: modelSection(name, base.model.num_classes), trainer };
}
