/**
 * The 'webgpu' backend: Dawn from the npm package `webgpu` (a prebuilt dawn.node) under
 * @tensorflow/tfjs-backend-webgpu, both optional dependencies.
 *
 * Adapters, in order: a hardware one through Vulkan (Metal/D3D12 through Dawn's default elsewhere),
 * then, unless only hardware is wanted, Dawn's OpenGL ES backend on Mesa's llvmpipe: a software
 * adapter that needs `EGL_PLATFORM=surfaceless` and a compatibility-mode adapter request. It is far
 * slower than wasm, so it is for correctness tests on small shapes, never chosen by 'auto'.
 *
 * tfjs-backend-webgpu requests an adapter of its own (a core-mode one, which the OpenGL ES backend
 * does not give), so we create the device ourselves and register the tfjs backend around it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

import { tf } from '../../tf.js';
import { registerConvGradKernels } from '../kernels/conv_grads.js';
import { FILTER_GRAD_ENV, im2colFilterGradRegistered, registerIm2colFilterGrad, registerWebGPUKernelFixes } from './kernels.js';
import { firstLine, resolvable } from '../packages.js';

/** The adapter the webgpu backend runs on. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (llvmpipe, lavapipe, SwiftShader): correct but far slower than wasm. */
  software: boolean;
}

/** Which adapter to accept: 'hardware' only, 'software' only, or 'any' (hardware first). */
export type AdapterChoice = 'hardware' | 'software' | 'any';

/** Env var that overrides the choice of `--backend webgpu`: hardware | software | any. */
export const ADAPTER_ENV = 'ARCHAI_TS_WEBGPU_ADAPTER';

/** The names tfjs gives the backend. */
export const WEBGPU_TF_NAME = 'webgpu';

// Minimal structural types for what we use of WebGPU: the optional packages' own types (and
// @webgpu/types) must not be needed to type-check this package.
interface GPULimitsLike {
  readonly [name: string]: number | unknown;
}
interface GPUAdapterInfoLike {
  readonly vendor?: string;
  readonly architecture?: string;
  readonly device?: string;
  readonly description?: string;
  readonly isFallbackAdapter?: boolean;
}
interface GPUDeviceLike {
  readonly features: ReadonlySet<string>;
  readonly limits: GPULimitsLike;
  readonly lost: Promise<{ reason?: string; message?: string }>;
  destroy(): void;
  addEventListener?(type: 'uncapturederror', listener: (e: { error?: { message?: string } }) => void): void;
}
interface GPUAdapterLike {
  readonly features: ReadonlySet<string>;
  readonly limits: GPULimitsLike;
  readonly info?: GPUAdapterInfoLike;
  readonly isFallbackAdapter?: boolean;
  requestDevice(descriptor?: { requiredFeatures?: string[]; requiredLimits?: Record<string, number> }): Promise<GPUDeviceLike>;
}
interface GPULike {
  requestAdapter(options?: {
    powerPreference?: 'high-performance' | 'low-power';
    featureLevel?: 'core' | 'compatibility';
  }): Promise<GPUAdapterLike | null>;
}
interface WebGPUPackage {
  create(flags: string[]): GPULike;
  globals: object;
}
interface TfjsWebGPUPackage {
  WebGPUBackend: new (device: GPUDeviceLike, adapterInfo?: GPUAdapterInfoLike) => tf.KernelBackend;
}

/** Thrown (as BackendError by the caller's wrapper) with one line: what's missing, how to fix it. */
export class WebGPUUnavailableError extends Error {
  override name = 'WebGPUUnavailableError';
}

interface Active {
  adapter: AdapterDescription;
  device: GPUDeviceLike;
  gpu: GPULike;
  /** Why no hardware adapter was taken, where the software one was. */
  hardwareUnavailable?: string;
  /** The device's limits worth reporting. */
  limits: Record<string, number>;
  timestampQuery: boolean;
  /** Set when the device is lost. */
  lost?: string;
  /** Uncaptured WebGPU errors (validation, out-of-memory) since the device was made. */
  errors: { count: number; first?: string };
  /** How Conv2DBackpropFilter is computed: as a forward conv, or im2col + split-K matmul. */
  filterGrad: 'conv' | 'im2col';
}

let active: Active | undefined;

// tfjs-backend-webgpu's own factory asks for exactly these limits at the adapter's values.
const LIMITS = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  // Not asked for by tfjs (so 8 by default): more lets AddN and Concat bind more inputs at once.
  'maxStorageBuffersPerShaderStage',
] as const;

/** Facts about the running webgpu device (for logs and benchmarks); undefined before loading. */
export function webgpuDeviceInfo():
  | {
      adapter: AdapterDescription;
      limits: Record<string, number>;
      timestampQuery: boolean;
      filterGrad: 'conv' | 'im2col';
      hardwareUnavailable?: string;
    }
  | undefined {
  if (!active) return undefined;
  return {
    adapter: { ...active.adapter },
    filterGrad: active.filterGrad,
    limits: { ...active.limits },
    timestampQuery: active.timestampQuery,
    ...(active.hardwareUnavailable ? { hardwareUnavailable: active.hardwareUnavailable } : {}),
  };
}

/** The choice for `--backend webgpu`, from ARCHAI_TS_WEBGPU_ADAPTER (default 'any'). */
export function adapterChoiceFromEnv(env: NodeJS.ProcessEnv = process.env): AdapterChoice {
  const v = env[ADAPTER_ENV]?.trim();
  if (v == null || v === '') return 'any';
  if (v === 'hardware' || v === 'software' || v === 'any') return v;
  throw new WebGPUUnavailableError(`${ADAPTER_ENV}='${v}' is not one of hardware, software, any`);
}

/**
 * Loads Dawn, picks an adapter, creates a device and registers tfjs's 'webgpu' backend on it.
 * Afterwards `tf.setBackend('webgpu')` succeeds. Idempotent while the adapter already found fits
 * `choice`; throws WebGPUUnavailableError with a one-line reason otherwise.
 */
export async function loadWebGPU(choice: AdapterChoice = 'any'): Promise<AdapterDescription> {
  if (active && active.lost == null) {
    if (choice === 'hardware' && active.adapter.software) {
      throw new WebGPUUnavailableError(
        `only the software adapter (${active.adapter.device}) is in use in this process; no hardware adapter`,
      );
    }
    if (choice === 'software' && !active.adapter.software) {
      throw new WebGPUUnavailableError('a hardware adapter is already in use in this process');
    }
    return { ...active.adapter };
  }
  if (active) await releaseWebGPU();

  const dawn = await importDawn();
  const globals = dawn.globals as Record<string, unknown>;
  for (const [k, v] of Object.entries(globals)) {
    // Node 20 has none of these; a later Node or another WebGPU shim might: keep theirs.
    if (!(k in globalThis)) (globalThis as Record<string, unknown>)[k] = v;
  }

  let found: { gpu: GPULike; adapter: GPUAdapterLike; software: boolean } | undefined;
  let hardwareUnavailable: string | undefined;
  if (choice !== 'software') {
    try {
      found = await findHardwareAdapter(dawn);
    } catch (err) {
      if (!(err instanceof WebGPUUnavailableError)) throw err;
      hardwareUnavailable = err.message;
      if (choice === 'hardware') throw err;
    }
  }
  if (found == null) {
    try {
      found = await findSoftwareAdapter(dawn);
    } catch (err) {
      if (err instanceof WebGPUUnavailableError && hardwareUnavailable) {
        throw new WebGPUUnavailableError(`${hardwareUnavailable}; and ${err.message}`);
      }
      throw err;
    }
  }

  const { gpu, adapter } = found;
  const info = adapter.info ?? {};
  const description: AdapterDescription = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    software: found.software,
  };

  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS) {
    const v = adapter.limits[name];
    if (typeof v === 'number') requiredLimits[name] = v;
  }
  const requiredFeatures = ['timestamp-query'].filter((f) => adapter.features.has(f));
  let device: GPUDeviceLike;
  try {
    device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  } catch (err) {
    throw new WebGPUUnavailableError(`the adapter '${description.device || description.description}' refused a device (${firstLine(err)})`);
  }

  // The navigator.gpu that tfjs-backend-webgpu checks for (at import and in the backend's
  // constructor): Node 20 has no navigator, Node 21+ has one without gpu.
  installNavigatorGpu(gpu);

  const pkg = await importTfjsWebGPU();
  registerWebGPUKernelFixes();
  // Its import registered a factory requesting a core-mode adapter of its own; ours uses the device
  // made above (compatibility mode on the software adapter).
  if (tf.findBackendFactory(WEBGPU_TF_NAME) != null) tf.removeBackend(WEBGPU_TF_NAME);
  const adapterInfo = adapter.info;
  // Priority 0: never tfjs's implicit choice; archai-ts always selects a backend explicitly.
  tf.registerBackend(WEBGPU_TF_NAME, () => new pkg.WebGPUBackend(device, adapterInfo), 0);
  // The conv gradients as forward convs (91 -> 280 img/s training on an H200), then, if asked for,
  // the filter gradient as im2col + split-K matmul on top (the previous one stays as its fallback).
  registerConvGradKernels(WEBGPU_TF_NAME);
  const filterGrad = process.env[FILTER_GRAD_ENV]?.trim() || 'conv';
  if (filterGrad !== 'conv' && filterGrad !== 'im2col') {
    throw new WebGPUUnavailableError(`${FILTER_GRAD_ENV}='${filterGrad}' is not one of conv, im2col`);
  }
  if (filterGrad === 'im2col') registerIm2colFilterGrad();

  const limits: Record<string, number> = {};
  for (const name of LIMITS) {
    const v = device.limits[name];
    if (typeof v === 'number') limits[name] = v;
  }
  active = {
    adapter: description,
    device,
    gpu,
    limits,
    timestampQuery: device.features.has('timestamp-query'),
    errors: { count: 0 },
    filterGrad: im2colFilterGradRegistered() ? 'im2col' : 'conv',
    ...(hardwareUnavailable ? { hardwareUnavailable } : {}),
  };
  const mine = active;
  void device.lost.then((l) => {
    mine.lost = l?.message || l?.reason || 'lost';
  });
  // WebGPU reports an invalid shader or command buffer only here, asynchronously, while the ops
  // that used it return stale or zero data: keep count so callers can fail loudly.
  device.addEventListener?.('uncapturederror', (e) => {
    mine.errors.count += 1;
    mine.errors.first ??= firstLine(e.error?.message ?? 'unknown WebGPU error');
  });
  return { ...description };
}

/**
 * Unregisters tfjs's webgpu backend, destroys the device and drops navigator.gpu, so that nothing
 * of Dawn keeps the process alive. The next loadWebGPU starts afresh.
 */
export async function releaseWebGPU(): Promise<void> {
  if (!active) return;
  const { device, gpu } = active;
  active = undefined;
  if (tf.findBackendFactory(WEBGPU_TF_NAME) != null) {
    // removeBackend disposes an initialised backend; if it was the current one tfjs picks another
    // on next use, so callers switch explicitly first.
    tf.removeBackend(WEBGPU_TF_NAME);
  }
  try {
    device.destroy();
  } catch {
    // already destroyed or lost
  }
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (nav && nav.gpu === gpu) {
    try {
      delete nav.gpu;
    } catch {
      // a non-configurable property: leave it
    }
  }
}

/** Uncaptured WebGPU errors so far on the current device (count 0 before loading). */
export function webgpuErrors(): { count: number; first?: string } {
  return active ? { ...active.errors } : { count: 0 };
}

/**
 * Throws if the device has been lost or has reported an error: results computed since then are
 * not to be trusted. Await a read (`await t.data()`) first, so errors of that work have arrived.
 */
export function assertWebGPUHealthy(): void {
  if (active?.lost != null) {
    throw new Error(`the WebGPU device was lost (${active.lost}); restart the process`);
  }
  if (active && active.errors.count > 0) {
    throw new Error(`WebGPU reported ${active.errors.count} error(s), results are invalid; first: ${active.errors.first}`);
  }
}

async function importDawn(): Promise<WebGPUPackage> {
  const specifier: string = 'webgpu';
  try {
    const mod = (await import(specifier)) as Partial<WebGPUPackage> & { default?: Partial<WebGPUPackage> };
    const create = mod.create ?? mod.default?.create;
    const globals = mod.globals ?? mod.default?.globals;
    if (typeof create !== 'function' || globals == null) throw new Error('it exports no create()/globals');
    return { create, globals };
  } catch (err) {
    if (!resolvable(specifier)) {
      throw new WebGPUUnavailableError('the optional package `webgpu` (Dawn for Node) is not installed; run `npm install webgpu`');
    }
    throw new WebGPUUnavailableError(
      `the package \`webgpu\` failed to load (${firstLine(err)}); it ships dawn.node for linux-x64/arm64, darwin and win32 only: reinstall it with \`npm install webgpu\``,
    );
  }
}

async function importTfjsWebGPU(): Promise<TfjsWebGPUPackage> {
  const specifier: string = '@tensorflow/tfjs-backend-webgpu';
  try {
    const mod = (await import(specifier)) as Partial<TfjsWebGPUPackage> & { default?: Partial<TfjsWebGPUPackage> };
    const WebGPUBackend = mod.WebGPUBackend ?? mod.default?.WebGPUBackend;
    if (typeof WebGPUBackend !== 'function') throw new Error('it exports no WebGPUBackend');
    return { WebGPUBackend };
  } catch (err) {
    if (!resolvable(specifier)) {
      throw new WebGPUUnavailableError(
        `the optional package @tensorflow/tfjs-backend-webgpu is not installed; run \`npm install @tensorflow/tfjs-backend-webgpu@${tf.version.tfjs}\``,
      );
    }
    throw new WebGPUUnavailableError(
      `@tensorflow/tfjs-backend-webgpu failed to load (${firstLine(err)}); install the version matching @tensorflow/tfjs ${tf.version.tfjs}`,
    );
  }
}

/** The Dawn flags for a hardware adapter on this platform. */
function hardwareFlags(): string[] {
  // Full-precision GPU timestamps for kernel profiles (browsers round them to 100 µs).
  const flags = ['disable-dawn-features=timestamp_quantization'];
  if (process.platform === 'linux') flags.push('backend=vulkan');
  return flags; // elsewhere Dawn's default: Metal on macOS, D3D12 on Windows
}

async function findHardwareAdapter(dawn: WebGPUPackage): Promise<{ gpu: GPULike; adapter: GPUAdapterLike; software: boolean }> {
  if (process.platform === 'linux' && !vulkanLoaderPresent()) {
    // Checked first: Dawn prints a warning of its own when it fails to dlopen the loader.
    throw new WebGPUUnavailableError(
      "no hardware adapter: the Vulkan loader libvulkan.so.1 is not installed (Debian/Ubuntu: apt-get install libvulkan1, plus the GPU vendor's Vulkan driver)",
    );
  }
  const gpu = dawn.create(hardwareFlags());
  let adapter: GPUAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (err) {
    throw new WebGPUUnavailableError(`no hardware adapter: requestAdapter failed (${firstLine(err)})`);
  }
  if (adapter == null) {
    throw new WebGPUUnavailableError(
      "no hardware adapter: Dawn found no Vulkan GPU (is the vendor's Vulkan driver/ICD installed? VK_DRIVER_FILES can point at its JSON)",
    );
  }
  if (isSoftware(adapter)) {
    throw new WebGPUUnavailableError(
      `no hardware adapter: Vulkan offers only the software '${adapter.info?.device ?? adapter.info?.description ?? '?'}'`,
    );
  }
  return { gpu, adapter, software: false };
}

async function findSoftwareAdapter(dawn: WebGPUPackage): Promise<{ gpu: GPULike; adapter: GPUAdapterLike; software: boolean }> {
  if (process.platform !== 'linux') {
    throw new WebGPUUnavailableError('no software adapter: it is only set up on Linux (Mesa llvmpipe through EGL)');
  }
  // Mesa's EGL needs a platform without a display server; native code reads the variable when
  // Dawn opens EGL, so setting it here (before create) is enough.
  if (!process.env['EGL_PLATFORM']) process.env['EGL_PLATFORM'] = 'surfaceless';
  const gpu = dawn.create(['backend=opengles']);
  let adapter: GPUAdapterLike | null;
  try {
    adapter = await gpu.requestAdapter({ featureLevel: 'compatibility' });
  } catch (err) {
    throw new WebGPUUnavailableError(`no software adapter: requestAdapter failed (${firstLine(err)})`);
  }
  if (adapter == null) {
    throw new WebGPUUnavailableError(
      "no software adapter: Dawn's OpenGL ES backend found no EGL device (install Mesa: apt-get install libegl-mesa0 libgl1-mesa-dri; EGL_PLATFORM=surfaceless)",
    );
  }
  return { gpu, adapter, software: isSoftware(adapter) };
}

const SOFTWARE_NAMES = /llvmpipe|lavapipe|softpipe|swiftshader|software|basic render/i;

function isSoftware(adapter: GPUAdapterLike): boolean {
  const info = adapter.info ?? {};
  if (info.isFallbackAdapter === true || adapter.isFallbackAdapter === true) return true;
  return [info.vendor, info.architecture, info.device, info.description].some((s) => typeof s === 'string' && SOFTWARE_NAMES.test(s));
}

/** Whether the dynamic loader can find libvulkan.so.1 (ld.so.cache or LD_LIBRARY_PATH). */
export function vulkanLoaderPresent(): boolean {
  const name = 'libvulkan.so.1';
  for (const dir of (process.env['LD_LIBRARY_PATH'] ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return true;
  }
  try {
    // The cache lists every library name as a plain string.
    if (readFileSync('/etc/ld.so.cache').includes(name)) return true;
  } catch {
    // no cache: fall through to the usual directories
  }
  return ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/lib64', '/lib'].some((d) =>
    existsSync(join(d, name)),
  );
}

function installNavigatorGpu(gpu: GPULike): void {
  const g = globalThis as { navigator?: object };
  const nav = g.navigator as { gpu?: unknown } | undefined;
  if (nav == null) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
      enumerable: false,
    });
  } else {
    try {
      Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
    } catch {
      // A frozen navigator: replace it by an object that keeps its prototype (userAgent etc.).
      const replacement = Object.create(nav) as { gpu?: unknown };
      Object.defineProperty(replacement, 'gpu', { value: gpu, configurable: true, writable: true });
      Object.defineProperty(globalThis, 'navigator', { value: replacement, configurable: true, writable: true });
    }
  }
  if ((g.navigator as { gpu?: unknown } | undefined)?.gpu !== gpu) {
    throw new WebGPUUnavailableError('could not install navigator.gpu for tfjs-backend-webgpu');
  }
}
