/**
 * archai-ts's own kernels for each CPU backend, registered once the backend is initialised: they
 * replace slow or wrong stock ones. Shared by Node's setBackend and the browser's.
 */
import { registerBatchNormKernels } from './host/batchnorm_kernels.js';
import { registerFlipFilterKernel } from './host/flip_filter_kernel.js';
import { registerConvGradKernels } from './kernels/conv_grads.js';
import { wasmBatchNormLoops } from './wasm/batchnorm_loops.js';
import { registerWasmConv2dKernels } from './wasm/conv2d.js';
import { wasmConvGrads } from './wasm/conv_grads.js';
import { registerWasmIdentityKernel } from './wasm/identity_kernel.js';

export function registerWasmKernels(): void {
  registerConvGradKernels('wasm', wasmConvGrads);
  registerBatchNormKernels('wasm', wasmBatchNormLoops);
  registerFlipFilterKernel('wasm');
  registerWasmConv2dKernels();
  registerWasmIdentityKernel();
}

export function registerCpuKernels(): void {
  registerConvGradKernels('cpu');
  registerBatchNormKernels('cpu');
  registerFlipFilterKernel('cpu');
}
