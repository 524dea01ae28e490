/**
 * Direct access to the tensors of the two CPU backends from JavaScript, for kernels of our own that
 * run on them: the wasm backend keeps each tensor in its heap (a Float32Array view on it is free),
 * the cpu backend in a plain typed array.
 *
 * Why: tfjs-backend-wasm's elementwise and reduction kernels are generic loops with per-element
 * index arithmetic (a same-shape Multiply measured 5 ns an element, a Sum over the N, H, W axes of
 * NHWC 8.5 ns, through a Transpose); a JS loop over the same memory runs at about 1 ns.
 */
import type { tf } from '../../tf.js';

export interface HostMemory {
  /** The values of a float32 tensor, in place: views stay valid until the next alloc. */
  read(t: tf.TensorInfo): Float32Array;
  /** A new float32 output. Allocate every output before reading any input: an allocation may move the wasm heap. */
  alloc(shape: number[]): tf.TensorInfo;
}

interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
}

interface CpuBackendLike {
  data: { get(dataId: object): { values?: unknown } | undefined };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values?: Float32Array): tf.TensorInfo;
}

/** The host memory of `backend` ('wasm' or 'cpu' by name); throws for any other. */
export function hostMemory(backendName: string, backend: unknown): HostMemory {
  if (backendName === 'wasm') {
    const b = backend as WasmBackendLike;
    return {
      read: (t) => b.typedArrayFromHeap(t),
      alloc: (shape) => b.makeOutput(shape, 'float32'),
    };
  }
  if (backendName === 'cpu') {
    const b = backend as CpuBackendLike;
    return {
      read: (t) => {
        const values = b.data.get(t.dataId)?.values;
        if (!(values instanceof Float32Array)) throw new Error(`host kernel: tensor ${t.shape} has no float32 values on the cpu backend`);
        return values;
      },
      alloc: (shape) => b.makeTensorInfo(shape, 'float32', new Float32Array(shape.reduce((a, v) => a * v, 1))),
    };
  }
  throw new Error(`host kernels run on the wasm and cpu backends, not '${backendName}'`);
}
