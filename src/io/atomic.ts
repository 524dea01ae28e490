/**
 * Crash-safe file replacement: the target path holds either its old content or the complete new
 * content, never a torn mix, even if the process dies or the machine loses power mid-write.
 *
 * Recipe: write a temp file in the same folder (so the rename stays on one file system), fsync it,
 * rename it over the target (atomic on POSIX), then fsync the folder so the rename itself is durable.
 */
import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Error codes a directory fsync may legitimately fail with (file systems / platforms without support). */
const DIR_FSYNC_IGNORED = new Set(['EINVAL', 'EPERM', 'EISDIR', 'ENOTSUP']);

/** The temp name used next to `path` for an atomic write: `path.tmp-<pid>-<random hex>`. */
export function atomicTempPath(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/**
 * Write `bytes` to `path` atomically. On any failure the temp file is removed and the old content of
 * `path` (if any) is left untouched; the original error is rethrown.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const tmp = atomicTempPath(path);
  let created = false;
  try {
    // 'wx': fail rather than clobber should the random name ever exist.
    const fh = await open(tmp, 'wx');
    created = true;
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    created = false;
  } catch (err) {
    if (created) {
      await unlink(tmp).catch(() => undefined);
    }
    throw err;
  }
  await fsyncDir(dirname(path));
}

/** fsync a directory so a rename inside it survives a crash; unsupported platforms are ignored. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(dir, 'r');
    await fh.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined || !DIR_FSYNC_IGNORED.has(code)) throw err;
  } finally {
    await fh?.close();
  }
}
