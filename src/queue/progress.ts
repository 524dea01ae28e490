/**
 * What a search's jobs are doing, in words: waiting, running (on which worker, at which epoch),
 * done. The driver logs it as it changes; `archai-ts search status` prints it on demand.
 */
import type { Job, JobState } from 'bullmq';

export interface JobView {
  id: string;
  state: JobState | 'unknown';
  /** The worker (host:pid) that has it, or had it last. */
  worker?: string;
  /** The epoch its worker reported last. */
  epoch?: number;
  attempts: number;
  failedReason?: string;
}

export function jobView(job: Job, state: JobState | 'unknown'): JobView {
  const progress = job.progress as { epoch?: unknown } | number | string | boolean;
  const epoch = typeof progress === 'object' && typeof progress.epoch === 'number' ? progress.epoch : undefined;
  return {
    id: job.id ?? '?',
    state,
    ...(job.processedBy ? { worker: job.processedBy } : {}),
    ...(epoch !== undefined ? { epoch } : {}),
    attempts: job.attemptsMade,
    ...(job.failedReason ? { failedReason: job.failedReason } : {}),
  };
}

const RUNNING: ReadonlySet<string> = new Set(['active']);
const DONE: ReadonlySet<string> = new Set(['completed']);

/** One line: counts, then each running job with its worker. */
export function progressLine(views: readonly JobView[]): string {
  const running = views.filter((v) => RUNNING.has(v.state));
  const done = views.filter((v) => DONE.has(v.state)).length;
  const failed = views.filter((v) => v.state === 'failed').length;
  const waiting = views.length - running.length - done - failed;
  const where = running.map((v) => `${v.id} on ${v.worker ?? '?'}${v.epoch !== undefined ? ` after epoch ${v.epoch}` : ''}`);
  return (
    `jobs: ${waiting} waiting, ${running.length} running${where.length ? ` (${where.join(', ')})` : ''}, ${done} done` +
    `${failed ? `, ${failed} failed` : ''} of ${views.length}`
  );
}
