/**
 * `data.download: true`: fetch the official CIFAR archive into the data root.
 *
 * All-or-nothing: the archive goes to a temp file in root, is checked against its MD5, unpacked into
 * a temp folder in root, and only then renamed into place (one atomic rename on the same file
 * system). Any failure removes the temps, so root is left as it was and a retry starts clean; a
 * reader never sees a half-unpacked folder.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';

import { fsyncDir } from '../io/atomic.js';
import { cifarLayout, hasCifar, locateCifar, type CifarKind, type CifarLayout } from './cifar.js';
import { DataError, describeError } from './errors.js';
import { fetchToFile, type FetchOptions } from './http.js';
import { extractTar, tarError } from './tar.js';

export interface ArchiveSource {
  url: string;
  /** Lower-case hex MD5 of the .tar.gz. */
  md5: string;
}

/** The archives published by the dataset's authors (Krizhevsky, University of Toronto). */
export const CIFAR_ARCHIVES: Readonly<Record<CifarKind, ArchiveSource>> = {
  cifar10: { url: 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530' },
  cifar100: { url: 'https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8' },
};

export interface DownloadOptions extends FetchOptions {
  /** Archive URL, for mirrors and tests. Default: CIFAR_ARCHIVES[kind].url. */
  url?: string;
  /** Expected MD5 of the archive, hex. Default: CIFAR_ARCHIVES[kind].md5 (or none when `url` is given without it). */
  md5?: string;
}

export interface DownloadResult {
  /** False when the files were already there and nothing was fetched. */
  downloaded: boolean;
  /** The folder now holding the files. */
  dir: string;
}

function tempName(root: string, stem: string): string {
  return join(root, `.${stem}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/** Ensure `root` holds the given CIFAR variant, downloading and unpacking the archive if not. */
export async function downloadCifar(kind: CifarKind, root: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  const layout = cifarLayout(kind);
  root = resolve(root);
  const target = join(root, layout.folder);
  const present = await locateCifar(layout, root, 'test');
  if (present !== null && (await hasCifar(layout, root))) return { downloaded: false, dir: present };
  if (await exists(target)) {
    // Refuse before spending minutes on a download whose final rename could not succeed.
    throw new DataError(`${target} exists but does not hold the ${layout.title} files; remove it and retry the download`);
  }

  // A mirror with no checksum given is accepted unchecked; the official URL always is checked.
  const url = options.url ?? CIFAR_ARCHIVES[kind].url;
  const md5 = options.md5 ?? (options.url === undefined ? CIFAR_ARCHIVES[kind].md5 : undefined);

  const firstCreated = await mkdir(root, { recursive: true });
  const archive = tempName(root, `${layout.kind}-archive`);
  const unpack = tempName(root, layout.folder);
  try {
    const fetched = await fetchToFile(url, archive, options);
    if (md5 !== undefined && fetched.md5 !== md5.toLowerCase()) {
      throw new DataError(
        `${url}: MD5 ${fetched.md5} of the ${fetched.bytes}-byte download does not match the expected ${md5}; ` +
          `the download is corrupt or not the ${layout.title} binary archive — retry, or check data.download_url`,
      );
    }
    await mkdir(unpack);
    await unpackTarGz(archive, unpack, url);
    await checkUnpacked(layout, join(unpack, layout.folder), url);
    try {
      await rename(join(unpack, layout.folder), target);
    } catch (err) {
      // Another process may have finished the same download first; its result is as good as ours.
      if (!(await hasCifar(layout, root)))
        throw new DataError(`${target}: cannot move the unpacked files into place (${describeError(err)})`, { cause: err });
    }
    await fsyncDir(root);
    return { downloaded: true, dir: target };
  } catch (err) {
    await removeTemps();
    await removeCreatedDirs(root, firstCreated);
    throw err;
  } finally {
    await removeTemps();
  }

  async function removeTemps(): Promise<void> {
    await rm(archive, { force: true });
    await rm(unpack, { recursive: true, force: true });
  }
}

async function unpackTarGz(archive: string, dest: string, url: string): Promise<void> {
  // stream.pipeline (callback form) hands back the gunzip stream and destroys both on any error.
  const gunzip = pipeline(createReadStream(archive), createGunzip(), () => undefined);
  try {
    await extractTar(gunzip, dest);
  } catch (err) {
    throw tarError(url, err);
  } finally {
    gunzip.destroy();
  }
}

async function checkUnpacked(layout: CifarLayout, dir: string, url: string): Promise<void> {
  const need = [layout.testFile, layout.trainFiles[0]];
  for (const file of need) {
    if (!(await exists(join(dir, file)))) {
      throw new DataError(
        `${url}: the archive has no ${layout.folder}/${file}; it is not the ${layout.title} binary version — check data.download_url`,
      );
    }
  }
}

/**
 * Undo `mkdir -p root` after a failure, so a failed download leaves the file system as it found it.
 * rmdir (not rm -r) removes only folders that are empty, i.e. that nothing else wrote into meanwhile.
 */
async function removeCreatedDirs(root: string, firstCreated: string | undefined): Promise<void> {
  if (firstCreated === undefined) return;
  const stop = resolve(firstCreated);
  for (let dir = root; ; dir = dirname(dir)) {
    const removed = await rmdir(dir).then(
      () => true,
      () => false,
    );
    if (!removed || dir === stop || dirname(dir) === dir) return;
  }
}
