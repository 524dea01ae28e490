/**
 * What a worker does with one job: checks it against its search folder, trains the trial to the
 * budget there (resuming its run from the last checkpoint, whoever wrote it) and returns the run's
 * epochs. Stopped (signal) or having lost the job's lock, it checkpoints and hands the job back.
 */
import { type Job, UnrecoverableError, WaitingError } from 'bullmq';
import type { BackendName } from '../backend/index.js';
import { trainTrial } from '../search/index.js';
import type { Logger } from '../trainer/index.js';
import { InvalidJobError, type JobData, type JobResult, resolveJob } from './payload.js';

export interface ProcessorContext {
  queueName: string;
  /** host:pid, reported with each result. */
  workerName: string;
  backend?: BackendName;
  log: Logger;
  /** The stop switch of each running job, by id (the worker's signal handler and lock loss use them). */
  active: Map<string, AbortController>;
  stopping: () => boolean;
}

async function handBack(ctx: ProcessorContext, job: Job<JobData>, token: string | undefined): Promise<never> {
  try {
    await job.moveToWait(token);
    ctx.log.info({ job: job.id }, `job ${job.id}: stopped at a checkpoint and handed back to the queue`);
  } catch (e) {
    ctx.log.warn({ job: job.id }, `job ${job.id}: stopped; its lock is gone (${(e as Error).message}), another worker takes it over`);
  }
  throw new WaitingError();
}

export function trialProcessor(ctx: ProcessorContext): (job: Job<JobData>, token?: string) => Promise<JobResult> {
  return async (job, token) => {
    const id = job.id ?? '?';
    const resolved = await resolveJob(job.data, ctx.queueName).catch((e: unknown) => {
      // A job no worker can run fails at once instead of being retried.
      throw e instanceof InvalidJobError ? new UnrecoverableError(e.message) : e;
    });
    const controller = new AbortController();
    ctx.active.set(id, controller);
    if (ctx.stopping()) controller.abort();
    try {
      ctx.log.info({ job: id, dir: resolved.dir }, `job ${id}: started (attempt ${job.attemptsStarted}) for ${resolved.dir}`);
      const { budget } = resolved.task;
      const trained = await trainTrial(resolved.config, resolved.dir, resolved.task, {
        signal: controller.signal,
        logger: ctx.log,
        backend: ctx.backend,
        takeOverLock: true,
        // Not awaited: a Redis outage must not hold up training.
        onEpoch: (m) => void job.updateProgress({ epoch: m.epoch, budget }).catch(() => undefined),
      });
      if (trained.interrupted) return await handBack(ctx, job, token);
      const first = trained.firstEpoch;
      ctx.log.info(
        { job: id, firstEpoch: first },
        `job ${id}: done, ${first === null ? 'no epoch left to train' : `trained epochs ${first}-${budget} here`}`,
      );
      return { history: trained.history, worker: ctx.workerName, firstEpoch: first };
    } finally {
      ctx.active.delete(id);
    }
  };
}
