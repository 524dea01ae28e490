/**
 * Choosing and initialising a tfjs backend in a web page: the browser's counterpart of backend.ts
 * (which loads Node bindings, Dawn for Node and the wasm binaries from node_modules). No Node
 * module is reachable from here, so that the browser bundle builds without them.
 *
 * 'auto' tries webgpu on a hardware adapter, then wasm (with archai-ts's own SIMD kernels), webgl,
 * cpu. WebGL is never preferred to wasm: headless or GPU-less browsers render it in software
 * (SwiftShader), about 10x slower than wasm for these convnets; ask for it by name.
 */
import { tf } from '../tf.js';
import { BackendError } from './errors.js';
import { firstLine } from './first_line.js';
import { registerCpuKernels, registerWasmKernels } from './kernel_sets.js';
import { registerConvGradKernels } from './kernels/conv_grads.js';
import { chosenWasmKernelBuild, wasmKernels, type WasmKernelFlavour } from './wasm/kernel_module.js';
import { registerWebGPUKernelFixes } from './webgpu/kernels.js';

export const BROWSER_BACKEND_NAMES = ['auto', 'webgpu', 'wasm', 'webgl', 'cpu'] as const;

export type BrowserBackendName = (typeof BROWSER_BACKEND_NAMES)[number];

export interface BrowserBackendInfo {
  name: Exclude<BrowserBackendName, 'auto'>;
  /** What tfjs itself reports: tf.getBackend(). */
  tfBackend: string;
  /** Only for 'wasm'. */
  simd?: boolean;
  threads?: number;
  /** Only for 'wasm': which build of our kernels runs, or 'tfjs' where they cannot bind (threaded tfjs). */
  kernels?: WasmKernelFlavour | 'tfjs';
  /** Only for 'webgpu': the adapter (software: SwiftShader or another fallback adapter). */
  adapter?: { vendor: string; architecture: string; description: string; software: boolean };
  /** Only for 'auto': each backend tried before the chosen one, with why it failed. */
  fallbackFrom?: string[];
}

export interface BrowserBackendOptions {
  /**
   * Folder URL (ending in '/') of tfjs-backend-wasm's .wasm binaries. Default: the folder of the
   * script this code is bundled into (build-browser.mjs copies them next to archai-ts.js).
   */
  wasmPaths?: string;
}

type Concrete = Exclude<BrowserBackendName, 'auto'>;
type Describe = Omit<BrowserBackendInfo, 'name' | 'tfBackend' | 'fallbackFrom'>;

interface Spec {
  /** Makes tf.setBackend(name) possible; `auto` is true when 'auto' is trying it. Returns facts for the info. */
  load(options: BrowserBackendOptions, auto: boolean): Promise<Describe>;
  /** After initialisation: our kernels, and facts known only then. */
  after?(): Promise<Describe>;
}

const SPECS: Record<Concrete, Spec> = {
  webgpu: { load: loadWebGPU, after: registerWebGPUKernels },
  wasm: { load: loadWasm, after: describeWasm },
  webgl: { load: async () => ({}) },
  cpu: {
    load: async () => ({}),
    after: async () => {
      registerCpuKernels();
      return {};
    },
  },
};

/** Loads, initialises and selects a tfjs backend in the browser. */
export async function setBrowserBackend(
  name: BrowserBackendName = 'auto',
  options: BrowserBackendOptions = {},
): Promise<BrowserBackendInfo> {
  if (!(BROWSER_BACKEND_NAMES as readonly string[]).includes(name)) {
    throw new BackendError(`unknown backend '${String(name)}'; in a browser choose one of ${BROWSER_BACKEND_NAMES.join(', ')}`);
  }
  // tfjs's notices (kernel re-registration, "install the node backend") go through warn, which PROD silences.
  tf.env().set('PROD', true);
  if (name !== 'auto') return activate(name, options, false);
  const fallbackFrom: string[] = [];
  for (const candidate of BROWSER_BACKEND_NAMES.filter((n): n is Concrete => n !== 'auto')) {
    try {
      return { ...(await activate(candidate, options, true)), fallbackFrom };
    } catch (err) {
      fallbackFrom.push(firstLine(err));
    }
  }
  throw new BackendError(`no tfjs backend could be initialised in this browser (${fallbackFrom.join('; ')})`);
}

async function activate(name: Concrete, options: BrowserBackendOptions, auto: boolean): Promise<BrowserBackendInfo> {
  const spec = SPECS[name];
  const loaded = await spec.load(options, auto);
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (err) {
    throw new BackendError(`backend '${name}': initialisation failed: ${firstLine(err)}`, { cause: err });
  }
  if (!ok) throw new BackendError(`backend '${name}': tfjs could not initialise it in this browser; choose another backend`);
  const after = spec.after ? await spec.after() : {};
  return { name, tfBackend: tf.getBackend(), ...loaded, ...after };
}

async function loadWasm(options: BrowserBackendOptions): Promise<Describe> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const paths = options.wasmPaths ?? new URL('./', import.meta.url).href;
  if (tf.engine().registry['wasm'] == null) {
    try {
      wasm.setWasmPaths(paths.endsWith('/') ? paths : `${paths}/`);
    } catch (err) {
      // tfjs refuses new paths once an initialisation has aborted in this page.
      throw new BackendError(`backend 'wasm': ${firstLine(err)}; reload the page`, { cause: err });
    }
  }
  // Compiled before anything runs on them, so a build this browser rejects fails here, not mid-model.
  chosenWasmKernelBuild();
  return {};
}

async function describeWasm(): Promise<Describe> {
  registerWasmKernels();
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  return {
    simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
    threads: wasm.getThreadsCount(),
    kernels: wasmKernels(tf.backend()) == null ? 'tfjs' : chosenWasmKernelBuild().flavour,
  };
}

interface GPUAdapterLike {
  readonly isFallbackAdapter?: boolean;
  readonly info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
}

async function loadWebGPU(_options: BrowserBackendOptions, auto: boolean): Promise<Describe> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<GPUAdapterLike | null> } } | undefined)?.gpu;
  if (gpu == null) {
    throw new BackendError("backend 'webgpu': this browser has no WebGPU (navigator.gpu; it needs a secure context: https or localhost)");
  }
  const adapter = await gpu.requestAdapter();
  if (adapter == null) {
    throw new BackendError(
      "backend 'webgpu': the browser offers no WebGPU adapter (Chromium on Linux: start it with --enable-unsafe-webgpu); choose wasm",
    );
  }
  const info = adapter.info ?? {};
  const software = info.isFallbackAdapter === true || adapter.isFallbackAdapter === true || /swiftshader/i.test(info.architecture ?? '');
  if (auto && software) throw new BackendError("backend 'webgpu': only a software adapter (slower than wasm)");
  // An optional dependency: `as string` keeps tsc from needing its types; esbuild still bundles the literal.
  await import('@tensorflow/tfjs-backend-webgpu' as string);
  return { adapter: { vendor: info.vendor ?? '', architecture: info.architecture ?? '', description: info.description ?? '', software } };
}

/** The fixes the training step needs on tfjs-backend-webgpu 4.22 and the conv gradients as forward convs (webgpu/device.ts). */
async function registerWebGPUKernels(): Promise<Describe> {
  registerWebGPUKernelFixes();
  registerConvGradKernels('webgpu');
  return {};
}
