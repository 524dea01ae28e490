/**
 * Host tensors (typed arrays with a shape) to and from tfjs tensors: the portable form the
 * safetensors reader and writer work with.
 */
import { tf } from '../tf.js';
import { SafetensorsError } from './safetensors_error.js';

/** A tensor held in host memory: the portable form the reader and writer work with. */
export interface HostTensor {
  dtype: 'float32' | 'int32';
  shape: number[];
  data: Float32Array | Int32Array;
}

/** tfjs tensors of host tensors; on failure none is left allocated. The caller owns (disposes) them. */
export function hostToTensors(host: Record<string, HostTensor>): Record<string, tf.Tensor> {
  const made: [string, tf.Tensor][] = [];
  try {
    for (const [name, t] of Object.entries(host)) {
      made.push([name, tf.tensor(t.data, t.shape, t.dtype)]);
    }
  } catch (err) {
    for (const [, t] of made) t.dispose();
    throw err;
  }
  return Object.fromEntries(made);
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
