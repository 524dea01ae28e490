/**
 * What travels in a job: data only, checked on both ends. A job names a search folder (the queue's
 * own), a point of that search's space by its registry name, and a budget of the search; the worker
 * reads everything else from the folder's config.yaml. Its result is the run's epochs 1..budget.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { defaultRegistry } from '../registry/index.js';
import { parseSearchConfigText, type SearchConfig, type TrialTask } from '../search/index.js';
import type { EpochMetrics } from '../trainer/index.js';
import { queueNameFor } from './names.js';

const issues = (e: z.ZodError) => e.issues.map((i) => `${i.path.join('.') || 'job'}: ${i.message}`).join('; ');

/** A job no worker can ever run: failed at once, never retried. */
export class InvalidJobError extends Error {
  override name = 'InvalidJobError';
}

export const jobDataSchema = z.strictObject({
  /** The search folder: absolute and normal, the same path on every machine. */
  search: z
    .string()
    .max(4096)
    .refine((p) => isAbsolute(p) && resolve(p) === p && !p.includes('\0'), 'must be an absolute path without . or .. parts'),
  /** A registry name: no path separators, no '..'. */
  trial: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/, 'must be a model name (letters, digits, _ . -)')
    .refine((s) => !s.includes('..'), "must not contain '..'"),
  budget: z.number().int().min(1).max(1_000_000),
});
export type JobData = z.infer<typeof jobDataSchema>;

const epochSchema = z.looseObject({ epoch: z.number().int().min(1), seconds: z.number() });
export const jobResultSchema = z.strictObject({
  history: z.array(epochSchema),
  /** The worker that finished the job: host:pid. */
  worker: z.string().max(300),
  /** The first epoch that worker trained (null: none were left to train). */
  firstEpoch: z.number().int().nullable(),
});
export interface JobResult {
  history: EpochMetrics[];
  worker: string;
  firstEpoch: number | null;
}

/** A job's result, checked: the epochs 1..budget in order. */
export function parseJobResult(value: unknown, budget: number): JobResult {
  const r = jobResultSchema.safeParse(value);
  if (!r.success) throw new Error(`a job's result is malformed: ${issues(r.error)}`);
  const epochs = r.data.history.map((m) => m.epoch);
  if (epochs.length !== budget || epochs.some((e, i) => e !== i + 1))
    throw new Error(`a job's result has epochs [${epochs.join(', ')}], expected 1..${budget}`);
  return r.data as unknown as JobResult;
}

export interface ResolvedJob {
  dir: string;
  config: SearchConfig;
  task: TrialTask;
}

/** Checks a job of queue `queueName` against its search folder: what it may train, or why not. */
export async function resolveJob(data: unknown, queueName: string): Promise<ResolvedJob> {
  const parsed = jobDataSchema.safeParse(data);
  if (!parsed.success) throw new InvalidJobError(`invalid job: ${issues(parsed.error)}`);
  const { search: dir, trial, budget } = parsed.data;
  if (queueNameFor(dir) !== queueName) throw new InvalidJobError(`invalid job: ${dir} is not the search folder of queue ${queueName}`);
  const file = join(dir, 'config.yaml');
  // Not InvalidJobError: the folder may just not be mounted on this machine; another worker may see it.
  if (!existsSync(file))
    throw new Error(`${file} not found on this machine: is the search folder shared at the same path on every worker?`);
  let config: SearchConfig;
  try {
    config = parseSearchConfigText(await readFile(file, 'utf8'), file);
  } catch (e) {
    throw new InvalidJobError(`invalid job: ${dir} holds no usable search config: ${(e as Error).message}`);
  }
  try {
    defaultRegistry.resolve(trial);
  } catch (e) {
    throw new InvalidJobError(`invalid job: ${(e as Error).message}`);
  }
  if (!config.space.points.some((p) => p.name === trial))
    throw new InvalidJobError(`invalid job: ${trial} is not a point of the search space of ${dir}`);
  if (!config.budgets.includes(budget))
    throw new InvalidJobError(`invalid job: ${budget} is not a budget of the search in ${dir} (${config.budgets.join(', ')})`);
  return { dir, config, task: { name: trial, budget } };
}
