/** Safetensors element types to the host's float32 / int32 arrays (little-endian on any host). */
import { HOST_LITTLE_ENDIAN } from './safetensors_format.js';

const INT32_MAX = 2147483647;

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

export function decodeFloat(dtype: string, raw: Uint8Array, numel: number): Float32Array {
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

export function decodeInt(dtype: string, raw: Uint8Array, numel: number, fail: (problem: string) => never): Int32Array {
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
