/**
 * Choosing and initialising the tfjs backend.
 *
 * Each backend is one entry of BACKENDS (how to load it, whether it wants the forward-conv gradient
 * kernels, what to report); 'auto' tries the entries in table order, so adding a backend is adding
 * one entry at the position it should be tried.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import { tf } from '../tf.js';
import { BACKEND_NAMES, type BackendName, isBackendName } from './names.js';
import { BackendError } from './errors.js';
import { registerCpuKernels, registerWasmKernels } from './kernel_sets.js';
import { adapterChoiceFromEnv, loadWebGPU, webgpuDeviceInfo, WebGPUUnavailableError, type AdapterDescription } from './webgpu/device.js';
import { firstLine, resolvable } from './packages.js';
import { wasmKernelFlavour, wasmKernels, type WasmKernelFlavour } from './wasm/kernels.js';
import { enableWasmThreads, WASM_THREADS_ENV, wasmThreadsFromEnv } from './wasm/threads.js';

export interface BackendInfo {
  /** The backend this package resolved to (never 'auto'). */
  name: Exclude<BackendName, 'auto'>;
  /** What tfjs itself reports: tf.getBackend(). */
  tfBackend: string;
  threads?: number;
  simd?: boolean;
  /** Only for 'wasm': which build of our kernels runs (wasm_kernels.ts), or 'tfjs' where they cannot bind. */
  kernels?: WasmKernelFlavour | 'tfjs';
  /** Only for 'webgpu': the adapter it runs on (software: Mesa's llvmpipe, for tests only). */
  adapter?: AdapterDescription;
  /** Only for 'auto': each backend tried before the chosen one, with why it failed. */
  fallbackFrom?: string[];
}

export interface SetBackendOptions {
  logger?: { info(obj: object, msg?: string): void };
}

export { BackendError };

interface BackendSpec {
  /** The name the package registers its backend under in tfjs. */
  readonly tfName: string;
  /**
   * Imports and configures the package so that tf.setBackend(tfName) can succeed. `auto` is true
   * when 'auto' is trying it (webgpu then accepts only a hardware adapter).
   */
  readonly load: (ctx: { auto: boolean }) => Promise<void>;
  /** Checks made after initialisation; throws BackendError if the backend is not usable. */
  readonly verify?: () => void;
  /** Extra facts for BackendInfo. */
  readonly describe?: () => Promise<Pick<BackendInfo, 'threads' | 'simd' | 'adapter' | 'kernels'>>;
  /** Registers archai-ts's own kernels for this backend, once it is initialised (they replace slow or wrong stock ones). */
  readonly registerKernels?: () => void;
}

const require = createRequire(import.meta.url);

type ConcreteBackendName = Exclude<BackendName, 'auto'>;

const BACKENDS = {
  'tensorflow-gpu': {
    tfName: 'tensorflow',
    load: () => importNodeBinding('tensorflow-gpu', '@tensorflow/tfjs-node-gpu'),
    verify: () => {
      // NodeJSKernelBackend exposes these; checking them costs nothing and catches a CUDA/cuDNN setup
      // that TensorFlow silently ran on the CPU.
      const b = tf.backend() as { isGPUPackage?: boolean; isUsingGpuDevice?: boolean };
      if (b.isGPUPackage === false) {
        throw new BackendError(
          "backend 'tensorflow-gpu': the registered 'tensorflow' backend comes from @tensorflow/tfjs-node, not -gpu; load only one of them",
        );
      }
      if (b.isUsingGpuDevice === false) {
        throw new BackendError(
          "backend 'tensorflow-gpu': TensorFlow found no usable GPU (it needs CUDA 11.2 and cuDNN 8.1); fix the CUDA setup or use --backend tensorflow",
        );
      }
    },
  },
  // Hardware only under 'auto' (the software adapter is far slower than wasm); explicitly, a
  // hardware adapter if there is one, else Mesa's llvmpipe (ARCHAI_TS_WEBGPU_ADAPTER overrides).
  webgpu: {
    tfName: 'webgpu',
    load: async ({ auto }) => {
      try {
        await loadWebGPU(auto ? 'hardware' : adapterChoiceFromEnv());
      } catch (err) {
        if (err instanceof WebGPUUnavailableError) {
          throw new BackendError(`backend 'webgpu': ${err.message}`, { cause: err });
        }
        throw err;
      }
    },
    describe: async () => {
      const dev = webgpuDeviceInfo();
      return dev ? { adapter: dev.adapter } : {};
    },
  },
  tensorflow: {
    tfName: 'tensorflow',
    load: () => importNodeBinding('tensorflow', '@tensorflow/tfjs-node'),
  },
  wasm: {
    tfName: 'wasm',
    load: loadWasm,
    describe: async () => {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      return {
        threads: wasm.getThreadsCount(),
        simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
        kernels: wasmKernels(tf.backend()) == null ? 'tfjs' : wasmKernelFlavour(),
      };
    },
    registerKernels: registerWasmKernels,
  },
  cpu: {
    tfName: 'cpu',
    load: async () => {},
    registerKernels: registerCpuKernels,
  },
} as const satisfies Record<ConcreteBackendName, BackendSpec>;

/**
 * Loads, initialises and selects a tfjs backend. 'auto' takes the first of tensorflow-gpu,
 * webgpu (a hardware adapter only), tensorflow, wasm, cpu that loads and initialises.
 */
export async function setBackend(name: BackendName = 'auto', opts: SetBackendOptions = {}): Promise<BackendInfo> {
  if (typeof name !== 'string' || !isBackendName(name)) {
    throw new BackendError(`unknown backend '${String(name)}'; choose one of ${BACKEND_NAMES.join(', ')}`);
  }
  // tfjs prints its "install the node backend" banner and kernel re-registration notices through
  // backend_util.warn, which PROD silences; this package reports the backend itself.
  tf.env().set('PROD', true);

  let info: BackendInfo;
  if (name === 'auto') {
    const fallbackFrom: string[] = [];
    let chosen: BackendInfo | undefined;
    for (const candidate of BACKEND_NAMES.filter((n): n is ConcreteBackendName => n !== 'auto')) {
      try {
        chosen = await activate(candidate, true);
        break;
      } catch (err) {
        fallbackFrom.push(firstLine(err));
      }
    }
    if (chosen == null) {
      throw new BackendError(`no tfjs backend could be initialised (${fallbackFrom.join('; ')})`);
    }
    info = { ...chosen, fallbackFrom };
  } else {
    info = await activate(name, false);
  }
  opts.logger?.info({ backend: info }, `tfjs backend: ${info.name}${describeAdapter(info)}`);
  return info;
}

/** ' (adapter ...)' for the log line of a webgpu backend; '' otherwise. */
function describeAdapter(info: BackendInfo): string {
  const a = info.adapter;
  if (!a) return '';
  const name = [a.vendor, a.device || a.description].filter(Boolean).join(' ');
  const why = a.software ? webgpuDeviceInfo()?.hardwareUnavailable : undefined;
  return ` (${a.software ? 'software' : 'hardware'} adapter ${name || '?'}${why ? `; ${why}` : ''})`;
}

async function activate(name: ConcreteBackendName, auto: boolean): Promise<BackendInfo> {
  const spec: BackendSpec = BACKENDS[name];
  await spec.load({ auto });
  if (tf.findBackendFactory(spec.tfName) == null) {
    throw new BackendError(
      `backend '${name}': its package loaded but registered no '${spec.tfName}' backend with this copy of ` +
        `@tensorflow/tfjs (a version mismatch?); install versions matching @tensorflow/tfjs ${tf.version.tfjs}`,
    );
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(spec.tfName);
  } catch (err) {
    throw new BackendError(`backend '${name}': initialisation failed: ${firstLine(err)}`, {
      cause: err,
    });
  }
  if (!ok) {
    throw new BackendError(
      `backend '${name}': tfjs could not initialise it (tf.setBackend('${spec.tfName}') returned false); choose another backend`,
    );
  }
  spec.verify?.();
  spec.registerKernels?.();
  const extra = spec.describe ? await spec.describe() : {};
  return { name, tfBackend: tf.getBackend(), ...extra };
}

async function importNodeBinding(name: string, pkg: string): Promise<void> {
  // A specifier in a variable keeps TypeScript from requiring the (optional, usually absent) types.
  const specifier: string = pkg;
  try {
    await import(specifier);
  } catch (err) {
    if (!resolvable(pkg)) {
      throw new BackendError(`backend '${name}': ${pkg} is not installed; run \`npm install ${pkg}\` or choose another backend`, {
        cause: err,
      });
    }
    // Installed but broken, typically the native libtensorflow download failed at install time.
    throw new BackendError(`backend '${name}': ${pkg} failed to load (${firstLine(err)}); reinstall it with \`npm install ${pkg}\``, {
      cause: err,
    });
  }
}

async function loadWasm(): Promise<void> {
  let wasm: typeof import('@tensorflow/tfjs-backend-wasm');
  try {
    wasm = await import('@tensorflow/tfjs-backend-wasm');
  } catch (err) {
    throw new BackendError(
      `backend 'wasm': @tensorflow/tfjs-backend-wasm failed to load (${firstLine(err)}); run \`npm install @tensorflow/tfjs-backend-wasm\``,
      { cause: err },
    );
  }
  // The package's main file lives in its dist folder next to the .wasm binaries; resolving it from
  // here finds the copy this module uses, whatever the working directory.
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  if (!existsSync(join(dist, 'tfjs-backend-wasm.wasm'))) {
    throw new BackendError(
      `backend 'wasm': @tensorflow/tfjs-backend-wasm has no .wasm binaries in ${dist}; reinstall it with \`npm install @tensorflow/tfjs-backend-wasm\``,
    );
  }
  try {
    wasm.setWasmPaths(dist + '/');
  } catch (err) {
    // tfjs refuses new paths once an initialisation has aborted in this process.
    throw new BackendError(`backend 'wasm': ${firstLine(err)}; restart the process`, { cause: err });
  }
  // ARCHAI_TS_WASM_THREADS=N|auto: XNNPACK threads (off by default: see wasm_threads.ts). Unset,
  // an earlier enableWasmThreads() call of the user's stands.
  if (process.env[WASM_THREADS_ENV]) await enableWasmThreads(wasmThreadsFromEnv());
  // ARCHAI_TS_WASM_FMA: checked (and the kernels' build chosen) before anything runs on them.
  try {
    wasmKernelFlavour();
  } catch (err) {
    throw new BackendError(`backend 'wasm': ${firstLine(err)}`, { cause: err });
  }
}
