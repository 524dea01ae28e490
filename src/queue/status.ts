/** `archai-ts search status DIR --queue URL`: the jobs of a search's queue as they stand. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Queue } from 'bullmq';
import { connectionOptions, logRedisErrors } from './connection.js';
import { QueueError } from './errors.js';
import { PREFIX, queueNameFor, SEARCHES_KEY } from './names.js';
import { type JobView, jobView } from './progress.js';
import { silentLogger } from '../trainer/index.js';
import type { RedisTarget } from './url.js';

export interface QueueStatus {
  dir: string;
  queue: string;
  /** Whether a driver has the search listed for workers (it is running, or was stopped before it ended). */
  listed: boolean;
  jobs: JobView[];
}

const STATES = ['active', 'waiting', 'prioritized', 'delayed', 'failed', 'completed'] as const;

export async function queueStatus(target: RedisTarget, folder: string): Promise<QueueStatus> {
  const dir = resolve(folder);
  if (!existsSync(join(dir, 'config.yaml')))
    throw new QueueError(`${folder}: no config.yaml there; pass a folder made by 'archai-ts search'`);
  const name = queueNameFor(dir);
  const queue = new Queue(name, { connection: connectionOptions(target), prefix: PREFIX });
  logRedisErrors(target, silentLogger())(queue);
  try {
    const listed = (await (await queue.getBackend().client).hexists(SEARCHES_KEY, name)) === 1;
    const jobs: JobView[] = [];
    for (const state of STATES) {
      for (const job of await queue.getJobs([state])) if (job) jobs.push(jobView(job, state));
    }
    jobs.sort((a, b) => a.id.localeCompare(b.id));
    return { dir, queue: name, listed, jobs };
  } finally {
    await queue.close();
  }
}
