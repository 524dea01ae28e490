/**
 * The safetensors format (https://github.com/huggingface/safetensors), shared by the reader and writer.
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

export const METADATA_KEY = '__metadata__';

/** Bytes per element of each safetensors dtype we can read. */
export const ITEM_SIZE: Readonly<Record<string, number>> = {
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

export const FLOAT_DTYPES: ReadonlySet<string> = new Set(['F64', 'F32', 'F16', 'BF16']);

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
