import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunFolderError } from '../../src/trainer/run_folder_error.js';
import { lockRunFolder } from '../../src/trainer/run_lock.js';

const tmp = mkdtempSync(join(tmpdir(), 'archai-ts-lock-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

const writeLock = (dir: string, pid: number, host = hostname()) =>
  writeFileSync(join(dir, '.lock'), JSON.stringify({ pid, host, started: '2026-01-01T00:00:00.000Z' }));

describe('run folder lock', () => {
  it('is exclusive while held and gone when released', async () => {
    const lock = await lockRunFolder(tmp, () => {});
    expect(JSON.parse(readFileSync(join(tmp, '.lock'), 'utf8')).pid).toBe(process.pid);
    await expect(lockRunFolder(tmp, () => {})).rejects.toThrow(RunFolderError);
    await lock.release();
    expect(existsSync(join(tmp, '.lock'))).toBe(false);
  });

  it("takes over a dead process's lock, saying so, and refuses a live one or another host's", async () => {
    const messages: string[] = [];
    const pid = deadPid();
    writeLock(tmp, pid);
    const lock = await lockRunFolder(tmp, (m) => messages.push(m));
    expect(messages).toEqual([expect.stringContaining(`taking over the lock of a process that is gone (pid ${pid})`)]);
    await lock.release();
    writeLock(tmp, process.ppid);
    await expect(lockRunFolder(tmp, () => {})).rejects.toThrow(
      new RegExp(`in use by another archai-ts process \\(pid ${process.ppid}, since`),
    );
    writeLock(tmp, pid, 'elsewhere');
    await expect(lockRunFolder(tmp, () => {})).rejects.toThrow(/pid \d+ on host elsewhere.*or delete .*\.lock if that process is gone/);
  });

  it('lets exactly one of two processes take over a stale lock at once', async () => {
    writeLock(tmp, deadPid());
    const results = await Promise.allSettled([lockRunFolder(tmp, () => {}), lockRunFolder(tmp, () => {})]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'fulfilled') await r.value.release();
  });
});
