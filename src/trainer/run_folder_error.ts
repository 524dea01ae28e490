/** A run folder that cannot be used as asked: in use, unwritable, full. One line, naming the path and what to do. */
export class RunFolderError extends Error {
  override name = 'RunFolderError';
}

const HINTS: Record<string, string> = {
  EACCES: 'permission denied; fix its permissions or choose another --out',
  EPERM: 'operation not permitted; fix its permissions or choose another --out',
  EROFS: 'the file system is read-only; choose another --out',
  ENOSPC: 'no space left on the device; free some space, then resume the run with --resume',
  EDQUOT: 'the disk quota is exhausted; free some space, then resume the run with --resume',
  ENOTDIR: 'a file stands where a folder is needed; choose another --out',
  EEXIST: 'a file of that name is in the way; remove it or choose another --out',
  EISDIR: 'a folder stands where a file is needed; remove it',
  EMFILE: 'too many open files; raise the limit (ulimit -n)',
};

/** A file-system error on `path` as a RunFolderError saying what to do; other errors pass through. */
export function runFolderError(e: unknown, action: string, path: string): unknown {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('E')) return e;
  return new RunFolderError(`cannot ${action} ${path}: ${HINTS[code] ?? `${code} (${(e as Error).message.split('\n')[0]})`}`);
}

/** Runs a file-system step, turning its errors into RunFolderErrors about `path`. */
export async function onDisk<T>(action: string, path: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    throw runFolderError(e, action, path);
  }
}
