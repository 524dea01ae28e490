/**
 * A minimal ustar extractor: enough for the CIFAR archives, and deliberately nothing more. Only
 * regular files and directories are created; links, devices and anything else are refused, as are
 * absolute paths and `..`, so a hostile archive cannot write outside the destination folder.
 * It streams (constant memory), which matters for the 180 MB CIFAR tarballs.
 */
import { mkdir, open } from 'node:fs/promises';
import { dirname, join } from 'node:path';

import { DataError } from './errors.js';

const BLOCK = 512;

/** Pulls exact byte counts out of a chunked stream. */
class ByteReader {
  private readonly it: AsyncIterator<Uint8Array>;
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  private async fill(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return false;
    this.buf = this.pos < this.buf.length ? concat(this.buf.subarray(this.pos), r.value) : r.value;
    this.pos = 0;
    return true;
  }

  /** Exactly n bytes, or null at a clean end of stream; throws on a partial read. */
  async read(n: number): Promise<Uint8Array | null> {
    while (this.buf.length - this.pos < n) {
      if (!(await this.fill())) {
        if (this.buf.length === this.pos) return null;
        throw new Error(`archive ends inside a block (${this.buf.length - this.pos} of ${n} bytes)`);
      }
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Hand n bytes to `sink` in whatever chunks arrive, without buffering them all. */
  async pipe(n: number, sink: (chunk: Uint8Array) => Promise<void>): Promise<void> {
    let left = n;
    while (left > 0) {
      if (this.pos === this.buf.length && !(await this.fill())) throw new Error(`archive ends inside a file (${left} bytes missing)`);
      const take = Math.min(left, this.buf.length - this.pos);
      await sink(this.buf.subarray(this.pos, this.pos + take));
      this.pos += take;
      left -= take;
    }
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function field(header: Uint8Array, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const nul = raw.indexOf(0);
  return Buffer.from(nul === -1 ? raw : raw.subarray(0, nul)).toString('utf8');
}

function octal(header: Uint8Array, start: number, length: number, what: string): number {
  if (header[start] & 0x80) throw new Error(`${what} uses base-256 encoding, which this reader does not support`);
  const text = field(header, start, length).trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) throw new Error(`bad ${what} field ${JSON.stringify(text)}`);
  return parseInt(text, 8);
}

/** The header checksum: the byte sum with the checksum field itself counted as spaces. */
function headerChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return sum;
}

/** The entry's path split into segments, or an error for anything that could escape `dest`. */
function safeSegments(name: string): string[] {
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.includes('\\')) {
    throw new Error(`refusing entry ${JSON.stringify(name)}: absolute or non-POSIX path`);
  }
  const parts = name.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) throw new Error(`refusing entry ${JSON.stringify(name)}: contains '..'`);
  return parts;
}

export interface TarEntry {
  /** Path relative to the destination, '/'-separated. */
  path: string;
  type: 'file' | 'directory';
  size: number;
}

/**
 * Unpack a (decompressed) tar stream into `dest`, which must exist. Returns the entries written.
 * Errors are plain Errors describing the archive problem; the caller names the archive.
 */
export async function extractTar(source: AsyncIterable<Uint8Array>, dest: string): Promise<TarEntry[]> {
  const reader = new ByteReader(source);
  const entries: TarEntry[] = [];
  for (;;) {
    const header = await reader.read(BLOCK);
    // A zero block marks the end (normally two of them; some writers stop after one or none).
    if (header === null || header.every((b) => b === 0)) break;
    const stored = octal(header, 148, 8, 'checksum');
    if (stored !== headerChecksum(header))
      throw new Error(`bad header checksum after ${entries.length} entries: not a tar archive, or corrupt`);
    const magic = field(header, 257, 6);
    if (magic !== 'ustar' && magic !== 'ustar ')
      throw new Error(`entry ${entries.length} is not a ustar header (magic ${JSON.stringify(magic)})`);
    // Only POSIX ustar has a name prefix there; old GNU headers keep atime/ctime in those bytes.
    const prefix = magic === 'ustar' ? field(header, 345, 155) : '';
    const base = field(header, 0, 100);
    const name = prefix ? `${prefix}/${base}` : base;
    const size = octal(header, 124, 12, 'size');
    const type = String.fromCharCode(header[156]);
    const padded = Math.ceil(size / BLOCK) * BLOCK;

    if (type === '5') {
      const parts = safeSegments(name);
      if (parts.length > 0) await mkdir(join(dest, ...parts), { recursive: true });
      entries.push({ path: parts.join('/'), type: 'directory', size: 0 });
      await reader.pipe(padded, async () => undefined);
    } else if (type === '0' || type === '\0') {
      const parts = safeSegments(name);
      if (parts.length === 0) throw new Error(`refusing file entry with empty name`);
      const target = join(dest, ...parts);
      await mkdir(dirname(target), { recursive: true });
      // 'wx': an archive naming the same file twice is suspicious, not something to merge.
      const fh = await open(target, 'wx');
      try {
        await reader.pipe(size, async (chunk) => {
          await fh.write(chunk);
        });
      } finally {
        await fh.close();
      }
      await reader.pipe(padded - size, async () => undefined);
      entries.push({ path: parts.join('/'), type: 'file', size });
    } else if (type === 'x' || type === 'g') {
      // pax metadata (mtime, uid...) from newer tar writers: skipped; the ustar name still applies.
      await reader.pipe(padded, async () => undefined);
    } else {
      throw new Error(`refusing entry ${JSON.stringify(name)} of type '${type}': only regular files and directories are extracted`);
    }
  }
  return entries;
}

/** Wraps an archive problem into the one-line DataError users see. */
export function tarError(archive: string, err: unknown): DataError {
  const msg = err instanceof Error ? err.message : String(err);
  return new DataError(`${archive}: cannot unpack (${msg}); the download is corrupt — delete it and retry`, { cause: err });
}
