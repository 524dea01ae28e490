/**
 * Conv2D gradients rewritten as forward convolutions.
 *
 * The stock tfjs gradient kernels are the training bottleneck on the pure-JS and wasm backends: cpu's
 * Conv2DBackpropFilter runs at ~0.02 GFLOP/s, wasm has no Conv2DBackpropFilter at all and its
 * Conv2DBackpropInput is a plain loop, while every backend's forward Conv2D is its best-tuned kernel
 * (XNNPACK on wasm). Both gradients are exact re-indexings of a forward conv, so we replace the two
 * kernels per backend and let the forward conv do the work (see shared/docs/tfjs-backends.md).
 * A backend with kernels of its own for the gradients (wasm's SIMD kernels, wasm/conv_grads.ts) passes
 * them as `direct`; the rewrite here is their fallback.
 */
import { tf } from '../../tf.js';
import { flipFilter } from '../host/flip_filter_kernel.js';

type Tensor4D = tf.Tensor4D;
type PadAttr = tf.Conv2DBackpropFilterAttrs['pad'];
type RoundingMode = tf.Conv2DBackpropFilterAttrs['dimRoundingMode'];
type KernelParams = Parameters<tf.KernelFunc>[0];

/** Padding and strides of a convolution, as the direct kernels take them. */
export interface ConvGeometry {
  top: number;
  left: number;
  strideH: number;
  strideW: number;
}

/** A kernel working on the backend's memory directly; null where it does not apply. */
export type DirectImpl = (params: KernelParams) => tf.TensorInfo | null;

/** A backend's own kernels for the two gradients, tried before the forward-conv rewrite. */
export interface DirectConvGrads {
  filter: DirectImpl;
  input: DirectImpl;
}

const FILTER = tf.Conv2DBackpropFilter;
const INPUT = tf.Conv2DBackpropInput;

const registered = new Set<string>();

/**
 * Replaces Conv2DBackpropFilter and Conv2DBackpropInput for `backendName` with forward-conv
 * implementations. Idempotent. The backend's package must already be imported (its kernels
 * registered), otherwise importing it later would silently put the stock kernels back.
 */
export function registerConvGradKernels(backendName: string, direct?: DirectConvGrads): void {
  if (registered.has(backendName)) return;
  if (tf.findBackendFactory(backendName) == null) {
    throw new Error(`registerConvGradKernels: backend '${backendName}' is not registered; import its package first`);
  }
  replaceKernel(FILTER, backendName, filterGrad, direct?.filter);
  replaceKernel(INPUT, backendName, inputGrad, direct?.input);
  registered.add(backendName);
}

type GradImpl = (inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>) => tf.Tensor;

function replaceKernel(kernelName: string, backendName: string, impl: GradImpl, direct?: DirectImpl): void {
  const stock = tf.getKernel(kernelName, backendName) as tf.KernelConfig | undefined;
  const kernelFunc = (params: KernelParams): tf.TensorInfo => {
    const attrs = (params.attrs ?? {}) as Record<string, unknown>;
    if (!covered(attrs)) {
      if (stock == null) {
        throw new Error(
          `${kernelName} on backend '${backendName}': only NHWC without dilation is implemented ` +
            `(got dataFormat ${String(attrs['dataFormat'])}) and the backend has no kernel of its own`,
        );
      }
      return stock.kernelFunc(params) as tf.TensorInfo;
    }
    const result = direct?.(params);
    if (result != null) return result;
    const backend = params.backend as tf.KernelBackend;
    const out: tf.Tensor = tf.tidy(() => {
      const inputs: Record<string, tf.Tensor> = {};
      for (const [name, info] of Object.entries(params.inputs)) {
        if (info == null) continue;
        // The wrapper is disposed when this tidy ends; the extra reference stops that disposal
        // from freeing the caller's data.
        backend.incRef(info.dataId);
        inputs[name] = tf.engine().makeTensorFromTensorInfo(info, backend);
      }
      return impl(inputs, attrs);
    });
    // The engine wraps the returned TensorInfo in a tensor of its own without taking a reference,
    // so hand our reference over to it and drop our tensor: numTensors and the backend's data
    // count then change exactly as for a native kernel.
    backend.incRef(out.dataId);
    out.dispose();
    return { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  };
  if (stock != null) tf.unregisterKernel(kernelName, backendName);
  // Spread the stock config so its setupFunc/disposeFunc still run: the fallback path needs them
  // (wasm's kernels bind their C functions in setupFunc).
  tf.registerKernel({ ...(stock ?? {}), kernelName, backendName, kernelFunc });
}

/** NHWC (or unspecified) and no dilation: what the replacement conv kernels handle. */
export function covered(attrs: Record<string, unknown>): boolean {
  if (attrs['dataFormat'] != null && attrs['dataFormat'] !== 'NHWC') return false;
  // Gradient kernels get no dilations today (tfjs refuses conv2d gradients with dilation); guard
  // anyway in case a caller passes them through.
  const d = attrs['dilations'];
  if (d != null && !(Array.isArray(d) ? d.every((v) => v === 1) : d === 1)) return false;
  return true;
}

/** The geometry tfjs computes for these shapes and attributes. */
export function padInfo(
  inShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  attrs: Record<string, unknown>,
): ConvGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    inShape,
    filterShape,
    attrs['strides'] as [number, number] | number,
    1,
    attrs['pad'] as PadAttr,
    attrs['dimRoundingMode'] as RoundingMode,
    false,
    'channelsLast',
  );
  return {
    top: info.padInfo.top,
    left: info.padInfo.left,
    strideH: info.strideHeight,
    strideW: info.strideWidth,
  };
}

/**
 * Pads (positive) or crops (negative) the two spatial axes of an NHWC tensor. Crops are needed where
 * explicit/ceil-rounded padding leaves rows no output position reads, or more rows than needed.
 */
function padOrCrop(t: Tensor4D, top: number, bottom: number, left: number, right: number): Tensor4D {
  const [n, h, w, c] = t.shape;
  const cropTop = Math.max(0, -top);
  const cropBottom = Math.max(0, -bottom);
  const cropLeft = Math.max(0, -left);
  const cropRight = Math.max(0, -right);
  let r = t;
  if (cropTop + cropBottom + cropLeft + cropRight > 0) {
    r = tf.slice(r, [0, cropTop, cropLeft, 0], [n, h - cropTop - cropBottom, w - cropLeft - cropRight, c]);
  }
  const p = [Math.max(0, top), Math.max(0, bottom), Math.max(0, left), Math.max(0, right)];
  if (p.some((v) => v > 0)) {
    r = tf.pad(r, [
      [0, 0],
      [p[0]!, p[1]!],
      [p[2]!, p[3]!],
      [0, 0],
    ]);
  }
  return r;
}

/**
 * dW[i,j,ci,co] = sum_{n,oh,ow} xpad[n, oh*sh+i, ow*sw+j, ci] * dy[n,oh,ow,co]: a stride-1 conv with
 * Cin as the batch, N as the contracted channel axis and dy as a filter dilated by the stride.
 */
function filterGrad(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const x = inputs['x'] as Tensor4D;
  const dy = inputs['dy'] as Tensor4D;
  const filterShape = attrs['filterShape'] as [number, number, number, number];
  const [fh, fw] = filterShape;
  const [, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  const { top, left, strideH, strideW } = padInfo(x.shape, filterShape, attrs);
  // Exactly the rows/cols the last output position reaches, so the conv yields [Cin,FH,FW,Cout]
  // with no trailing slice and no wasted work on rows no output reads.
  const needH = (oh - 1) * strideH + fh;
  const needW = (ow - 1) * strideW + fw;
  const xp = padOrCrop(x, top, needH - h - top, left, needW - w - left);
  const xt = tf.transpose(xp, [3, 1, 2, 0]);
  const dyt = tf.transpose(dy, [1, 2, 0, 3]);
  const dw = tf.conv2d(xt, dyt, 1, 'valid', 'NHWC', [strideH, strideW]);
  return tf.transpose(dw, [1, 2, 0, 3]);
}

/**
 * dx[n,h,w,ci] = sum dy[n,oh,ow,co] * W[i,j,ci,co] over oh*sh+i-top = h: dy zero-dilated by the
 * stride, padded so that a full correlation lines up, convolved with the spatially flipped filter
 * whose in/out channel axes are swapped.
 */
function inputGrad(inputs: Record<string, tf.Tensor>, attrs: Record<string, unknown>): tf.Tensor {
  const dy = inputs['dy'] as Tensor4D;
  const filter = inputs['filter'] as Tensor4D;
  const inputShape = attrs['inputShape'] as [number, number, number, number];
  const [, h, w] = inputShape;
  const [fh, fw] = filter.shape;
  const [n, oh, ow, cout] = dy.shape;
  const { top, left, strideH, strideW } = padInfo(inputShape, filter.shape, attrs);
  let d: Tensor4D = dy;
  if (strideH > 1 || strideW > 1) {
    // Interleave zeros with one pad on a 6-D view: cheaper than a scatter and has a kernel everywhere.
    const six = tf.reshape(dy, [n, oh, 1, ow, 1, cout]);
    const padded = tf.pad(six, [
      [0, 0],
      [0, 0],
      [0, strideH - 1],
      [0, 0],
      [0, strideW - 1],
      [0, 0],
    ]);
    d = tf.reshape(padded, [n, oh * strideH, ow * strideW, cout]);
  }
  const dp = padOrCrop(d, fh - 1 - top, h + top - oh * strideH, fw - 1 - left, w + left - ow * strideW);
  return tf.conv2d(dp, flipFilter(filter), 1, 'valid');
}
