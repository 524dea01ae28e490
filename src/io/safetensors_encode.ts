/** Encoding host tensors as a safetensors file in memory (format: safetensors_format.ts). Pure: no file system, no tfjs. */
import type { HostTensor } from './host_tensor.js';
import { SafetensorsError } from './safetensors_error.js';
import { HOST_LITTLE_ENDIAN, METADATA_KEY } from './safetensors_format.js';

/**
 * Serialise host tensors (float32 -> F32, int32 -> I32) with optional string metadata. Names are
 * sorted, so the same input always gives the same bytes.
 */
export function encodeSafetensors(tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  return encodeWithSource(tensors, metadata, '<encode>');
}

/** encodeSafetensors with `source` (the file being written) named in its errors. */
export function encodeWithSource(
  tensors: Record<string, HostTensor>,
  metadata: Record<string, string> | undefined,
  source: string,
): Uint8Array {
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
