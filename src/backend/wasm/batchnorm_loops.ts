/**
 * The BatchNorm kernels' loops (batchnorm_kernels.ts) on the wasm backend, by our SIMD kernels
 * (src/backend/wasm/batchnorm.c): the same sums in float64, about 5x the JavaScript loops' speed.
 */
import type { BatchNormLoops } from '../host/batchnorm_loops.js';
import { wasmKernels } from './kernel_module.js';

/**
 * The loops for `c` channels on this wasm backend, or null where our kernels cannot bind. Call it
 * before taking views of the tensors: it may reserve heap memory (which can move the heap).
 */
export function wasmBatchNormLoops(backend: unknown, c: number): BatchNormLoops | null {
  const kernels = wasmKernels(backend as object);
  if (kernels == null) return null;
  // Three float64 rows (a parameter and two sums), then four float32 rows (a, e, b, mu).
  const base = kernels.scratch(c * (3 * 8 + 4 * 4));
  const f32At = base + 3 * 8 * c;
  const e = kernels.exports;
  const f64 = (heap: ArrayBufferLike): Float64Array => new Float64Array(heap, base, 3 * c);
  const sums = (heap: ArrayBufferLike): [Float64Array, Float64Array] => {
    const rows = f64(heap);
    return [rows.slice(c, 2 * c), rows.slice(2 * c, 3 * c)];
  };
  return {
    shiftedSums(xs, _c, shift) {
      f64(xs.buffer).set(shift);
      e.bn_sums(xs.byteOffset, xs.length / c, c, base, base + 8 * c, base + 16 * c);
      return sums(xs.buffer);
    },
    gradSums(dys, xs, mu) {
      f64(xs.buffer).set(mu);
      e.bn_grad_sums(dys.byteOffset, xs.byteOffset, xs.length / c, c, base, base + 8 * c, base + 16 * c);
      return sums(xs.buffer);
    },
    affine(out, u, a, shift, _c, v, b, mu) {
      const rows = new Float32Array(out.buffer, f32At, 4 * c);
      rows.set(a, 0);
      rows.set(shift, c);
      let vAt = 0;
      if (v != null && b != null && mu != null) {
        rows.set(b, 2 * c);
        rows.set(mu, 3 * c);
        vAt = v.byteOffset;
      }
      e.bn_affine(out.byteOffset, u.byteOffset, out.length / c, c, f32At, f32At + 4 * c, vAt, f32At + 8 * c, f32At + 12 * c);
    },
  };
}
