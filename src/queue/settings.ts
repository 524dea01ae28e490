/**
 * The queue's timings. A worker holds a job's lock for LOCK_MS and renews it at half that; a worker
 * that stops renewing (killed, or its machine gone) loses the job to another once the lock has
 * expired and a stalled check (every LOCK_MS) has seen it. Tests shorten it; a training step that
 * blocks Node's event loop for longer than LOCK_MS needs it longer.
 */
import { QueueError } from './errors.js';

export interface QueueSettings {
  /** How long a job's lock lasts without renewal (ms). */
  lockMs: number;
  /** How often the driver looks at its jobs and a worker at the list of searches (ms). */
  pollMs: number;
  /** Times a (trial, budget) job may fail (an error, not a lost worker) before the search stops on it. */
  attempts: number;
  /** Times a job may be found stalled (its worker lost) before it counts as failed. */
  maxStalled: number;
}

function envMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 100) throw new QueueError(`${name} must be a whole number of milliseconds >= 100, got '${text}'`);
  return n;
}

export function queueSettings(env: NodeJS.ProcessEnv = process.env): QueueSettings {
  return {
    lockMs: envMs(env, 'ARCHAI_TS_QUEUE_LOCK_MS', 30_000),
    pollMs: envMs(env, 'ARCHAI_TS_QUEUE_POLL_MS', 1000),
    attempts: 3,
    maxStalled: 5,
  };
}
