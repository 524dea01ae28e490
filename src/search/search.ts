/**
 * search(): a search config run in a folder of its own. Every check that can fail (the config, the
 * constraints against the whole space) runs before the folder is made; a search stopped (signal)
 * keeps what it measured and `resume` continues it without re-running a finished trial. A
 * TrialRunner trains the trials (this process by default, or queue workers elsewhere); search()
 * alone writes search.json and the results.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Document } from 'yaml';
import { ConfigError } from '../config/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { lockRunFolder, type Logger, RunFolderError, silentLogger } from '../trainer/index.js';
import { Generator } from '../util/random.js';
import { ALGORITHMS } from './algorithms.js';
import type { SearchConfig } from './config.js';
import { modelInfo } from '../registry/index.js';
import { boundText, type Objective, withinBounds } from './objectives.js';
import { type FrontierRow, frontier, writeResults } from './results.js';
import type { Point } from './space.js';
import { type Cheap, emptyState, readState, type TrialRow, writeState } from './state.js';
import { inProcessRunner, SearchInterrupted, type TrialRunner } from './runner.js';
import { evaluatePoints, feasible, type TrialContext } from './trials.js';

export interface SearchOptions {
  /** The search folder; made if missing. */
  outDir: string;
  /** Continue the search in outDir (its search.json) instead of starting one. */
  resume?: boolean;
  /** Stop: the current training step finishes, its run checkpoints, and search returns interrupted. */
  signal?: AbortSignal;
  logger?: Logger;
  onTrial?: (row: TrialRow) => void;
  browserLatency?: TrialContext['browserLatency'];
  /** Who trains the trials: default this process, one after another (see src/queue for workers elsewhere). */
  runner?: TrialRunner;
}

export interface SearchResult {
  dir: string;
  objectives: Objective[];
  /** Every trial at every budget, is_pareto set on the frontier's. */
  rows: FrontierRow[];
  frontier: FrontierRow[];
  interrupted: boolean;
}

/** The resolved search config as YAML: its experiment with every default, and its search section. */
export function dumpSearchConfig(config: SearchConfig): string {
  return new Document({ ...config.base, search: config.search }).toString({ lineWidth: 0 });
}

/**
 * Refuses constraints on params or macs that no point of the space meets, before anything trains;
 * returns the sizes it measured (zero-weight builds), which the search keeps.
 */
function checkConstraints(config: SearchConfig): Record<string, Cheap> {
  const bounded = config.search.objectives.filter(
    (o) => (o.name === 'params' || o.name === 'macs') && (o.max !== undefined || o.min !== undefined),
  );
  if (!bounded.length) return {};
  const sizes: Record<string, Cheap> = {};
  for (const p of config.space.points) {
    const info = modelInfo(p.name, { numClasses: config.base.model.num_classes });
    sizes[p.name] = { params: info.params, macs: info.macs };
    if (bounded.every((o) => withinBounds(o, sizes[p.name]![o.name as 'params' | 'macs']))) return sizes;
  }
  const o = bounded[0]!;
  const values = Object.values(sizes).map((c) => c[o.name as 'params' | 'macs']);
  const points = config.space.points;
  throw new ConfigError(
    `the constraint ${o.name} ${boundText(o)} excludes every one of the ${points.length} points of the space ` +
      `(their ${o.name} range from ${Math.min(...values)} to ${Math.max(...values)}); loosen it or change the space`,
  );
}

async function openFolder(dir: string, resume: boolean): Promise<{ release: () => Promise<void>; state: TrialContext['state'] }> {
  await mkdir(dir, { recursive: true }).catch((e: unknown) => {
    throw new RunFolderError(`cannot create the search folder ${dir}: ${(e as Error).message}`);
  });
  const lock = await lockRunFolder(dir, () => {});
  const state = await readState(dir);
  if (state && !resume) {
    await lock.release();
    throw new RunFolderError(`${dir} already holds a search; continue it with 'archai-ts search --resume ${dir}' or choose another --out`);
  }
  if (!state && resume && existsSync(join(dir, 'trials'))) {
    await lock.release();
    throw new RunFolderError(`${dir} has no search.json: it is not a search folder archai-ts can resume`);
  }
  return { release: lock.release, state: state ?? emptyState() };
}

export async function search(config: SearchConfig, options: SearchOptions): Promise<SearchResult> {
  const dir = resolve(options.outDir);
  const log = options.logger ?? silentLogger();
  const sizes = checkConstraints(config);
  const runner = options.runner ?? inProcessRunner(config, dir, log);
  let finished = false;
  try {
    const folder = await openFolder(dir, options.resume ?? false);
    const state = { ...folder.state, cheap: { ...sizes, ...folder.state.cheap } };
    const ctx: TrialContext = {
      config,
      dir,
      state,
      log,
      signal: options.signal,
      onTrial: options.onTrial,
      browserLatency: options.browserLatency,
    };
    const interrupted = await runAlgorithm(ctx, runner, folder, options.resume ?? false);
    const budget = config.budgets.length ? config.budgets[config.budgets.length - 1]! : null;
    const rows = frontier(Object.values(ctx.state.rows), config.search.objectives, budget);
    await writeResults(dir, config, rows);
    finished = !interrupted;
    return { dir, objectives: config.search.objectives, rows, frontier: rows.filter((r) => r.is_pareto), interrupted };
  } finally {
    await runner.close?.(finished);
  }
}

/** Runs the search's algorithm in its locked folder, saving the state however it ends; true when stopped. */
async function runAlgorithm(
  ctx: TrialContext,
  runner: TrialRunner,
  folder: { release: () => Promise<void> },
  resume: boolean,
): Promise<boolean> {
  const { config, dir } = ctx;
  let interrupted = false;
  try {
    await writeFileAtomic(join(dir, 'config.yaml'), dumpSearchConfig(config));
    await runner.open?.(dir, resume);
    const s = config.search;
    await ALGORITHMS[s.algorithm.type]({
      space: config.space,
      feasible: (p: Point) => feasible(ctx, p),
      evaluate: (points, budget) => evaluatePoints(ctx, points, budget, runner),
      objectives: s.objectives,
      budgets: config.budgets,
      rng: new Generator(s.seed),
      settings: s.algorithm,
    });
  } catch (e) {
    if (!(e instanceof SearchInterrupted)) throw e;
    interrupted = true;
  } finally {
    try {
      ctx.state.done = !interrupted;
      await writeState(dir, ctx.state);
    } finally {
      await folder.release();
    }
  }
  return interrupted;
}
