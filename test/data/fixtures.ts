/**
 * Builders for the data tests: CIFAR binary records and ustar archives made in memory, plus the
 * location of the shared real-CIFAR subset. A tar writer of our own (rather than a fixture file)
 * lets tests craft the malformed archives the reader has to refuse.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { Generator } from '../../src/util/random.js';

/** ../shared/data/cifar10 relative to the project (real images; never copied into the repo). */
export const SHARED_CIFAR10 = process.env.ARCHAI_CIFAR10_DIR ?? fileURLToPath(new URL('../../../shared/data/cifar10', import.meta.url));
export const HAVE_SHARED_CIFAR10 = existsSync(`${SHARED_CIFAR10}/test_batch.bin`) && existsSync(`${SHARED_CIFAR10}/data_batch_1.bin`);
export const SHARED_SKIP_NOTE = HAVE_SHARED_CIFAR10 ? '' : ` [skipped: no CIFAR-10 subset at ${SHARED_CIFAR10}]`;

/**
 * CIFAR binary records: label byte(s), then planar pixels. Pixel bytes are random from `seed`, so
 * each record is distinguishable. `labels` are [fine] for CIFAR-10, [coarse, fine] for CIFAR-100.
 */
export function cifarRecords(labels: number[][], seed = 1): Uint8Array {
  const labelBytes = labels[0]?.length ?? 1;
  const size = labelBytes + 3072;
  const out = new Uint8Array(labels.length * size);
  const rng = new Generator(seed);
  labels.forEach((ls, r) => {
    out.set(ls, r * size);
    for (let i = 0; i < 3072; i++) out[r * size + labelBytes + i] = rng.nextUint32() & 255;
  });
  return out;
}

export interface TarSpec {
  name: string;
  /** File content; omitted for a directory. */
  data?: Uint8Array;
  /** ustar type flag; default '0' for files, '5' for directories. */
  type?: string;
  linkname?: string;
  /** Old GNU tar's header (magic "ustar  ", no prefix field; GNU tar's default, as in the CIFAR archives). */
  gnu?: boolean;
}

function put(h: Uint8Array, offset: number, length: number, text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > length) throw new Error(`tar field too long: ${text}`);
  h.set(bytes, offset);
}

function octal(value: number, length: number): string {
  return value.toString(8).padStart(length - 1, '0') + '\0';
}

/** One ustar header (POSIX magic) for `spec`. */
export function tarHeader(spec: TarSpec): Uint8Array {
  const h = new Uint8Array(512);
  const isDir = spec.data === undefined;
  let name = spec.name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
  }
  put(h, 0, 100, name);
  put(h, 100, 8, octal(isDir ? 0o755 : 0o644, 8));
  put(h, 108, 8, octal(0, 8));
  put(h, 116, 8, octal(0, 8));
  put(h, 124, 12, octal(spec.data?.length ?? 0, 12));
  put(h, 136, 12, octal(1_700_000_000, 12));
  put(h, 148, 8, '        ');
  put(h, 156, 1, spec.type ?? (isDir ? '5' : '0'));
  put(h, 157, 100, spec.linkname ?? '');
  if (spec.gnu) {
    // Old GNU keeps atime/ctime where POSIX has the prefix: a reader must not take them for a path.
    put(h, 257, 8, 'ustar  \0');
    put(h, 345, 24, octal(1_700_000_000, 12) + octal(1_700_000_001, 12));
  } else {
    put(h, 257, 6, 'ustar\0');
    put(h, 263, 2, '00');
    put(h, 345, 155, prefix);
  }
  let sum = 0;
  for (const b of h) sum += b;
  put(h, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ');
  return h;
}

/** A complete tar archive, end-of-archive blocks included. */
export function makeTar(entries: TarSpec[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const e of entries) {
    parts.push(tarHeader(e));
    if (e.data !== undefined) {
      parts.push(e.data);
      parts.push(new Uint8Array((512 - (e.data.length % 512)) % 512));
    }
  }
  parts.push(new Uint8Array(1024));
  return Buffer.concat(parts);
}

/** A small archive in the official CIFAR-10 layout: `perFile` records in each of the six files. */
export function cifar10Archive(perFile = 3): { tar: Uint8Array; records: Map<string, Uint8Array> } {
  const records = new Map<string, Uint8Array>();
  const entries: TarSpec[] = [{ name: 'cifar-10-batches-bin/' }];
  const files = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
  files.forEach((file, f) => {
    const data = cifarRecords(
      Array.from({ length: perFile }, (_, r) => [(f + r) % 10]),
      100 + f,
    );
    records.set(file, data);
    entries.push({ name: `cifar-10-batches-bin/${file}`, data });
  });
  entries.push({
    name: 'cifar-10-batches-bin/batches.meta.txt',
    data: Buffer.from('airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n'),
  });
  return { tar: makeTar(entries), records };
}

/** A small archive in the official CIFAR-100 layout. */
export function cifar100Archive(perFile = 4): Uint8Array {
  return makeTar([
    { name: 'cifar-100-binary/' },
    {
      name: 'cifar-100-binary/train.bin',
      data: cifarRecords(
        Array.from({ length: perFile }, (_, r) => [r % 20, 99 - r]),
        7,
      ),
    },
    {
      name: 'cifar-100-binary/test.bin',
      data: cifarRecords(
        Array.from({ length: perFile }, (_, r) => [r % 20, r]),
        8,
      ),
    },
  ]);
}
