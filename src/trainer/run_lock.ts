/**
 * One writer per run folder: RUN/.lock, created exclusively, holds the writer's pid and host. A lock
 * left by a process of this host that no longer runs is taken over (the message says so); a live
 * one, or one of another host (whose processes cannot be checked from here), stops the second writer,
 * unless the caller owns the run by other means and says so (takeOverOtherHosts: a queue worker
 * whose job, and so the run, was handed over from a worker on another machine that stopped).
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { open, readFile, unlink } from 'node:fs/promises';
import { onDisk, RunFolderError } from './run_folder_error.js';

interface LockInfo {
  pid: number;
  host: string;
  started: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<LockInfo | null> {
  try {
    const info = JSON.parse(await readFile(path, 'utf8')) as Partial<LockInfo>;
    return typeof info.pid === 'number' && typeof info.host === 'string' ? (info as LockInfo) : null;
  } catch {
    return null;
  }
}

async function create(path: string, info: LockInfo): Promise<boolean> {
  try {
    const fh = await open(path, 'wx');
    try {
      await fh.writeFile(JSON.stringify(info));
    } finally {
      await fh.close();
    }
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

const sameHolder = (a: LockInfo | null, b: LockInfo | null) => (a && b ? a.pid === b.pid && a.started === b.started : a === b);

/**
 * Removes a dead writer's lock. Two processes may find it at once: a guard file, itself created
 * exclusively, lets only one of them check it again and remove it.
 */
async function takeOver(path: string, held: LockInfo | null, mine: LockInfo, report: () => void): Promise<void> {
  const guard = `${path}.takeover`;
  if (!(await create(guard, mine))) {
    const other = await readLock(guard);
    if (other && other.host === mine.host && !alive(other.pid)) await unlink(guard).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));
    return;
  }
  try {
    if (sameHolder(await readLock(path), held)) {
      await unlink(path).catch(() => undefined);
      report();
    }
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

export interface RunLock {
  release(): Promise<void>;
}

export interface LockOptions {
  /** Take over a lock of another host instead of refusing it (the caller owns the run by other means). */
  takeOverOtherHosts?: boolean;
}

/** Takes the lock of `dir`; `onTakeOver` hears of a stale lock replaced. */
export async function lockRunFolder(dir: string, onTakeOver: (message: string) => void, options: LockOptions = {}): Promise<RunLock> {
  const path = join(dir, '.lock');
  const mine: LockInfo = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 5; attempt++) {
    if (await onDisk('lock', dir, () => create(path, mine))) {
      return { release: () => unlink(path).catch(() => undefined) };
    }
    const held = await readLock(path);
    const foreign = held !== null && held.host !== mine.host;
    if (held && (foreign ? !options.takeOverOtherHosts : alive(held.pid))) {
      const where = held.host === mine.host ? '' : ` on host ${held.host}`;
      throw new RunFolderError(
        `${dir} is in use by another archai-ts process (pid ${held.pid}${where}, since ${held.started}); ` +
          `wait for it to finish or stop it${held.host === mine.host ? '' : `, or delete ${path} if that process is gone`}`,
      );
    }
    const whose = held ? `pid ${held.pid}${foreign ? ` on host ${held.host}` : ''}` : 'unreadable lock';
    await takeOver(path, held, mine, () =>
      onTakeOver(`${dir}: taking over the lock of ${foreign ? 'a process of another host' : 'a process that is gone'} (${whose})`),
    );
  }
  throw new RunFolderError(`${dir}: could not take its lock (${path}); is another archai-ts process starting on it?`);
}
