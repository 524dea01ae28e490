/**
 * Kernels of our own compiled to WebAssembly (src/backend/wasm/*.c, SIMD128), instantiated once per
 * wasm backend on that backend's own memory: they read and write tfjs's tensors in place.
 */
import { KERNELS_WASM_BASE64 } from './wasm/kernels_wasm.js';

export interface WasmKernels {
  /** See src/backend/wasm/conv_filter_grad.c; pointers are byte offsets into tfjs's heap. */
  conv2d_filter_grad(
    x: number, dy: number, dw: number,
    n: number, h: number, w: number, c: number,
    oh: number, ow: number, k: number,
    fh: number, fw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
}

interface WasmBackendLike {
  wasm?: { asm?: { memory?: unknown } };
}

let compiled: WebAssembly.Module | undefined;
const instances = new WeakMap<object, WasmKernels | null>();

/**
 * Our kernels bound to the heap of `backend` (a tfjs-backend-wasm backend), or null where they
 * cannot bind: tfjs's threaded build (ARCHAI_TS_WASM_THREADS) keeps its heap in a shared memory,
 * which a module built for the default single-threaded build cannot import. Callers then use tfjs's
 * own kernels.
 */
export function wasmKernels(backend: object): WasmKernels | null {
  let kernels = instances.get(backend);
  if (kernels === undefined) {
    const memory = (backend as WasmBackendLike).wasm?.asm?.memory;
    if (memory instanceof WebAssembly.Memory && !(memory.buffer instanceof SharedArrayBuffer)) {
      compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
      kernels = new WebAssembly.Instance(compiled, { env: { memory } }).exports as unknown as WasmKernels;
    } else {
      kernels = null;
    }
    instances.set(backend, kernels);
  }
  return kernels;
}
