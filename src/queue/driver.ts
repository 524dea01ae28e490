/**
 * The search driver's side of the queue: a TrialRunner that adds every (trial, budget) of one step
 * as a job and waits for all of them, which workers anywhere train in parallel. Job ids are the
 * (trial, budget), so a driver restarted on the same folder (--resume) finds the jobs it had added,
 * whether waiting, running or finished, and adds none twice; finished jobs keep their results until
 * the search is done, when its queue is removed.
 */
import { Queue } from 'bullmq';
import { SearchInterrupted, type TrialRunner, type TrialTask } from '../search/index.js';
import type { EpochMetrics, Logger } from '../trainer/index.js';
import { connectionOptions, logRedisErrors } from './connection.js';
import { jobIdFor, PREFIX, queueNameFor, SEARCHES_KEY } from './names.js';
import { type JobData, parseJobResult } from './payload.js';
import { type JobView, jobView, progressLine } from './progress.js';
import { type QueueSettings, queueSettings } from './settings.js';
import { sleep } from './sleep.js';
import type { RedisTarget } from './url.js';

export interface QueueRunnerOptions {
  target: RedisTarget;
  log: Logger;
  settings?: QueueSettings;
}

interface Pending {
  index: number;
  task: TrialTask;
  id: string;
}

export class QueueRunner implements TrialRunner {
  private queue: Queue<JobData> | null = null;
  private dir = '';
  private lastLine = '';
  private readonly settings: QueueSettings;

  constructor(private readonly o: QueueRunnerOptions) {
    this.settings = o.settings ?? queueSettings();
  }

  async open(dir: string, resume: boolean): Promise<void> {
    const name = queueNameFor(dir);
    this.dir = dir;
    const queue: Queue<JobData> = new Queue(name, { connection: connectionOptions(this.o.target), prefix: PREFIX });
    this.queue = queue;
    logRedisErrors(this.o.target, this.o.log)(queue);
    // A new search in this folder: jobs left by an earlier one (its folder since deleted) are stale.
    if (!resume) await queue.obliterate({ force: true });
    await (await queue.getBackend().client).hset(SEARCHES_KEY, { [name]: dir });
    this.o.log.info(
      { queue: name },
      `trials go to queue ${name} on ${this.o.target.display}; start workers with 'archai-ts worker --queue ...' where ${dir} is mounted at the same path`,
    );
  }

  async run(tasks: TrialTask[], o: { onDone: (i: number, h: EpochMetrics[]) => Promise<void>; signal?: AbortSignal }): Promise<void> {
    const pending = tasks.map((task, index) => ({ index, task, id: jobIdFor(task.name, task.budget) }));
    for (const p of pending) await this.enqueue(p);
    const open = new Map(pending.map((p) => [p.id, p]));
    while (open.size) {
      if (o.signal?.aborted) throw new SearchInterrupted('stopped waiting for the queue; its jobs go on on the workers');
      const views: JobView[] = pending.filter((p) => !open.has(p.id)).map((p) => ({ id: p.id, state: 'completed', attempts: 0 }));
      for (const p of open.values()) {
        const view = await this.look(p);
        views.push(view);
        if (view.state !== 'completed') continue;
        open.delete(p.id);
        await o.onDone(p.index, await this.result(p));
      }
      this.progress(views);
      if (open.size) await sleep(this.settings.pollMs, o.signal);
    }
  }

  async close(finished: boolean): Promise<void> {
    const queue = this.queue;
    if (!queue) return;
    this.queue = null;
    try {
      if (finished) {
        await (await queue.getBackend().client).hdel(SEARCHES_KEY, queue.name);
        await queue.obliterate({ force: true });
      }
    } catch (e) {
      this.o.log.warn(`could not remove queue ${queue.name}: ${this.o.target.redact((e as Error).message)}`);
    } finally {
      await queue.close();
    }
  }

  private get q(): Queue<JobData> {
    if (!this.queue) throw new Error('QueueRunner: open() first');
    return this.queue;
  }

  /** Adds the job unless it is there already (then: reattached, or retried when it had failed). */
  private async enqueue(p: Pending): Promise<void> {
    const job = await this.q.getJob(p.id);
    if (!job) {
      await this.add(p);
      this.o.log.info({ job: p.id }, `queued ${p.id}`);
      return;
    }
    const state = await job.getState();
    if (state === 'failed') {
      this.o.log.info({ job: p.id }, `retrying ${p.id}, which had failed: ${this.o.target.redact(job.failedReason)}`);
      await job.retry('failed');
    } else {
      this.o.log.info({ job: p.id, state }, `reattached to ${p.id} (${state})`);
    }
  }

  private async add(p: Pending): Promise<void> {
    const data: JobData = { search: this.dir, trial: p.task.name, budget: p.task.budget };
    await this.q.add('trial', data, {
      jobId: p.id,
      attempts: this.settings.attempts,
      backoff: { type: 'fixed', delay: 2000 },
      removeOnComplete: false,
      removeOnFail: false,
    });
  }

  /** Where a job stands; a job gone from Redis (restarted without its data) is added again. */
  private async look(p: Pending): Promise<JobView> {
    const job = await this.q.getJob(p.id);
    if (!job) {
      this.o.log.warn({ job: p.id }, `${p.id} is gone from Redis (restarted without its append-only file?): queued it again`);
      await this.add(p);
      return { id: p.id, state: 'waiting', attempts: 0 };
    }
    const view = jobView(job, await job.getState());
    if (view.state === 'failed') {
      throw new Error(
        `trial ${p.task.name} to epoch ${p.task.budget} failed on ${view.worker ?? 'a worker'} after ${view.attempts} attempt(s): ` +
          `${this.o.target.redact(view.failedReason ?? '?')}; fix the cause and continue with 'archai-ts search --resume ${this.dir} --queue ...'`,
      );
    }
    return view;
  }

  private async result(p: Pending): Promise<EpochMetrics[]> {
    const job = await this.q.getJob(p.id);
    const r = parseJobResult(job?.returnvalue, p.task.budget);
    const from = r.firstEpoch === null ? 'nothing left to train' : r.firstEpoch > 1 ? `continued from epoch ${r.firstEpoch}` : '';
    this.o.log.info({ job: p.id, worker: r.worker, firstEpoch: r.firstEpoch }, `done ${p.id} on ${r.worker}${from ? ` (${from})` : ''}`);
    return r.history;
  }

  private progress(views: JobView[]): void {
    const line = progressLine(views);
    if (line !== this.lastLine) this.o.log.info(line);
    this.lastLine = line;
  }
}
