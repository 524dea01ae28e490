/**
 * Decoding a whole safetensors file held in memory (format: safetensors_format.ts). Pure: no file
 * system, no tfjs, so it runs in browsers as well as in Node.
 */
import type { HostTensor } from './host_tensor.js';
import { decodeFloat, decodeInt } from './safetensors_dtypes.js';
import { SafetensorsError } from './safetensors_error.js';
import { FLOAT_DTYPES, ITEM_SIZE, METADATA_KEY } from './safetensors_format.js';

type Fail = (problem: string, tensor?: string) => never;

interface Entry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/**
 * Parse a whole safetensors file held in memory. `source` names it in error messages (use the path).
 * Every tensor is validated (dtype, shape, offsets against dtype x shape, range, overlap, gaps) before
 * any data is converted.
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  source = '<buffer>',
): { tensors: Record<string, HostTensor>; metadata: Record<string, string> } {
  const fail: Fail = (problem, tensor) => {
    throw new SafetensorsError(source, tensor, problem);
  };
  const { header, dataStart } = readHeader(bytes, fail);
  const dataLen = bytes.byteLength - dataStart;
  const metadata = readMetadata(header, fail);
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header)) {
    if (name !== METADATA_KEY) entries.push(readEntry(name, info, dataLen, fail));
  }
  checkLayout(entries, dataLen, fail);

  const pairs: [string, HostTensor][] = entries.map((e) => {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    const numel = e.shape.reduce((a, b) => a * b, 1);
    if (FLOAT_DTYPES.has(e.dtype)) {
      return [e.name, { dtype: 'float32', shape: e.shape, data: decodeFloat(e.dtype, raw, numel) }];
    }
    return [e.name, { dtype: 'int32', shape: e.shape, data: decodeInt(e.dtype, raw, numel, (p) => fail(p, e.name)) }];
  });
  // Own data properties throughout (Object.fromEntries), so a name like "__proto__" stays a plain key.
  return { tensors: Object.fromEntries(pairs), metadata };
}

/** The header's JSON object and where the data buffer starts. */
function readHeader(bytes: Uint8Array, fail: Fail): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.byteLength < 8) {
    fail(`file is ${bytes.byteLength} bytes, too short for the 8-byte header length (truncated or not a safetensors file)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(bytes.byteLength - 8)) {
    fail(`header length ${headerLen64} runs past the end of the file (${bytes.byteLength} bytes; truncated or not a safetensors file)`);
  }
  const dataStart = 8 + Number(headerLen64);
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
  if (!isPlainObject(header)) return fail('header JSON is not an object');
  return { header, dataStart };
}

function readMetadata(header: Record<string, unknown>, fail: Fail): Record<string, string> {
  const pairs: [string, string][] = [];
  const raw = header[METADATA_KEY];
  if (raw !== undefined && raw !== null) {
    if (!isPlainObject(raw)) fail(`"${METADATA_KEY}" is not an object of strings`);
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (typeof v !== 'string') fail(`"${METADATA_KEY}" entry ${JSON.stringify(k)} is not a string`);
      pairs.push([k, v as string]);
    }
  }
  return Object.fromEntries(pairs);
}

/** One tensor's header entry, checked on its own (dtype, shape, offsets against dtype x shape and the buffer). */
function readEntry(name: string, info: unknown, dataLen: number, fail: Fail): Entry {
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
  return { name, dtype, shape: (shape as number[]).slice(), begin, end };
}

/** The tensors lie contiguously from 0, with no overlap and no gap, and cover the whole buffer. */
function checkLayout(entries: readonly Entry[], dataLen: number, fail: Fail): void {
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
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
