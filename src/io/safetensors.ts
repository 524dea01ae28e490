/**
 * Reader and writer for the safetensors format (https://github.com/huggingface/safetensors).
 *
 * Layout: an 8-byte little-endian u64 header length N, then N bytes of UTF-8 JSON
 *   { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, ...,
 *     "__metadata__"?: { "<key>": "<string value>" } }
 * (padded with spaces so that the data starts at a multiple of 8), then the data buffer. Offsets are
 * relative to the start of the buffer; tensors are little-endian, row-major, laid out contiguously
 * with no gaps and no overlap, and together cover the whole buffer.
 *
 * On the host side everything becomes float32 or int32, the two numeric dtypes tfjs models use:
 * F32/F64/F16/BF16 -> float32, I32/I64/I16/I8/U8/U16/U32/U64/BOOL -> int32 (64/32-bit unsigned values
 * that do not fit an int32 are an error, never silently wrapped).
 */
import { readFile } from 'node:fs/promises';

import { tf } from '../tf.js';
import { writeFileAtomic } from './atomic.js';

/** A tensor held in host memory: the portable form the reader and writer work with. */
export interface HostTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** Any problem reading or writing a safetensors file; the message is one line naming the source. */
export class SafetensorsError extends Error {
  /** The file path (or '<buffer>' / '<encode>') the problem is in. */
  readonly source: string;
  /** The tensor the problem is in, when there is one. */
  readonly tensor: string | undefined;

  constructor(source: string, tensor: string | undefined, problem: string, options?: { cause?: unknown }) {
    const where = tensor === undefined ? '' : ` tensor ${JSON.stringify(tensor)}:`;
    super(oneLine(`safetensors ${source}:${where} ${problem}`), options);
    this.name = 'SafetensorsError';
    this.source = source;
    this.tensor = tensor;
  }
}

function oneLine(s: string): string {
  return s.replace(/\s*[\r\n]+\s*/g, ' ');
}

const METADATA_KEY = '__metadata__';

/** Bytes per element of each safetensors dtype we can read. */
const ITEM_SIZE: Readonly<Record<string, number>> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U64: 8,
  U32: 4,
  U16: 2,
  U8: 1,
  BOOL: 1,
};

const FLOAT_DTYPES = new Set(['F64', 'F32', 'F16', 'BF16']);

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const INT32_MAX = 2147483647;

// ---------------------------------------------------------------------------------------------------
// decode

/**
 * Parse a whole safetensors file held in memory. `source` names it in error messages (use the path).
 * Every tensor is validated (dtype, shape, offsets against dtype x shape, range, overlap, gaps) before
 * any data is converted.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = '<buffer>',
): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } {
  const fail = (problem: string, tensor?: string): never => {
    throw new SafetensorsError(source, tensor, problem);
  };

  if (bytes.byteLength < 8) {
    fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length (truncated or not a safetensors file)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(bytes.byteLength - 8)) {
    fail(`header length ${headerLen64} runs past the end of the file (${bytes.byteLength} bytes; truncated or not a safetensors file)`);
  }
  const headerLen = Number(headerLen64);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.byteLength - dataStart;

  let headerText: string;
  try {
    headerText = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart));
  } catch {
    return fail('header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(header)) {
    return fail('header JSON is not an object');
  }

  // metadata
  // Own data properties throughout (Object.fromEntries), so a name like "__proto__" stays a plain key.
  const metaPairs: [string, string][] = [];
  const rawMeta = header[METADATA_KEY];
  if (rawMeta !== undefined && rawMeta !== null) {
    if (!isPlainObject(rawMeta)) fail(`"${METADATA_KEY}" is not an object of strings`);
    for (const [k, v] of Object.entries(rawMeta as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`"${METADATA_KEY}" entry ${JSON.stringify(k)} is not a string`);
      metaPairs.push([k, v as string]);
    }
  }
  const metadata: Record<string, string> = Object.fromEntries(metaPairs);

  // entries: validate everything first
  interface Entry {
    name: string;
    dtype: string;
    shape: number[];
    begin: number;
    end: number;
  }
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name === METADATA_KEY) continue;
    if (!isPlainObject(info)) fail('entry is not an object {dtype, shape, data_offsets}', name);
    const rec = info as Record<string, unknown>;
    const dtype = rec['dtype'];
    if (typeof dtype !== 'string') return fail('missing or non-string "dtype"', name);
    const itemSize = ITEM_SIZE[dtype];
    if (itemSize === undefined) {
      fail(`unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(ITEM_SIZE).join(', ')})`, name);
    }
    const shape = rec['shape'];
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
      return fail(`"shape" must be an array of non-negative integers, got ${JSON.stringify(shape)}`, name);
    }
    const offsets = rec['data_offsets'];
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0)) {
      return fail(`"data_offsets" must be [begin, end] non-negative integers, got ${JSON.stringify(offsets)}`, name);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`data_offsets [${begin}, ${end}] end before begin`, name);
    if (end > dataLen) {
      fail(`data_offsets [${begin}, ${end}] run past the end of the data buffer (${dataLen} bytes; file truncated?)`, name);
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * itemSize!;
    if (end - begin !== expected) {
      fail(`data_offsets [${begin}, ${end}] span ${end - begin} bytes but ${dtype} ${JSON.stringify(shape)} needs ${expected}`, name);
    }
    entries.push({ name, dtype, shape: (shape as number[]).slice(), begin, end });
  }

  // layout: contiguous from 0, no overlap, no gap, covering the whole buffer
  const byOffset = entries.slice().sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  let prev: string | undefined;
  for (const e of byOffset) {
    if (e.begin < cursor) {
      fail(`data_offsets [${e.begin}, ${e.end}] overlap tensor ${JSON.stringify(prev)} (which ends at ${cursor})`, e.name);
    }
    if (e.begin > cursor) {
      fail(`data_offsets [${e.begin}, ${e.end}] leave a gap of ${e.begin - cursor} bytes after offset ${cursor}`, e.name);
    }
    cursor = e.end;
    prev = e.name;
  }
  if (cursor !== dataLen) {
    fail(`data buffer is ${dataLen} bytes but the tensors cover only ${cursor} (trailing bytes)`);
  }

  // convert
  const pairs: [string, HostTensor][] = entries.map((e) => {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const numel = e.shape.reduce((a, b) => a * b, 1);
    if (FLOAT_DTYPES.has(e.dtype)) {
      return [e.name, { dtype: 'float32', shape: e.shape, data: decodeFloat(e.dtype, raw, numel) }];
    }
    return [e.name, { dtype: 'int32', shape: e.shape, data: decodeInt(e.dtype, raw, numel, (p) => fail(p, e.name)) }];
  });
  return { tensors: Object.fromEntries(pairs), metadata };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An aligned, little-endian-readable copy of `raw`. */
function alignedCopy(raw: Uint8Array): ArrayBuffer {
  const buf = new ArrayBuffer(raw.byteLength);
  new Uint8Array(buf).set(raw);
  return buf;
}

let halfTable: Float32Array | undefined;

/** float32 value of every IEEE binary16 bit pattern. */
function getHalfTable(): Float32Array {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) {
      const sign = h & 0x8000 ? -1 : 1;
      const exp = (h >> 10) & 0x1f;
      const frac = h & 0x3ff;
      let v: number;
      if (exp === 0) v = sign * frac * 2 ** -24;
      else if (exp === 31) v = frac === 0 ? sign * Infinity : NaN;
      else v = sign * 2 ** (exp - 15) * (1 + frac / 1024);
      halfTable[h] = v;
    }
  }
  return halfTable;
}

function decodeFloat(dtype: string, raw: Uint8Array, numel: number): Float32Array {
  const buf = alignedCopy(raw);
  const dv = new DataView(buf);
  switch (dtype) {
    case 'F32': {
      if (HOST_LITTLE_ENDIAN) return new Float32Array(buf);
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = dv.getFloat32(i * 4, true);
      return out;
    }
    case 'F64': {
      const out = new Float32Array(numel);
      if (HOST_LITTLE_ENDIAN) out.set(new Float64Array(buf));
      else for (let i = 0; i < numel; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    }
    case 'F16': {
      const table = getHalfTable();
      const out = new Float32Array(numel);
      for (let i = 0; i < numel; i++) out[i] = table[dv.getUint16(i * 2, true)]!;
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const bits = new Uint32Array(numel);
      for (let i = 0; i < numel; i++) bits[i] = dv.getUint16(i * 2, true) << 16;
      return new Float32Array(bits.buffer);
    }
    default:
      throw new Error(`unreachable float dtype ${dtype}`);
  }
}

function decodeInt(dtype: string, raw: Uint8Array, numel: number, fail: (problem: string) => never): Int32Array {
  const buf = alignedCopy(raw);
  const dv = new DataView(buf);
  const out = new Int32Array(numel);
  const outOfRange = (i: number, v: bigint | number): never => fail(`${dtype} value ${v} at flat index ${i} does not fit in int32`);
  switch (dtype) {
    case 'I32':
      if (HOST_LITTLE_ENDIAN) return new Int32Array(buf);
      for (let i = 0; i < numel; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    case 'I64':
      for (let i = 0; i < numel; i++) {
        const v = dv.getBigInt64(i * 8, true);
        if (v < -2147483648n || v > 2147483647n) outOfRange(i, v);
        out[i] = Number(v);
      }
      return out;
    case 'U64':
      for (let i = 0; i < numel; i++) {
        const v = dv.getBigUint64(i * 8, true);
        if (v > 2147483647n) outOfRange(i, v);
        out[i] = Number(v);
      }
      return out;
    case 'U32':
      for (let i = 0; i < numel; i++) {
        const v = dv.getUint32(i * 4, true);
        if (v > INT32_MAX) outOfRange(i, v);
        out[i] = v;
      }
      return out;
    case 'I16':
      for (let i = 0; i < numel; i++) out[i] = dv.getInt16(i * 2, true);
      return out;
    case 'U16':
      for (let i = 0; i < numel; i++) out[i] = dv.getUint16(i * 2, true);
      return out;
    case 'I8':
      out.set(new Int8Array(buf));
      return out;
    case 'U8':
      out.set(new Uint8Array(buf));
      return out;
    case 'BOOL': {
      const b = new Uint8Array(buf);
      for (let i = 0; i < numel; i++) out[i] = b[i] !== 0 ? 1 : 0;
      return out;
    }
    default:
      throw new Error(`unreachable int dtype ${dtype}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// encode

/**
 * Serialise host tensors (float32 -> F32, int32 -> I32) with optional string metadata. Names are
 * sorted, so the same input always gives the same bytes.
 */
export function encodeSafetensors(tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  return encodeWithSource(tensors, metadata, '<encode>');
}

function encodeWithSource(tensors: Record<string, HostTensor>, metadata: Record<string, string> | undefined, source: string): Uint8Array {
  const fail = (problem: string, tensor?: string): never => {
    throw new SafetensorsError(source, tensor, problem);
  };
  const names = Object.keys(tensors).sort();
  const headerPairs: [string, unknown][] = [];
  if (metadata !== undefined && Object.keys(metadata).length > 0) {
    const meta: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort()) {
      const v = metadata[k];
      if (typeof v !== 'string') fail(`metadata entry ${JSON.stringify(k)} is not a string`);
      meta[k] = v!;
    }
    headerPairs.push([METADATA_KEY, meta]);
  }
  let offset = 0;
  for (const name of names) {
    if (name === METADATA_KEY) fail(`"${METADATA_KEY}" is reserved and cannot name a tensor`, name);
    const t = tensors[name]!;
    checkHostTensor(t, (p) => fail(p, name));
    const nbytes = t.data.length * 4;
    headerPairs.push([name, { dtype: t.dtype === 'float32' ? 'F32' : 'I32', shape: t.shape, data_offsets: [offset, offset + nbytes] }]);
    offset += nbytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(Object.fromEntries(headerPairs)));
  const headerLen = Math.ceil(json.byteLength / 8) * 8;
  const out = new Uint8Array(8 + headerLen + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const name of names) {
    const t = tensors[name]!;
    if (HOST_LITTLE_ENDIAN) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    } else if (t.data instanceof Float32Array) {
      for (let i = 0; i < t.data.length; i++) dv.setFloat32(pos + i * 4, t.data[i]!, true);
    } else {
      for (let i = 0; i < t.data.length; i++) dv.setInt32(pos + i * 4, t.data[i]!, true);
    }
    pos += t.data.byteLength;
  }
  return out;
}

function checkHostTensor(t: HostTensor, fail: (problem: string) => never): void {
  if (t === null || typeof t !== 'object') fail('is not a tensor');
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    fail(`dtype ${JSON.stringify(t.dtype)} cannot be written (only float32 and int32; cast it first)`);
  }
  if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    fail(`shape must be an array of non-negative integers, got ${JSON.stringify(t.shape)}`);
  }
  const expectCtor = t.dtype === 'float32' ? Float32Array : Int32Array;
  if (!(t.data instanceof expectCtor)) {
    fail(`data for dtype ${t.dtype} must be a ${expectCtor.name}`);
  }
  const numel = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== numel) {
    fail(`data has ${t.data.length} elements but shape ${JSON.stringify(t.shape)} needs ${numel}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// files

/** Read a safetensors file into tfjs tensors and its string metadata. The caller owns (disposes) the tensors. */
export async function readSafetensorsFile(path: string): Promise<{ tensors: Record<string, tf.Tensor>; metadata: Record<string, string> }> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : `cannot read file (${e.code ?? e.message})`;
    throw new SafetensorsError(path, undefined, why, { cause: err });
  }
  const host = decodeSafetensors(bytes, path);
  const made: [string, tf.Tensor][] = [];
  try {
    for (const [name, t] of Object.entries(host.tensors)) {
      made.push([name, tf.tensor(t.data, t.shape, t.dtype)]);
    }
  } catch (err) {
    for (const [, t] of made) t.dispose();
    throw err;
  }
  return { tensors: Object.fromEntries(made), metadata: host.metadata };
}

/** Read a safetensors file into tfjs tensors (metadata dropped). The caller owns (disposes) the tensors. */
export async function readSafetensors(path: string): Promise<Record<string, tf.Tensor>> {
  return (await readSafetensorsFile(path)).tensors;
}

/**
 * Write tensors (tfjs tensors or host tensors) to `path` atomically: the file holds either its old
 * content or the complete new one. Every tensor is read and validated before the file is touched.
 * tfjs tensors are read with `await t.data()` and are not disposed.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, tf.Tensor | HostTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  const host: [string, HostTensor][] = [];
  for (const [name, t] of Object.entries(tensors)) {
    host.push([name, await toHostTensor(t, path, name)]);
  }
  const bytes = encodeWithSource(Object.fromEntries(host), metadata, path);
  try {
    await writeFileAtomic(path, bytes);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new SafetensorsError(path, undefined, `cannot write file (${e.code ?? e.message})`, { cause: err });
  }
}

/** Copy a tfjs tensor into host memory (float32 / int32 only); host tensors pass through. */
export async function toHostTensor(t: tf.Tensor | HostTensor, source = '<tensor>', name?: string): Promise<HostTensor> {
  if (!(t instanceof tf.Tensor)) return t;
  if (t.isDisposed) throw new SafetensorsError(source, name, 'tensor is disposed');
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new SafetensorsError(source, name, `dtype ${t.dtype} cannot be written (only float32 and int32; cast it first)`);
  }
  const data = await t.data();
  return {
    dtype: t.dtype,
    shape: t.shape.slice(),
    data: t.dtype === 'float32' ? Float32Array.from(data as Float32Array) : Int32Array.from(data as Int32Array),
  };
}
