export {
  BACKEND_NAMES,
  BackendError,
  isBackendName,
  setBackend,
  type BackendInfo,
  type BackendName,
  type SetBackendOptions,
} from './backend.js';
export { registerConvGradKernels } from './conv_grad_kernels.js';
export { enableWasmThreads, wasmThreadsFromEnv, WASM_THREADS_ENV } from './wasm/threads.js';
