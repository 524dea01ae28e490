/**
 * Kernels of our own compiled to WebAssembly (src/backend/wasm/*.c), instantiated once per wasm
 * backend on that backend's own memory: they read and write tfjs's tensors in place.
 *
 * Two builds of the same sources: with relaxed SIMD (its fused multiply-add, about 1.4x the
 * convolutions' speed here) where the engine validates it, SIMD128 alone otherwise. Relaxed SIMD is
 * standard and on by default from V8 11.4 (Node 22); Node 20's V8 has the same instructions behind
 * --experimental-wasm-relaxed-simd, which we switch on for the process when the build fails to
 * validate without it. ARCHAI_TS_WASM_FMA=0 keeps the SIMD128 build (and V8's flags untouched).
 */
import { setFlagsFromString } from 'node:v8';

import { KERNELS_WASM_RELAXED, KERNELS_WASM_SIMD128 } from './kernels_wasm.js';

const WASM_FMA_ENV = 'ARCHAI_TS_WASM_FMA';

/** Which build runs: 'relaxed-simd' (fused multiply-add) or 'simd128'. */
export type WasmKernelFlavour = 'relaxed-simd' | 'simd128';

/** The exports of src/backend/wasm/*.c; pointers are byte offsets into tfjs's heap. */
export interface WasmKernelExports {
  conv2d(
    x: number,
    w: number,
    bias: number,
    y: number,
    zeros: number,
    n: number,
    h: number,
    w_: number,
    c: number,
    oh: number,
    ow: number,
    k: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
    relu: number,
  ): void;
  conv2d_input_grad(
    dy: number,
    wt: number,
    dx: number,
    zeros: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    k: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
  ): void;
  conv2d_transpose_filter(w: number, wt: number, fh: number, fw: number, c: number, k: number): void;
  conv2d_filter_grad(
    x: number,
    dy: number,
    dw: number,
    n: number,
    h: number,
    w: number,
    c: number,
    oh: number,
    ow: number,
    k: number,
    fh: number,
    fw: number,
    sh: number,
    sw: number,
    padTop: number,
    padLeft: number,
  ): void;
  bn_sums(x: number, m: number, c: number, shift: number, s: number, q: number): void;
  bn_grad_sums(dy: number, x: number, m: number, c: number, mu: number, sdy: number, sdyx: number): void;
  bn_affine(out: number, u: number, m: number, c: number, a: number, e: number, v: number, b: number, mu: number): void;
}

export interface WasmKernels {
  readonly exports: WasmKernelExports;
  /** A block of at least `count` float zeros that stays valid until the next call (kernels read it for padding). */
  zeros(count: number): number;
  /**
   * A block of at least `bytes` (16-byte aligned) kept for the backend's lifetime, for one kernel
   * call's parameters and temporaries (the next call may reuse it). Growing it allocates, which may
   * move the heap: reserve it before taking views of tensors.
   */
  scratch(bytes: number): number;
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

let chosen: { flavour: WasmKernelFlavour; module: WebAssembly.Module } | undefined;
const instances = new WeakMap<object, WasmKernels | null>();

/** The build this process uses (chosen on first use, from ARCHAI_TS_WASM_FMA and what the engine validates). */
export function wasmKernelFlavour(): WasmKernelFlavour {
  return chooseModule().flavour;
}

/** ARCHAI_TS_WASM_FMA: false for '0', true for '1' or unset; anything else throws. */
export function wasmFmaFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[WASM_FMA_ENV];
  if (raw == null || raw === '' || raw === '1') return true;
  if (raw === '0') return false;
  throw new RangeError(`${WASM_FMA_ENV} must be 0 (SIMD128 kernels) or 1 (fused multiply-add where the engine has it), got '${raw}'`);
}

/** The two builds, compiled: `relaxed` only where this engine validates it as it is now. */
export function wasmKernelModules(): { simd128: WebAssembly.Module; relaxed?: WebAssembly.Module } {
  const relaxed = Buffer.from(KERNELS_WASM_RELAXED, 'base64');
  return {
    simd128: new WebAssembly.Module(Buffer.from(KERNELS_WASM_SIMD128, 'base64')),
    ...(WebAssembly.validate(relaxed) ? { relaxed: new WebAssembly.Module(relaxed) } : {}),
  };
}

function chooseModule(): { flavour: WasmKernelFlavour; module: WebAssembly.Module } {
  if (chosen == null) {
    const relaxed = Buffer.from(KERNELS_WASM_RELAXED, 'base64');
    let flavour: WasmKernelFlavour = 'simd128';
    if (wasmFmaFromEnv()) {
      if (!WebAssembly.validate(relaxed)) setFlagsFromString('--experimental-wasm-relaxed-simd');
      if (WebAssembly.validate(relaxed)) flavour = 'relaxed-simd';
    }
    const bytes = flavour === 'relaxed-simd' ? relaxed : Buffer.from(KERNELS_WASM_SIMD128, 'base64');
    chosen = { flavour, module: new WebAssembly.Module(bytes) };
  }
  return chosen;
}

/**
 * Our kernels bound to the heap of `backend` (a tfjs-backend-wasm backend), or null where they
 * cannot bind: tfjs's threaded build (ARCHAI_TS_WASM_THREADS) keeps its heap in a shared memory,
 * which a module built for the default single-threaded build cannot import. Callers then use tfjs's
 * own kernels.
 */
export function wasmKernels(backend: object): WasmKernels | null {
  let kernels = instances.get(backend);
  if (kernels === undefined) {
    kernels = bindWasmKernels(backend, chooseModule().module);
    instances.set(backend, kernels);
  }
  return kernels;
}

/** A fresh instance of `module` (one of the two builds) on the heap of `backend`; null where it cannot bind. */
export function bindWasmKernels(backend: object, module: WebAssembly.Module): WasmKernels | null {
  const wasm = (backend as { wasm?: EmscriptenModule }).wasm;
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
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  // The stack grows down from its top, 16-byte aligned.
  (exports['__stack_pointer'] as WebAssembly.Global).value = (alloc(STACK_BYTES + 16) + STACK_BYTES) & ~15;
  let zeros = 0;
  let zeroCount = 0;
  let scratch = 0;
  let scratchBytes = 0;
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
    scratch(bytes) {
      if (bytes > scratchBytes) {
        if (scratch !== 0) free(scratch);
        scratchBytes = Math.max(bytes, 16 * 1024);
        scratch = alloc(scratchBytes + 16);
      }
      return (scratch + 15) & ~15;
    },
  };
}
