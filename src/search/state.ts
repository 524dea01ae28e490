/**
 * SEARCH/search.json: what a search has measured so far, so that a resumed search re-runs none of
 * it and takes the same decisions (the algorithms are deterministic given these numbers).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

/** One trial at one budget (or at none, when every objective is cheap): a row of trials.csv. */
export interface TrialRow {
  name: string;
  family: string;
  /** The choices as `key=value` pairs joined by ';'. */
  choices: string;
  /** Epochs trained, or null. */
  budget: number | null;
  /** Objective values by name. */
  values: Record<string, number>;
  /** Training and evaluation time of the epochs up to the budget. */
  seconds: number;
}

export interface Cheap {
  params: number;
  macs: number;
  latency_ms?: number;
}

export interface SearchState {
  version: 1;
  cheap: Record<string, Cheap>;
  /** By `name@budget`. */
  rows: Record<string, TrialRow>;
  done: boolean;
}

export const rowKey = (name: string, budget: number | null) => `${name}@${budget ?? '-'}`;

export function emptyState(): SearchState {
  return { version: 1, cheap: {}, rows: {}, done: false };
}

export async function readState(dir: string): Promise<SearchState | null> {
  try {
    return JSON.parse(await readFile(join(dir, 'search.json'), 'utf8')) as SearchState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function writeState(dir: string, state: SearchState): Promise<void> {
  await writeFileAtomic(join(dir, 'search.json'), `${JSON.stringify(state)}\n`);
}
