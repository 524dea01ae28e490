/**
 * Searches on a real Redis job queue with real worker processes, and the faults they must survive:
 * a worker killed (SIGKILL) and one stopped (SIGTERM) mid-trial, the driver killed and restarted
 * with --resume, Redis restarted mid-search. Each ends with the same trials.csv as the search run
 * in-process on the same seed, every trial trained exactly to its budget, no job added twice.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSearchConfig, search } from '../../src/search/index.js';
import { killAll, type Proc, type RedisServer, redisAvailable, startCli, startRedis, waitFor, waitForValue } from './processes.js';

const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-queue-'));
const BUDGET = 3;

// Three tiny trials of three epochs each, long enough (a few hundred ms an epoch) to be caught mid-trial.
const config = join(tmp, 'search.yaml');
writeFileSync(
  config,
  `backend: wasm
model: {num_classes: 4}
data: {dataset: synthetic, batch_size: 8, val_split: 0.25, synthetic: {train_size: 64, test_size: 8}}
trainer: {log_every: 50, optimizer: {lr: 0.05}, replicas: 1}
search:
  seed: 5
  space:
    - { family: shake_resnet, depth: 8, width: [4, 8] }
    - { family: pyramidnet, depth: 8, alpha: 8, bottleneck: false }
  objectives:
    - { name: val_top1, budgets: [${BUDGET}] }
    - { name: params }
  algorithm: { type: grid }
`,
);

/** trials.csv without its seconds column. */
const trialsCsv = (dir: string) =>
  readFileSync(join(dir, 'trials.csv'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split(',').slice(0, -1).join(','));

const lines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

/** The epochs in each trial's metrics.jsonl. */
function epochsByTrial(dir: string): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const t of readdirSync(join(dir, 'trials')))
    out[t] = lines(join(dir, 'trials', t, 'metrics.jsonl')).map((l) => (JSON.parse(l) as { epoch: number }).epoch);
  return out;
}

/** A trial `worker` holds (its run lock) with a checkpoint of at least one epoch, and epochs ahead. */
function midTrial(dir: string, worker: Proc, other?: string): string | null {
  const trials = join(dir, 'trials');
  if (!existsSync(trials)) return null;
  for (const t of readdirSync(trials)) {
    if (t === other) continue;
    let lock: { pid?: number } = {};
    try {
      lock = JSON.parse(readFileSync(join(trials, t, '.lock'), 'utf8')) as { pid?: number };
    } catch {
      continue;
    }
    const done = lines(join(trials, t, 'metrics.jsonl')).length;
    // The epoch's checkpoint is written after its metrics line: both, or a kill may find no checkpoint yet.
    const checkpoint = existsSync(join(trials, t, 'checkpoints', 'last.safetensors'));
    if (lock.pid === worker.child.pid && checkpoint && done >= 1 && done < BUDGET) return t;
  }
  return null;
}

/** Its exit code, or a failure with the end of its output after `ms`. */
async function exitOf(p: Proc, ms: number, what: string): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} still running after ${ms / 1000} s:\n${p.output().slice(-3000)}`)), ms);
  });
  try {
    return await Promise.race([p.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** What `job` line of the driver says: who finished it and from which epoch. */
function doneLine(driverOutput: string, job: string): { worker: string; from: number } {
  const m = new RegExp(`done ${job.replace(/[.@]/g, '\\$&')} on (\\S+) \\(continued from epoch (\\d+)\\)`).exec(driverOutput);
  if (!m) throw new Error(`no 'done ${job} ... (continued from epoch N)' in the driver's output:\n${driverOutput.slice(-3000)}`);
  return { worker: m[1]!, from: Number(m[2]) };
}

const queuedIds = (output: string) => [...output.matchAll(/queued (\S+@\d+)/g)].map((m) => m[1]!);
const workerName = (p: Proc) => new RegExp(`:${p.child.pid}$`);

describe.skipIf(!redisAvailable())('searches on a Redis job queue', () => {
  let redis: RedisServer;
  let baseline: string[];
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    const data = join(tmp, 'redis');
    mkdirSync(data);
    redis = await startRedis(data);
    // Short locks: a lost worker's job is found stalled within seconds.
    env = { ARCHAI_TS_REDIS_URL: redis.url, ARCHAI_TS_QUEUE_LOCK_MS: '3000', ARCHAI_TS_QUEUE_POLL_MS: '250' };
    const straight = await search(loadSearchConfig(config), { outDir: join(tmp, 'in-process') });
    baseline = trialsCsv(straight.dir);
    expect(baseline).toHaveLength(4);
  }, 120_000);

  afterAll(async () => {
    await killAll();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a worker killed mid-trial and one stopped with SIGTERM: other workers resume their trials from checkpoints', async () => {
    const dir = join(tmp, 'workers');
    const w1 = startCli(['worker'], env);
    const w2 = startCli(['worker'], env);
    const driver = startCli(['search', '--config', config, '--out', dir, '--queue'], env);
    const stopped = await waitForValue('worker 1 mid-trial', () => midTrial(dir, w1), 60_000);
    w1.child.kill('SIGTERM');
    const w3 = startCli(['worker'], env);
    const killed = await waitForValue('worker 2 mid-trial', () => midTrial(dir, w2, stopped), 60_000);
    w2.child.kill('SIGKILL');
    const w4 = startCli(['worker'], env);

    expect(await exitOf(w1, 30_000, 'the worker stopped with SIGTERM')).toBe(130);
    expect(w1.output()).toContain(`job ${stopped}@${BUDGET}: stopped at a checkpoint and handed back to the queue`);
    expect(await exitOf(driver, 90_000, 'the driver')).toBe(0);
    const out = driver.output();
    // Both trials were finished by other workers, from a checkpoint: not from epoch 1.
    for (const [trial, gone] of [
      [stopped, w1],
      [killed, w2],
    ] as const) {
      const done = doneLine(out, `${trial}@${BUDGET}`);
      expect(done.worker).not.toMatch(workerName(gone));
      expect(done.from).toBeGreaterThanOrEqual(2);
    }
    expect(w3.output() + w4.output()).toContain(`job ${killed}@${BUDGET}: its worker stopped renewing its lock; back in the queue`);
    // Every trial trained each epoch once; every job added once; the results of the in-process search.
    for (const epochs of Object.values(epochsByTrial(dir))) expect(epochs).toEqual([1, 2, 3]);
    expect(queuedIds(out).sort()).toEqual([...new Set(queuedIds(out))].sort());
    expect(queuedIds(out)).toHaveLength(3);
    expect(trialsCsv(dir)).toEqual(baseline);
    for (const w of [w3, w4]) w.child.kill('SIGTERM');
    for (const w of [w3, w4]) expect(await exitOf(w, 30_000, 'an idle worker stopped with SIGTERM')).toBe(130);
  }, 180_000);

  it('the driver killed and resumed, and Redis restarted mid-search: nothing queued twice, the same results', async () => {
    const dir = join(tmp, 'driver');
    const workers = [startCli(['worker'], env), startCli(['worker'], env)];
    const first = startCli(['search', '--config', config, '--out', dir, '--queue'], env);
    await waitFor('a trial mid-run', () => workers.some((w) => midTrial(dir, w) !== null), 60_000);
    await redis.restart();
    await waitFor("the driver's first finished job after the restart", () => /done \S+@/.test(first.output()), 60_000);
    first.child.kill('SIGKILL');
    await first.exited;
    const recorded = Object.keys(JSON.parse(readFileSync(join(dir, 'search.json'), 'utf8')).rows as object).length;
    // Without a driver the search stays listed, its jobs go on, and status shows them.
    const status = startCli(['search', 'status', dir, '--queue'], env);
    expect(await exitOf(status, 60_000, 'search status')).toBe(0);
    expect(status.output()).toMatch(/queue search-driver-[0-9a-f]{12}: listed for workers; .*completed/);
    for (const id of ['pyramidnet8_a8@3', 'shake_resnet8_2x4d@3', 'shake_resnet8_2x8d@3']) expect(status.output()).toContain(id);
    // A finished job names the worker (host:pid) that finished it.
    expect(status.output()).toMatch(/@3 +completed +\S+:\d+ /);
    const second = startCli(['search', '--resume', dir, '--queue', redis.url], env);
    await waitFor('the resumed driver to find its jobs', () => /reattached to/.test(second.output()), 60_000);
    expect(await exitOf(second, 90_000, 'the resumed driver')).toBe(0);

    const reattached = [...second.output().matchAll(/reattached to (\S+@\d+)/g)].map((m) => m[1]!);
    expect(queuedIds(first.output()).sort()).toEqual(['pyramidnet8_a8@3', 'shake_resnet8_2x4d@3', 'shake_resnet8_2x8d@3']);
    expect(queuedIds(second.output())).toEqual([]);
    expect(reattached).toHaveLength(3 - recorded);
    for (const epochs of Object.values(epochsByTrial(dir))) expect(epochs).toEqual([1, 2, 3]);
    expect(trialsCsv(dir)).toEqual(baseline);
    // The search is over: its queue is gone from Redis, and the workers stop serving it.
    const after = startCli(['search', 'status', dir, '--queue'], env);
    expect(await exitOf(after, 60_000, 'search status')).toBe(0);
    expect(after.output()).toContain('not listed for workers');
    expect(after.output()).toContain('no jobs');
    for (const w of workers) w.child.kill('SIGTERM');
    for (const w of workers) expect(await exitOf(w, 30_000, 'a worker stopped with SIGTERM')).toBe(130);
  }, 180_000);
});
