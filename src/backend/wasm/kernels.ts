/**
 * Our WebAssembly kernels in Node: which build runs (kernel_module.ts has the binding, shared with
 * browsers).
 *
 * Two builds of the same sources: with relaxed SIMD (its fused multiply-add, about 1.4x the
 * convolutions' speed here) where the engine validates it, SIMD128 alone otherwise. Relaxed SIMD is
 * standard and on by default from V8 11.4 (Node 22); Node 20's V8 has the same instructions behind
 * --experimental-wasm-relaxed-simd, which we switch on for the process when the build fails to
 * validate without it. ARCHAI_TS_WASM_FMA=0 keeps the SIMD128 build (and V8's flags untouched).
 */
import { setFlagsFromString } from 'node:v8';

import {
  chosenWasmKernelBuild,
  setWasmKernelChooser,
  type WasmKernelBuild,
  type WasmKernelFlavour,
  wasmKernelBytes,
} from './kernel_module.js';

export {
  bindWasmKernels,
  wasmKernels,
  type WasmKernelExports,
  type WasmKernelFlavour,
  type WasmKernels,
} from './kernel_module.js';

const WASM_FMA_ENV = 'ARCHAI_TS_WASM_FMA';

// Installed when this module loads: every Node path to the kernels (backend.ts) imports it first.
setWasmKernelChooser(nodeBuild);

/** The build this process uses (chosen on first use, from ARCHAI_TS_WASM_FMA and what the engine validates). */
export function wasmKernelFlavour(): WasmKernelFlavour {
  return chosenWasmKernelBuild().flavour;
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
  const { relaxed, simd128 } = wasmKernelBytes();
  return {
    simd128: new WebAssembly.Module(simd128),
    ...(WebAssembly.validate(relaxed) ? { relaxed: new WebAssembly.Module(relaxed) } : {}),
  };
}

function nodeBuild(): WasmKernelBuild {
  const { relaxed, simd128 } = wasmKernelBytes();
  let flavour: WasmKernelFlavour = 'simd128';
  if (wasmFmaFromEnv()) {
    if (!WebAssembly.validate(relaxed)) setFlagsFromString('--experimental-wasm-relaxed-simd');
    if (WebAssembly.validate(relaxed)) flavour = 'relaxed-simd';
  }
  return { flavour, module: new WebAssembly.Module(flavour === 'relaxed-simd' ? relaxed : simd128) };
}
