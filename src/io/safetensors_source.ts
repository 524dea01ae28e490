/**
 * Safetensors from a URL or from bytes already in memory: the reader the browser entry uses (no
 * file system; `fetch` and the pure decoder only).
 */
import type { tf } from '../tf.js';
import { hostToTensors } from './host_tensor.js';
import { decodeSafetensors } from './safetensors_decode.js';
import { SafetensorsError } from './safetensors_error.js';

/** Where safetensors come from: a URL to fetch (relative ones against the page), or the file's bytes. */
export type SafetensorsSource = string | URL | ArrayBuffer | Uint8Array;

/** Fetch or take the bytes of `source` and decode them into tfjs tensors and metadata. The caller owns (disposes) the tensors. */
export async function readSafetensorsSource(
  source: SafetensorsSource,
): Promise<{ tensors: Record<string, tf.Tensor>; metadata: Record<string, string> }> {
  const { bytes, name } = await sourceBytes(source);
  const host = decodeSafetensors(bytes, name);
  return { tensors: hostToTensors(host.tensors), metadata: host.metadata };
}

async function sourceBytes(source: SafetensorsSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: '<buffer>' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: '<buffer>' };
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new SafetensorsError('<source>', undefined, `expected a URL, an ArrayBuffer or a Uint8Array, got ${typeof source}`);
  }
  const name = String(source);
  let response: Response;
  try {
    response = await fetch(source);
  } catch (err) {
    throw new SafetensorsError(name, undefined, `cannot fetch (${(err as Error).message ?? String(err)})`, { cause: err });
  }
  if (!response.ok) throw new SafetensorsError(name, undefined, `cannot fetch (HTTP ${response.status} ${response.statusText})`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), name };
}
