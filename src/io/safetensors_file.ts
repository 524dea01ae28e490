/** Safetensors files on disk (Node only: the browser reads them with readSafetensorsSource). */
import { readFile } from 'node:fs/promises';

import type { tf } from '../tf.js';
import { writeFileAtomic } from './atomic.js';
import { type HostTensor, hostToTensors, toHostTensor } from './host_tensor.js';
import { decodeSafetensors } from './safetensors_decode.js';
import { encodeWithSource } from './safetensors_encode.js';
import { SafetensorsError } from './safetensors_error.js';

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
  return { tensors: hostToTensors(host.tensors), metadata: host.metadata };
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
