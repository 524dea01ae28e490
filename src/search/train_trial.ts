/**
 * One trial trained to one budget, in SEARCH/trials/<name>/, and nothing else: no search.json, no
 * results. The search's own loop and a queue worker on another machine both call it; a higher
 * budget, or a run that stopped (signal, lost worker), resumes the run from its last checkpoint.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../backend/index.js';
import { type EpochMetrics, type Logger, train } from '../trainer/index.js';
import { type SearchConfig, trialConfig } from './config.js';

/** A point (by its registry name) to train to `budget` epochs. */
export interface TrialTask {
  name: string;
  budget: number;
}

export interface TrainTrialOptions {
  signal?: AbortSignal;
  logger: Logger;
  /** Train on this backend instead of the config's (a worker's own hardware). */
  backend?: BackendName;
  /** Take over the run's lock from a process of another host (the caller owns the trial by other means). */
  takeOverLock?: boolean;
  onEpoch?: (metrics: EpochMetrics) => void | Promise<void>;
}

export interface TrainedTrial {
  /** The run's epochs 1..budget (empty when interrupted). */
  history: EpochMetrics[];
  /** The first epoch this call trained; null when the run had reached the budget already. */
  firstEpoch: number | null;
  interrupted: boolean;
}

/** The run folder of a trial. */
export const trialDir = (searchDir: string, name: string) => join(searchDir, 'trials', name);

export async function trainTrial(config: SearchConfig, searchDir: string, task: TrialTask, o: TrainTrialOptions): Promise<TrainedTrial> {
  const runDir = trialDir(searchDir, task.name);
  const resume = existsSync(join(runDir, 'config.yaml'));
  o.logger.info(
    { trial: task.name, budget: task.budget },
    `trial ${task.name}: ${resume ? 'continuing' : 'training'} to epoch ${task.budget}`,
  );
  const experiment = trialConfig(config, task.name, task.budget);
  let firstEpoch: number | null = null;
  const result = await train(o.backend ? { ...experiment, backend: o.backend } : experiment, {
    ...(resume ? { resume: runDir } : { outDir: runDir }),
    signal: o.signal,
    logger: o.logger.child({ trial: task.name }),
    takeOverLock: o.takeOverLock,
    onEpoch: async (m) => {
      firstEpoch ??= m.epoch;
      await o.onEpoch?.(m);
    },
  });
  if (result.interrupted) return { history: [], firstEpoch, interrupted: true };
  return { history: result.history.slice(0, task.budget), firstEpoch, interrupted: false };
}
