/**
 * The backends' names: what configs, flags and setBackend accept. No tfjs here, so that checking a
 * name costs nothing. 'auto' tries the others in this order (backend.ts has one entry for each).
 */
export const BACKEND_NAMES = ['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;

export type BackendName = (typeof BACKEND_NAMES)[number];

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** The CPU backends: the ones whose tensors live in this process's memory (host kernels, replicas). */
export const HOST_BACKENDS = ['wasm', 'cpu'] as const;

export function isHostBackend(name: string): boolean {
  return (HOST_BACKENDS as readonly string[]).includes(name);
}
