/**
 * Kernels of our own compiled to WebAssembly (src/backend/wasm/*.c), instantiated once per wasm
 * backend on that backend's own memory: they read and write tfjs's tensors in place.
 *
 * This file is the part that runs anywhere (Node and browsers): the exports' types, binding a
 * build to a backend's heap, and which of the two builds runs. The choice defaults to relaxed SIMD
 * where the engine validates it as it is (browsers: Chromium 114+); Node's kernels.ts replaces it
 * with one that reads ARCHAI_TS_WASM_FMA and can switch on V8's flag.
 */
import { KERNELS_WASM_RELAXED, KERNELS_WASM_SIMD128 } from './kernels_wasm.js';

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

let chosen: WasmKernelBuild | undefined;
let chooser: () => WasmKernelBuild = defaultBuild;
const instances = new WeakMap<object, WasmKernels | null>();

/** One compiled build of the kernels. */
export interface WasmKernelBuild {
  flavour: WasmKernelFlavour;
  module: WebAssembly.Module;
}

/** The bytes of a base64 string (atob: in browsers and in Node 16+, unlike Buffer). */
export function base64Bytes(base64: string): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** The relaxed-SIMD build's bytes and the SIMD128 build's. */
export function wasmKernelBytes(): { relaxed: Uint8Array<ArrayBuffer>; simd128: Uint8Array<ArrayBuffer> } {
  return { relaxed: base64Bytes(KERNELS_WASM_RELAXED), simd128: base64Bytes(KERNELS_WASM_SIMD128) };
}

function defaultBuild(): WasmKernelBuild {
  const { relaxed, simd128 } = wasmKernelBytes();
  const flavour: WasmKernelFlavour = WebAssembly.validate(relaxed) ? 'relaxed-simd' : 'simd128';
  return { flavour, module: new WebAssembly.Module(flavour === 'relaxed-simd' ? relaxed : simd128) };
}

/** Replaces how the build is chosen (before the first choice only: one build per process). */
export function setWasmKernelChooser(choose: () => WasmKernelBuild): void {
  if (chosen == null) chooser = choose;
}

/** The build this process uses, chosen on first use. */
export function chosenWasmKernelBuild(): WasmKernelBuild {
  chosen ??= chooser();
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
    kernels = bindWasmKernels(backend, chosenWasmKernelBuild().module);
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
  if (!(memory instanceof WebAssembly.Memory) || isShared(memory) || malloc == null || free == null) {
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

/** Whether a memory is shared (threaded tfjs); pages that are not cross-origin isolated have no SharedArrayBuffer at all. */
function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
}
