/**
 * Kernels of our own compiled to WebAssembly (src/backend/wasm/*.c, SIMD128), instantiated once per
 * wasm backend on that backend's own memory: they read and write tfjs's tensors in place.
 */
import { KERNELS_WASM_BASE64 } from './wasm/kernels_wasm.js';

/** The exports of src/backend/wasm/*.c; pointers are byte offsets into tfjs's heap. */
export interface WasmKernelExports {
  conv2d(
    x: number, w: number, bias: number, y: number, zeros: number,
    n: number, h: number, w_: number, c: number,
    oh: number, ow: number, k: number,
    fh: number, fw: number, sh: number, sw: number, padTop: number, padLeft: number, relu: number,
  ): void;
  conv2d_input_grad(
    dy: number, wt: number, dx: number, zeros: number,
    n: number, h: number, w: number, c: number,
    oh: number, ow: number, k: number,
    fh: number, fw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
  conv2d_transpose_filter(w: number, wt: number, fh: number, fw: number, c: number, k: number): void;
  conv2d_filter_grad(
    x: number, dy: number, dw: number,
    n: number, h: number, w: number, c: number,
    oh: number, ow: number, k: number,
    fh: number, fw: number, sh: number, sw: number, padTop: number, padLeft: number,
  ): void;
}

export interface WasmKernels {
  readonly exports: WasmKernelExports;
  /** A block of at least `count` float zeros that stays valid until the next call (kernels read it for padding). */
  zeros(count: number): number;
  /** Runs `fn` with a scratch block of `bytes` from tfjs's allocator, freed afterwards. */
  withScratch<T>(bytes: number, fn: (ptr: number) => T): T;
}

interface EmscriptenModule {
  asm?: { memory?: unknown };
  _malloc?: (bytes: number) => number;
  _free?: (ptr: number) => void;
}

/**
 * The C stack of our module: C code may keep small arrays there, and the linker's default stack
 * address would lie inside tfjs's own data, so the stack is a block we take from tfjs's allocator
 * (once per backend, never freed: it lives as long as the backend).
 */
const STACK_BYTES = 64 * 1024;

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
    kernels = bind((backend as { wasm?: EmscriptenModule }).wasm);
    instances.set(backend, kernels);
  }
  return kernels;
}

function bind(wasm: EmscriptenModule | undefined): WasmKernels | null {
  const memory = wasm?.asm?.memory;
  const malloc = wasm?._malloc;
  const free = wasm?._free;
  if (!(memory instanceof WebAssembly.Memory) || memory.buffer instanceof SharedArrayBuffer || malloc == null || free == null) {
    return null;
  }
  const alloc = (bytes: number): number => {
    const ptr = malloc(bytes);
    if (ptr === 0) throw new Error(`wasm kernels: tfjs's heap could not allocate ${bytes} bytes`);
    return ptr;
  };
  compiled ??= new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  const exports = new WebAssembly.Instance(compiled, { env: { memory } }).exports;
  // The stack grows down from its top, 16-byte aligned.
  (exports['__stack_pointer'] as WebAssembly.Global).value = (alloc(STACK_BYTES + 16) + STACK_BYTES) & ~15;
  let zeros = 0;
  let zeroCount = 0;
  return {
    exports: exports as unknown as WasmKernelExports,
    zeros(count) {
      if (count > zeroCount) {
        if (zeros !== 0) free(zeros);
        zeroCount = Math.max(count, 1024);
        zeros = alloc(zeroCount * 4);
        new Float32Array(memory.buffer, zeros, zeroCount).fill(0);
      }
      return zeros;
    },
    withScratch(bytes, fn) {
      const ptr = alloc(bytes);
      try {
        return fn(ptr);
      } finally {
        free(ptr);
      }
    },
  };
}
