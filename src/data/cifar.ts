/**
 * Readers for the official CIFAR-10 / CIFAR-100 "binary version" files.
 *
 * A record is the label byte(s) followed by 3072 pixel bytes stored planar (1024 red, 1024 green,
 * 1024 blue, each row-major 32x32). The reader converts to NHWC interleaved, the layout tfjs
 * convolutions take, once at load time so per-batch work is a straight copy.
 */
import { type FileHandle, open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { CIFAR10_CLASSES, CIFAR100_CLASSES } from './cifar_names.js';
import type { ChannelTriple, ImageDataset, Split } from './dataset.js';
import { DataError, describeError } from './errors.js';

export type CifarKind = 'cifar10' | 'cifar100';

/** Where and how one CIFAR variant is stored. */
export interface CifarLayout {
  kind: CifarKind;
  /** Human name used in messages and as ImageDataset.name. */
  title: string;
  /** The folder the official archive unpacks to. */
  folder: string;
  /** Train files in reading order; whichever exist are read (at least one must). */
  trainFiles: readonly string[];
  testFile: string;
  /** 1 for CIFAR-10; 2 for CIFAR-100 (coarse then fine: the fine label is used). */
  labelBytes: number;
  numClasses: number;
  /** Label names, one a line, as shipped in the archive. */
  namesFile: string;
  fallbackNames: readonly string[];
  mean: ChannelTriple;
  std: ChannelTriple;
}

export const CIFAR_PIXELS = 32 * 32 * 3;

export const CIFAR10_LAYOUT: CifarLayout = {
  kind: 'cifar10',
  title: 'CIFAR-10',
  folder: 'cifar-10-batches-bin',
  trainFiles: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  testFile: 'test_batch.bin',
  labelBytes: 1,
  numClasses: 10,
  namesFile: 'batches.meta.txt',
  fallbackNames: CIFAR10_CLASSES,
  // The constants most CIFAR code uses (archai's and torchvision examples'), computed over the
  // 50,000 training images; std is the per-pixel population std, not the std of per-image means.
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.247, 0.2435, 0.2616],
};

export const CIFAR100_LAYOUT: CifarLayout = {
  kind: 'cifar100',
  title: 'CIFAR-100',
  folder: 'cifar-100-binary',
  trainFiles: ['train.bin'],
  testFile: 'test.bin',
  labelBytes: 2,
  numClasses: 100,
  namesFile: 'fine_label_names.txt',
  fallbackNames: CIFAR100_CLASSES,
  // Same convention as CIFAR-10's: per-pixel statistics of the 50,000 training images.
  mean: [0.5071, 0.4865, 0.4409],
  std: [0.2673, 0.2564, 0.2762],
};

export function cifarLayout(kind: CifarKind): CifarLayout {
  return kind === 'cifar10' ? CIFAR10_LAYOUT : CIFAR100_LAYOUT;
}

export interface ReadCifarOptions {
  /** Read only the first `limit` records of the split (train batches counted in order). Default: all. */
  limit?: number;
}

function splitFiles(layout: CifarLayout, split: Split): readonly string[] {
  return split === 'train' ? layout.trainFiles : [layout.testFile];
}

function expectedText(layout: CifarLayout): string {
  const train =
    layout.trainFiles.length > 1 ? `${layout.trainFiles[0]}..${layout.trainFiles[layout.trainFiles.length - 1]}` : layout.trainFiles[0];
  return `${train} and ${layout.testFile}`;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * The folder under `root` that holds the split's files: `root` itself or the archive's folder
 * inside it (so both a hand-made folder and an unpacked official archive work). Null if neither.
 */
export async function locateCifar(layout: CifarLayout, root: string, split: Split): Promise<string | null> {
  for (const dir of [root, join(root, layout.folder)]) {
    for (const file of splitFiles(layout, split)) {
      if (await isFile(join(dir, file))) return dir;
    }
  }
  return null;
}

/** True when both splits can be read from `root` (what a download would provide). */
export async function hasCifar(layout: CifarLayout, root: string): Promise<boolean> {
  return (await locateCifar(layout, root, 'train')) !== null && (await locateCifar(layout, root, 'test')) !== null;
}

/** Planar record pixels (RRR..GGG..BBB..) to NHWC interleaved, one 32x32x3 image. */
function planarToNhwc(src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number): void {
  const plane = 1024;
  for (let p = 0; p < plane; p++) {
    const o = dstOffset + p * 3;
    dst[o] = src[srcOffset + p];
    dst[o + 1] = src[srcOffset + plane + p];
    dst[o + 2] = src[srcOffset + 2 * plane + p];
  }
}

async function readNames(layout: CifarLayout, dir: string): Promise<string[]> {
  try {
    const names = (await readFile(join(dir, layout.namesFile), 'utf8'))
      .split(/\r?\n/)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    if (names.length === layout.numClasses) return names;
  } catch {
    // The names file is a convenience; the labels are what matter.
  }
  return [...layout.fallbackNames];
}

/** Records read per fs call: bounds the staging buffer to ~3 MB whatever the file size. */
const CHUNK_RECORDS = 1000;

export async function readCifar(kind: CifarKind, root: string, split: Split, options: ReadCifarOptions = {}): Promise<ImageDataset> {
  const layout = cifarLayout(kind);
  const limit = options.limit;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) {
    throw new DataError(`${layout.title}: limit must be a positive integer, got ${limit}`);
  }
  const dir = await locateCifar(layout, root, split);
  if (dir === null) {
    const rootExists = await stat(root).then(
      (s) => s.isDirectory(),
      () => false,
    );
    const where = rootExists ? `no ${split} files in ${root} or ${join(root, layout.folder)}` : `data root ${root} does not exist`;
    throw new DataError(
      `${layout.title} not found: ${where}; expected ${expectedText(layout)} ` +
        `(the official binary version) — set data.download: true or point data.root at the folder holding them`,
    );
  }

  const recordSize = layout.labelBytes + CIFAR_PIXELS;
  const files: { path: string; records: number }[] = [];
  for (const name of splitFiles(layout, split)) {
    const path = join(dir, name);
    if (!(await isFile(path))) continue;
    const size = (await stat(path)).size;
    if (size === 0 || size % recordSize !== 0) {
      throw new DataError(
        `${path}: size ${size} bytes is not a positive multiple of the ${layout.title} record size ${recordSize} ` +
          `(${layout.labelBytes} label byte${layout.labelBytes > 1 ? 's' : ''} + ${CIFAR_PIXELS} pixels); ` +
          `the file is truncated or not ${layout.title} binary — delete it and download again`,
      );
    }
    files.push({ path, records: size / recordSize });
  }

  const total = files.reduce((n, f) => n + f.records, 0);
  const length = limit === undefined ? total : Math.min(limit, total);
  const images = new Uint8Array(length * CIFAR_PIXELS);
  const labels = new Uint8Array(length);
  const staging = new Uint8Array(Math.min(CHUNK_RECORDS, Math.max(1, length)) * recordSize);
  let out = 0;
  for (const file of files) {
    if (out >= length) break;
    const wanted = Math.min(file.records, length - out);
    let fh: FileHandle | undefined;
    try {
      fh = await open(file.path, 'r');
      for (let rec = 0; rec < wanted; rec += CHUNK_RECORDS) {
        const count = Math.min(CHUNK_RECORDS, wanted - rec);
        const bytes = count * recordSize;
        const { bytesRead } = await fh.read(staging, 0, bytes, rec * recordSize);
        if (bytesRead !== bytes) throw new Error(`short read at record ${rec} (file changed while reading?)`);
        for (let i = 0; i < count; i++) {
          const base = i * recordSize;
          // CIFAR-100 records are (coarse, fine): the fine label is the last label byte.
          const label = staging[base + layout.labelBytes - 1];
          if (label >= layout.numClasses) {
            throw new DataError(
              `${file.path}: record ${rec + i} (0-based) has label ${label}, outside 0..${layout.numClasses - 1}; ` +
                `the file is corrupt or not ${layout.title} — delete it and download again`,
            );
          }
          labels[out] = label;
          planarToNhwc(staging, base + layout.labelBytes, images, out * CIFAR_PIXELS);
          out++;
        }
      }
    } catch (err) {
      if (err instanceof DataError) throw err;
      throw new DataError(`${file.path}: cannot read (${describeError(err)}); check the file and its permissions`, { cause: err });
    } finally {
      await fh?.close();
    }
  }

  return {
    name: layout.kind,
    split,
    numClasses: layout.numClasses,
    length,
    height: 32,
    width: 32,
    channels: 3,
    images,
    labels,
    classNames: await readNames(layout, dir),
    mean: [...layout.mean],
    std: [...layout.std],
  };
}

export function readCifar10(root: string, split: Split, options?: ReadCifarOptions): Promise<ImageDataset> {
  return readCifar('cifar10', root, split, options);
}

export function readCifar100(root: string, split: Split, options?: ReadCifarOptions): Promise<ImageDataset> {
  return readCifar('cifar100', root, split, options);
}
