/**
 * What the queue refuses or hides, without training: Redis URLs (the password never shown), job
 * payloads that do not name a trial of their own search folder, an unreachable Redis at start
 * (one line, exit 2), and the run lock a worker on another host may take over.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkRedis, parseRedisUrl, QueueError, queueNameFor, queueStatus, redisUrlOf, resolveJob } from '../../src/queue/index.js';
import { InvalidJobError } from '../../src/queue/payload.js';
import { dumpSearchConfig, loadSearchConfig } from '../../src/search/index.js';
import { lockRunFolder } from '../../src/trainer/run_lock.js';
import { CLI, freePort } from './processes.js';

const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-queue-inputs-'));

/** Runs a command to its end (both at once: each spends seconds loading tfjs). */
function run(command: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ status: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('Redis URLs', () => {
  it('parses redis:// and rediss://, and masks the password everywhere', () => {
    const t = parseRedisUrl('rediss://alice:s3cr%40t@cache.example:6380/2');
    expect(t.options).toEqual({
      ...{ host: 'cache.example', port: 6380, db: 2, username: 'alice', password: 's3cr@t' },
      tls: { servername: 'cache.example' },
    });
    expect(t.display).toBe('rediss://alice:***@cache.example:6380/2');
    expect(t.redact('AUTH failed for s3cr@t at rediss://alice:s3cr%40t@cache.example')).toBe(
      'AUTH failed for *** at rediss://alice:***@cache.example',
    );
    expect(parseRedisUrl('redis://127.0.0.1').options).toEqual({ host: '127.0.0.1', port: 6379, db: 0 });
    expect(redisUrlOf(true, { ARCHAI_TS_REDIS_URL: 'redis://h:1/3' }).display).toBe('redis://h:1/3');
  });

  it('refuses what is not a Redis URL in one line without the password', () => {
    for (const [url, pattern] of [
      ['http://u:pw@host', /unsupported scheme 'http'/],
      ['redis://:pw@host/x', /the database must be a number/],
      ['not a url', /not a URL/],
      ['redis://u:pw@ho st', /--queue redis:\/\/\*\*\*@ho st: not a URL/],
      ['redis://u:pw%zz@host', /malformed %-encoding/],
    ] as const) {
      const e = (() => {
        try {
          parseRedisUrl(url);
        } catch (err) {
          return err as Error;
        }
        throw new Error(`${url} was accepted`);
      })();
      expect(e).toBeInstanceOf(QueueError);
      expect(e.message).toMatch(pattern);
      expect(e.message).not.toContain('pw@');
    }
    expect(() => redisUrlOf(true, {})).toThrow(/give the Redis URL .* or set ARCHAI_TS_REDIS_URL/);
  });

  it('an unreachable Redis: one line naming the masked URL, exit 2, nothing written', async () => {
    const port = await freePort();
    const url = `redis://:hunter22@127.0.0.1:${port}/0`;
    await expect(checkRedis(parseRedisUrl(url))).rejects.toThrow(
      new RegExp(`^cannot reach Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port}/0: connect ECONNREFUSED`),
    );
    const out = join(tmp, 'never');
    const config = join(tmp, 'unreachable.yaml');
    writeFileSync(
      config,
      `data: {dataset: synthetic}\nsearch:\n  space: [{ family: wide_resnet, depth: 10, k: 1 }]\n  objectives: [{ name: params }]\n`,
    );
    const runs = [
      ['search', '--config', config, '--out', out, '--queue', url],
      ['worker', '--queue', url],
    ].map((args) => run(process.execPath, [CLI, ...args]));
    for (const r of await Promise.all(runs)) {
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`cannot reach Redis at redis://:***@127.0.0.1:${port}/0`);
      expect(r.stderr + r.stdout).not.toContain('hunter22');
    }
    expect(existsSync(out)).toBe(false);
    await expect(queueStatus(parseRedisUrl(url), tmp)).rejects.toThrow(/no config\.yaml there; pass a folder made by 'archai-ts search'/);
  }, 60_000);
});

describe('job payloads', () => {
  const dir = join(tmp, 'search');
  mkdirSync(dir);
  writeFileSync(
    join(tmp, 'search.yaml'),
    `backend: wasm
model: {num_classes: 4}
data: {dataset: synthetic, val_split: 0.25}
search:
  space: [{ family: shake_resnet, depth: 8, width: [4, 8] }]
  objectives: [{ name: val_top1, budgets: [1, 2] }]
`,
  );
  writeFileSync(join(dir, 'config.yaml'), dumpSearchConfig(loadSearchConfig(join(tmp, 'search.yaml'))));
  const queue = queueNameFor(dir);

  it('accepts a trial of the space at one of its budgets', async () => {
    const job = await resolveJob({ search: dir, trial: 'shake_resnet8_2x8d', budget: 2 }, queue);
    expect(job.task).toEqual({ name: 'shake_resnet8_2x8d', budget: 2 });
    expect(job.dir).toBe(dir);
  });

  it('refuses code, paths outside the folder, unknown names and folders without a search', async () => {
    const cases: Array<[unknown, RegExp, string?]> = [
      [{ search: dir, trial: '../../etc/passwd', budget: 1 }, /trial: must be a model name/],
      [{ search: dir, trial: 'a/b', budget: 1 }, /trial: must be a model name/],
      [{ search: dir, trial: 'shake_resnet8..x', budget: 1 }, /must not contain '\.\.'/],
      [{ search: `${dir}/../search`, trial: 'shake_resnet8_2x4d', budget: 1 }, /search: must be an absolute path/],
      [{ search: 'search', trial: 'shake_resnet8_2x4d', budget: 1 }, /search: must be an absolute path/],
      [{ search: dir, trial: 'shake_resnet8_2x4d', budget: 1, run: 'process.exit()' }, /Unrecognized key/],
      [{ search: dir, trial: 'resnet_from_nowhere', budget: 1 }, /unknown model 'resnet_from_nowhere'/],
      [{ search: dir, trial: 'shake_resnet14_2x4d', budget: 1 }, /not a point of the search space/],
      [{ search: dir, trial: 'shake_resnet8_2x4d', budget: 3 }, /3 is not a budget of the search/],
      [{ search: tmp, trial: 'shake_resnet8_2x4d', budget: 1 }, /is not the search folder of queue/],
      [{ search: tmp, trial: 'shake_resnet8_2x4d', budget: 1 }, /config\.yaml not found on this machine/, queueNameFor(tmp)],
    ];
    for (const [data, pattern, name] of cases) {
      const e = await resolveJob(data, name ?? queue).then(
        () => new Error(`accepted ${JSON.stringify(data)}`),
        (err: Error) => err,
      );
      expect(e.message, JSON.stringify(data)).toMatch(pattern);
      // Only a missing folder (perhaps not mounted on this machine) is worth another worker's try.
      expect(e instanceof InvalidJobError, JSON.stringify(data)).toBe(!/not found on this machine/.test(e.message));
    }
  });
});

describe('run lock of a trial taken over from another host', () => {
  it('is refused by default and taken over by a worker that owns the job', async () => {
    const run = join(tmp, 'run');
    mkdirSync(run);
    const foreign = { pid: 1, host: `not-${hostname()}`, started: '2026-01-01T00:00:00.000Z' };
    writeFileSync(join(run, '.lock'), JSON.stringify(foreign));
    await expect(lockRunFolder(run, () => {})).rejects.toThrow(/in use by another archai-ts process \(pid 1 on host not-/);
    const heard: string[] = [];
    const lock = await lockRunFolder(run, (m) => heard.push(m), { takeOverOtherHosts: true });
    expect(heard[0]).toMatch(/taking over the lock of a process of another host \(pid 1 on host not-/);
    // A live process of this host still holds its lock against the flag: it can be checked, and it runs.
    await expect(lockRunFolder(run, () => {}, { takeOverOtherHosts: true })).rejects.toThrow(`pid ${process.pid}`);
    await lock.release();
  });
});
