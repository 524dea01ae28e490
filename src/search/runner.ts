/**
 * How a search gets its trials trained: a TrialRunner is handed every (trial, budget) of one step of
 * the algorithm at once. The default trains them here, one after another; a queue runner (src/queue)
 * hands them to workers on other machines. Either way the search alone records the results.
 */
import type { EpochMetrics, Logger } from '../trainer/index.js';
import type { SearchConfig } from './config.js';
import { type TrialTask, trainTrial } from './train_trial.js';

/** The search was asked to stop; what is measured is saved. */
export class SearchInterrupted extends Error {
  override name = 'SearchInterrupted';
}

export interface RunTrialsOptions {
  /** Called as each task finishes, in any order, with its run's epochs 1..budget. */
  onDone: (index: number, history: EpochMetrics[]) => Promise<void>;
  /** Stop: throw SearchInterrupted once what is running is saved. */
  signal?: AbortSignal;
}

export interface TrialRunner {
  /** Once the search folder is locked: `resume` false means nothing left by an earlier search there may be reused. */
  open?(dir: string, resume: boolean): Promise<void>;
  /** Trains every task to its budget; resolves once each has been reported to onDone. */
  run(tasks: TrialTask[], options: RunTrialsOptions): Promise<void>;
  /** After the search, `finished` when it completed; errors here are the runner's to report. */
  close?(finished: boolean): Promise<void>;
}

/** Trains the tasks in this process, in order. */
export function inProcessRunner(config: SearchConfig, dir: string, log: Logger): TrialRunner {
  return {
    async run(tasks, { onDone, signal }) {
      for (const [i, task] of tasks.entries()) {
        if (signal?.aborted) throw new SearchInterrupted('stopped between trials');
        const trained = await trainTrial(config, dir, task, { signal, logger: log });
        if (trained.interrupted) throw new SearchInterrupted(`stopped during trial ${task.name}`);
        await onDone(i, trained.history);
      }
    },
  };
}
