/**
 * `archai-ts worker`: serves every search on one Redis. It watches the list of running searches and
 * keeps a BullMQ worker on each one's queue (closing it when the search ends), so one command per
 * machine is enough. A worker that dies mid-trial stops renewing its jobs' locks; another worker
 * finds them stalled and resumes them from their last checkpoint. A stopped worker (signal) finishes
 * the step, checkpoints and hands its jobs back.
 */
import { hostname } from 'node:os';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { BackendName } from '../backend/index.js';
import type { Logger } from '../trainer/index.js';
import { connectionOptions, logRedisErrors } from './connection.js';
import { PREFIX, SEARCHES_KEY } from './names.js';
import type { JobData, JobResult } from './payload.js';
import { trialProcessor } from './processor.js';
import { type QueueSettings, queueSettings } from './settings.js';
import { sleep } from './sleep.js';
import type { RedisTarget } from './url.js';

export interface WorkerOptions {
  target: RedisTarget;
  /** Trials trained at once by this process, per search. */
  concurrency: number;
  /** Train on this backend instead of each search's. */
  backend?: BackendName;
  log: Logger;
  /** Stop: running trials checkpoint and go back to their queues, then runWorker returns. */
  signal: AbortSignal;
  settings?: QueueSettings;
}

interface State {
  o: WorkerOptions;
  settings: QueueSettings;
  name: string;
  workers: Map<string, { worker: Worker<JobData, JobResult>; dir: string }>;
  active: Map<string, AbortController>;
  watch: ReturnType<typeof logRedisErrors>;
}

function serve(s: State, queueName: string, dir: string): void {
  const { o, settings } = s;
  const processor = trialProcessor({
    ...{ queueName, workerName: s.name, backend: o.backend, log: o.log, active: s.active },
    stopping: () => o.signal.aborted,
  });
  const worker = new Worker<JobData, JobResult>(queueName, processor, {
    ...{ connection: connectionOptions(o.target), prefix: PREFIX, concurrency: o.concurrency, name: s.name },
    ...{ lockDuration: settings.lockMs, stalledInterval: settings.lockMs, maxStalledCount: settings.maxStalled },
  });
  s.watch(worker);
  worker.on('failed', (job, e) => o.log.warn({ job: job?.id }, `job ${job?.id}: failed: ${o.target.redact(e.message)}`));
  worker.on('stalled', (id) => o.log.warn({ job: id }, `job ${id}: its worker stopped renewing its lock; back in the queue`));
  // Lost locks (the job is someone else's now): stop writing to the trial at the next step.
  worker.on('lockRenewalFailed', (ids) => {
    for (const id of ids) s.active.get(id)?.abort();
  });
  s.workers.set(queueName, { worker, dir });
  o.log.info({ queue: queueName }, `serving the search in ${dir}`);
}

/** Follows the list of searches: a worker for each new one, none for the finished. */
async function sync(s: State, registry: Redis): Promise<void> {
  const searches = await registry.hgetall(SEARCHES_KEY);
  for (const [queueName, dir] of Object.entries(searches)) if (!s.workers.has(queueName)) serve(s, queueName, dir);
  for (const [queueName, { worker, dir }] of s.workers) {
    if (queueName in searches) continue;
    s.workers.delete(queueName);
    await worker.close();
    s.o.log.info({ queue: queueName }, `the search in ${dir} has ended`);
  }
}

export async function runWorker(o: WorkerOptions): Promise<void> {
  const s: State = {
    ...{ o, settings: o.settings ?? queueSettings(), name: `${hostname()}:${process.pid}` },
    ...{ workers: new Map(), active: new Map(), watch: logRedisErrors(o.target, o.log) },
  };
  const registry = new Redis(connectionOptions(o.target));
  s.watch(registry);
  o.log.info(`worker ${s.name} on ${o.target.display}: ${o.concurrency} trial(s) at a time per search, waiting for searches`);
  try {
    while (!o.signal.aborted) {
      await sync(s, registry).catch((e: unknown) => o.log.warn(`listing searches: ${o.target.redact((e as Error).message)}`));
      await sleep(s.settings.pollMs, o.signal);
    }
    for (const c of s.active.values()) c.abort();
    await Promise.all([...s.workers.values()].map(({ worker }) => worker.close()));
  } finally {
    registry.disconnect();
  }
}
