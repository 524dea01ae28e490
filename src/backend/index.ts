export { BackendError, setBackend, type BackendInfo, type SetBackendOptions } from './backend.js';
export { BACKEND_NAMES, HOST_BACKENDS, isBackendName, isHostBackend, type BackendName } from './names.js';
export { registerConvGradKernels } from './kernels/conv_grads.js';
export { enableWasmThreads, wasmThreadsFromEnv, WASM_THREADS_ENV } from './wasm/threads.js';
