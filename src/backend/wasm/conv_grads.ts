/**
 * Conv2D's two gradients on the wasm backend by our SIMD kernels (src/backend/wasm/conv.c,
 * conv_filter_grad.c): no transposes, no padded or zero-dilated copies. Each returns null where
 * tfjs's path (the forward-conv rewrite of kernels/conv_grads.ts) is to run instead.
 */
import type { tf } from '../../tf.js';
import { hostMemory } from '../host/host_memory.js';
import { type ConvGeometry, type DirectConvGrads, padInfo } from '../kernels/conv_grads.js';
import { wasmKernels } from './kernel_module.js';

type KernelParams = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];

/** The kernels tile channels by 8 and unroll at most this many taps an axis (conv.c). */
const TILE = 8;
const MAX_TAPS = 16;

const isFloat = (...ts: (tf.TensorInfo | undefined)[]): boolean => ts.every((t) => t?.dtype === 'float32');

/** dW; null for output widths that are not a multiple of 8 (the kernel's scalar edge loop would do most of the work). */
export function wasmFilterGrad(params: KernelParams, filterShape: Shape4, g: ConvGeometry): tf.TensorInfo | null {
  const { x, dy } = params.inputs;
  const [fh, fw, c, k] = filterShape;
  if (!isFloat(x, dy) || k % TILE !== 0) return null;
  const kernels = wasmKernels(params.backend);
  if (kernels == null) return null;
  const [n, h, w] = x!.shape as Shape4;
  const [, oh, ow] = dy!.shape as Shape4;
  const memory = hostMemory('wasm', params.backend);
  // Allocate before taking addresses: an allocation may grow (move) the heap.
  const dw = memory.alloc(filterShape);
  const at = (t: tf.TensorInfo): number => memory.read(t).byteOffset;
  kernels.exports.conv2d_filter_grad(at(x!), at(dy!), at(dw), n, h, w, c, oh, ow, k, fh, fw, g.strideH, g.strideW, g.top, g.left);
  return dw;
}

/** dx; null for input widths that are not a multiple of 8 and filters over 16 taps an axis. */
export function wasmInputGrad(params: KernelParams, inputShape: Shape4, g: ConvGeometry): tf.TensorInfo | null {
  const { dy, filter } = params.inputs;
  const [fh, fw, c, k] = filter!.shape as Shape4;
  if (!isFloat(dy, filter) || c % TILE !== 0 || fh > MAX_TAPS || fw > MAX_TAPS) return null;
  const kernels = wasmKernels(params.backend);
  if (kernels == null) return null;
  const [n, h, w] = inputShape;
  const [, oh, ow] = dy!.shape as Shape4;
  const memory = hostMemory('wasm', params.backend);
  const dx = memory.alloc(inputShape);
  const zeros = kernels.zeros(k);
  // The filter transposed to [fh, fw, k, c].
  const wt = kernels.scratch(fh * fw * c * k * 4);
  const at = (t: tf.TensorInfo): number => memory.read(t).byteOffset;
  kernels.exports.conv2d_transpose_filter(at(filter!), wt, fh, fw, c, k);
  kernels.exports.conv2d_input_grad(at(dy!), wt, at(dx), zeros, n, h, w, c, oh, ow, k, fh, fw, g.strideH, g.strideW, g.top, g.left);
  return dx;
}

/** Both gradients by the kernels above, for registerConvGradKernels('wasm', ...). */
export const wasmConvGrads: DirectConvGrads = {
  filter(params) {
    const attrs = (params.attrs ?? {}) as Record<string, unknown>;
    const x = params.inputs['x'];
    if (x == null) return null;
    const filterShape = attrs['filterShape'] as Shape4;
    return wasmFilterGrad(params, filterShape, padInfo(x.shape as Shape4, filterShape, attrs));
  },
  input(params) {
    const attrs = (params.attrs ?? {}) as Record<string, unknown>;
    const filter = params.inputs['filter'];
    if (filter == null) return null;
    const inputShape = attrs['inputShape'] as Shape4;
    return wasmInputGrad(params, inputShape, padInfo(inputShape, filter.shape as Shape4, attrs));
  },
};
