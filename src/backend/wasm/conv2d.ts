/**
 * Conv2D and FusedConv2D on the wasm backend by our SIMD kernel (src/backend/wasm/conv.c), with
 * tfjs's XNNPACK kernels kept for everything it does not cover. Ours ran 1.1-1.25x XNNPACK's speed on
 * the ShakeResNet shapes (bench/cpu/RESULTS.md): same register tile, no indirection buffer, and the
 * weights of 8 output channels stay in L1 across a whole output row.
 */
import { tf } from '../../tf.js';
import { covered } from '../kernels/conv_grads.js';
import { hostMemory } from '../host/host_memory.js';
import { wasmKernels } from './kernel_module.js';

type KernelParams = Parameters<tf.KernelFunc>[0];
type Shape4 = [number, number, number, number];

const registered = new Set<string>();

/** Replaces wasm's Conv2D and FusedConv2D (falling back to them where ours does not apply). Idempotent. */
export function registerWasmConv2dKernels(): void {
  for (const kernelName of [tf.Conv2D, tf.FusedConv2D]) {
    if (registered.has(kernelName)) continue;
    const stock = tf.getKernel(kernelName, 'wasm');
    if (stock == null)
      throw new Error(`registerWasmConv2dKernels: the wasm backend has no ${kernelName}; import @tensorflow/tfjs-backend-wasm first`);
    const kernelFunc = ((params: KernelParams) => conv2d(params) ?? stock.kernelFunc(params)) as tf.KernelFunc;
    tf.unregisterKernel(kernelName, 'wasm');
    // The stock config's setupFunc binds its C function, which the fallback needs.
    tf.registerKernel({ ...stock, kernelFunc });
    registered.add(kernelName);
  }
}

function conv2d(params: KernelParams): tf.TensorInfo | null {
  const { x, filter, bias, preluActivationWeights } = params.inputs;
  const attrs = (params.attrs ?? {}) as Record<string, unknown>;
  const activation = (attrs['activation'] as string | undefined) ?? 'linear';
  if (x?.dtype !== 'float32' || filter?.dtype !== 'float32') return null;
  if (preluActivationWeights != null || (activation !== 'linear' && activation !== 'relu')) return null;
  if (!covered(attrs)) return null;
  const [fh, fw, c, k] = filter.shape as Shape4;
  if (k % 8 !== 0) return null;
  if (bias != null && (bias.dtype !== 'float32' || bias.shape.reduce((a, b) => a * b, 1) !== k)) return null;
  const kernels = wasmKernels(params.backend);
  if (kernels == null) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as Shape4,
    filter.shape as Shape4,
    attrs['strides'] as [number, number] | number,
    1,
    attrs['pad'] as tf.Conv2DAttrs['pad'],
    attrs['dimRoundingMode'] as tf.Conv2DAttrs['dimRoundingMode'],
  );
  const memory = hostMemory('wasm', params.backend);
  const y = memory.alloc(info.outShape);
  const zeros = kernels.zeros(c);
  const at = (t: tf.TensorInfo): number => memory.read(t).byteOffset;
  const [n, h, w] = x.shape as Shape4;
  kernels.exports.conv2d(
    at(x),
    at(filter),
    bias == null ? 0 : at(bias),
    at(y),
    zeros,
    n,
    h,
    w,
    c,
    info.outHeight,
    info.outWidth,
    k,
    fh,
    fw,
    info.strideHeight,
    info.strideWidth,
    info.padInfo.top,
    info.padInfo.left,
    activation === 'relu' ? 1 : 0,
  );
  return y;
}
