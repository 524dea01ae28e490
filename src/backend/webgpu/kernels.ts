/**
 * Fixes for kernels of @tensorflow/tfjs-backend-webgpu 4.22 that the training step needs.
 *
 * PadV2 of rank 5 or 6: tfjs builds `vec5(...)`/`vec6(...)` there, which are structs in its WGSL
 * prelude, then indexes and compares them as vectors; the shader does not compile, the pipeline
 * is invalid, and (WebGPU errors being asynchronous) every dispatch of that command buffer is
 * dropped while the ops still "succeed" with stale or zero outputs. The conv input gradient pads a
 * rank-6 view to interleave zeros for strided convs, so on webgpu every stride-2 layer's gradient
 * was garbage. We collapse each unpadded axis into the axis before it, which keeps row-major order
 * (padding [p0, p1] on an axis followed by an unpadded block of c elements is padding
 * [p0*c, p1*c] on the merged axis), so any pad with at most 4 padded axes runs at rank ≤ 4.
 */
import { tf } from '../../tf.js';

type KernelParams = Parameters<tf.KernelFunc>[0];

const BACKEND = 'webgpu';
let registered = false;

/** Replaces webgpu's PadV2 and AddN with the fixed ones. Idempotent. */
export function registerWebGPUKernelFixes(): void {
  if (registered) return;
  fixPad();
  fixAddN();
  registered = true;
}

function fixPad(): void {
  const stock = tf.getKernel(tf.PadV2, BACKEND) as tf.KernelConfig | undefined;
  if (stock == null) throw new Error('registerWebGPUKernelFixes: webgpu has no PadV2 kernel; import tfjs-backend-webgpu first');
  const kernelFunc = (params: KernelParams): tf.TensorInfo => {
    const attrs = params.attrs as unknown as { paddings: Array<[number, number]>; constantValue: number };
    const x = params.inputs['x'] as tf.TensorInfo;
    if (x.shape.length <= 4) return stock.kernelFunc(params) as tf.TensorInfo;
    const reduced = collapsePaddings(x.shape, attrs.paddings);
    if (reduced == null) return stock.kernelFunc(params) as tf.TensorInfo;
    const backend = params.backend as tf.KernelBackend;
    const outShape = x.shape.map((d, i) => d + attrs.paddings[i]![0] + attrs.paddings[i]![1]);
    const out = tf.tidy(() => {
      backend.incRef(x.dataId);
      const t = tf.engine().makeTensorFromTensorInfo(x, backend);
      const padded = tf.pad(tf.reshape(t, reduced.shape), reduced.paddings, attrs.constantValue);
      return tf.reshape(padded, outShape);
    });
    backend.incRef(out.dataId);
    out.dispose();
    return { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  };
  tf.unregisterKernel(tf.PadV2, BACKEND);
  tf.registerKernel({ ...stock, kernelName: tf.PadV2, backendName: BACKEND, kernelFunc });
}

interface WebGPUBackendLike {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): void;
}

function fixAddN(): void {
  const stock = tf.getKernel(tf.AddN, BACKEND) as tf.KernelConfig | undefined;
  if (stock == null) throw new Error('registerWebGPUKernelFixes: webgpu has no AddN kernel; import tfjs-backend-webgpu first');
  const sum = (params: KernelParams, inputs: tf.TensorInfo[]): tf.TensorInfo => {
    const backend = params.backend as unknown as WebGPUBackendLike;
    // One storage buffer is the output.
    const max = Math.max(2, backend.device.limits.maxStorageBuffersPerShaderStage - 1);
    if (inputs.length <= max) {
      return stock.kernelFunc({ ...params, inputs: inputs as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
    }
    const partial: tf.TensorInfo[] = [];
    for (let i = 0; i < inputs.length; i += max) partial.push(sum(params, inputs.slice(i, i + max)));
    const out = sum(params, partial);
    for (const p of partial) backend.disposeData(p.dataId);
    return out;
  };
  const kernelFunc = (params: KernelParams): tf.TensorInfo => sum(params, Array.from(params.inputs as unknown as ArrayLike<tf.TensorInfo>));
  tf.unregisterKernel(tf.AddN, BACKEND);
  tf.registerKernel({ ...stock, kernelName: tf.AddN, backendName: BACKEND, kernelFunc });
}

/**
 * An equivalent pad of rank ≤ 4: each unpadded axis is merged into the axis before it (scaling that
 * axis's padding by its size). Undefined when more than 4 axes stay.
 */
export function collapsePaddings(
  shape: readonly number[],
  paddings: ReadonlyArray<readonly [number, number]>,
): { shape: number[]; paddings: Array<[number, number]> } | undefined {
  const outShape: number[] = [];
  const outPad: Array<[number, number]> = [];
  for (let i = 0; i < shape.length; i++) {
    const [before, after] = paddings[i]!;
    const d = shape[i]!;
    if (i > 0 && before === 0 && after === 0) {
      const last = outShape.length - 1;
      outShape[last] = outShape[last]! * d;
      outPad[last] = [outPad[last]![0] * d, outPad[last]![1] * d];
    } else {
      outShape.push(d);
      outPad.push([before, after]);
    }
  }
  return outShape.length <= 4 ? { shape: outShape, paddings: outPad } : undefined;
}

/** Env var choosing webgpu's Conv2DBackpropFilter: 'conv' (default) or 'im2col'. */
export const FILTER_GRAD_ENV = 'ARCHAI_TS_WEBGPU_FILTER_GRAD';

let im2colRegistered = false;

/** Whether webgpu's Conv2DBackpropFilter is the im2col one (for the rest of the process). */
export function im2colFilterGradRegistered(): boolean {
  return im2colRegistered;
}

/**
 * Replaces webgpu's Conv2DBackpropFilter (archai-ts's forward-conv one, registered before) with
 * im2col + a split-K batched matmul: dW = patches(x)^T · dy, with K = N·OH·OW split into S chunks
 * summed at the end. The forward-conv formulation gives the GPU a conv with a 3x3 output and a
 * K of N·OH·OW (131072 for a 32x32 stage at batch 128), i.e. few workgroups each running a very
 * long loop; splitting K gives S times more. Costs a patches tensor of FH·FW times the input.
 * Falls back to the previous kernel for NCHW, dilation, or patches over half the buffer limit.
 */
export function registerIm2colFilterGrad(): void {
  if (im2colRegistered) return;
  const previous = tf.getKernel(tf.Conv2DBackpropFilter, BACKEND) as tf.KernelConfig | undefined;
  if (previous == null) throw new Error('registerIm2colFilterGrad: webgpu has no Conv2DBackpropFilter kernel');
  const kernelFunc = (params: KernelParams): tf.TensorInfo => {
    const attrs = params.attrs as unknown as {
      strides: [number, number] | number;
      pad: tf.Conv2DBackpropFilterAttrs['pad'];
      dataFormat?: string;
      dimRoundingMode?: tf.Conv2DBackpropFilterAttrs['dimRoundingMode'];
      filterShape: [number, number, number, number];
    };
    const x = params.inputs['x'] as tf.TensorInfo;
    const dy = params.inputs['dy'] as tf.TensorInfo;
    const backend = params.backend as unknown as tf.KernelBackend & {
      device?: { limits: { maxStorageBufferBindingSize: number } };
    };
    const [fh, fw, cin] = attrs.filterShape;
    const patchBytes = dy.shape[0]! * dy.shape[1]! * dy.shape[2]! * fh * fw * cin * 4;
    const limit = backend.device?.limits.maxStorageBufferBindingSize ?? 2 ** 27;
    if ((attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') || patchBytes > limit / 2) {
      return previous.kernelFunc(params) as tf.TensorInfo;
    }
    const out = tf.tidy(() => {
      backend.incRef(x.dataId);
      backend.incRef(dy.dataId);
      const xt = tf.engine().makeTensorFromTensorInfo(x, backend) as tf.Tensor4D;
      const dyt = tf.engine().makeTensorFromTensorInfo(dy, backend) as tf.Tensor4D;
      return im2colFilterGrad(xt, dyt, attrs);
    });
    backend.incRef(out.dataId);
    out.dispose();
    return { dataId: out.dataId, shape: out.shape, dtype: out.dtype };
  };
  tf.unregisterKernel(tf.Conv2DBackpropFilter, BACKEND);
  tf.registerKernel({ ...previous, kernelName: tf.Conv2DBackpropFilter, backendName: BACKEND, kernelFunc });
  im2colRegistered = true;
}

/** How many chunks to split a reduction of length k into, for an output of `tiles` 32x32 tiles. */
export function splitK(k: number, tiles: number): number {
  // Aim for about 2048 workgroup tiles in flight and chunks of at least 512; S must divide k.
  let s = Math.max(1, Math.min(Math.floor(k / 512), Math.floor(2048 / Math.max(1, tiles))));
  while (s > 1 && k % s !== 0) s -= 1;
  return s;
}

function im2colFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  attrs: {
    strides: [number, number] | number;
    pad: tf.Conv2DBackpropFilterAttrs['pad'];
    dimRoundingMode?: tf.Conv2DBackpropFilterAttrs['dimRoundingMode'];
    filterShape: [number, number, number, number];
  },
): tf.Tensor {
  const [fh, fw, cin, cout] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape,
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const { top, left } = info.padInfo;
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  const [n, h, w] = x.shape;
  const [, oh, ow] = dy.shape;
  // Rows/cols the last output position reaches: pad (or crop) x to exactly that.
  const needH = (oh - 1) * sh + fh;
  const needW = (ow - 1) * sw + fw;
  const bottom = needH - h - top;
  const right = needW - w - left;
  let xp: tf.Tensor4D = x;
  const crop = [Math.max(0, -top), Math.max(0, -bottom), Math.max(0, -left), Math.max(0, -right)] as const;
  if (crop.some((v) => v > 0)) {
    xp = tf.slice(xp, [0, crop[0], crop[2], 0], [n, h - crop[0] - crop[1], w - crop[2] - crop[3], cin]);
  }
  const padding = [Math.max(0, top), Math.max(0, bottom), Math.max(0, left), Math.max(0, right)] as const;
  if (padding.some((v) => v > 0)) {
    xp = tf.pad(xp, [
      [0, 0],
      [padding[0], padding[1]],
      [padding[2], padding[3]],
      [0, 0],
    ]);
  }
  const cols: tf.Tensor4D[] = [];
  for (let i = 0; i < fh; i++) {
    for (let j = 0; j < fw; j++) {
      cols.push(
        sh === 1 && sw === 1
          ? tf.slice(xp, [0, i, j, 0], [n, oh, ow, cin])
          : (tf.stridedSlice(xp, [0, i, j, 0], [n, i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1, cin], [1, sh, sw, 1]) as tf.Tensor4D),
      );
    }
  }
  const m = fh * fw * cin;
  const k = n * oh * ow;
  const patches = cols.length === 1 ? cols[0]! : tf.concat(cols, 3);
  const s = splitK(k, Math.ceil(m / 32) * Math.ceil(cout / 32));
  let dw: tf.Tensor;
  if (s === 1) {
    dw = tf.matMul(tf.reshape(patches, [k, m]) as tf.Tensor2D, tf.reshape(dy, [k, cout]) as tf.Tensor2D, true, false);
  } else {
    const a = tf.reshape(patches, [s, k / s, m]) as tf.Tensor3D;
    const b = tf.reshape(dy, [s, k / s, cout]) as tf.Tensor3D;
    dw = tf.sum(tf.matMul(a, b, true, false), 0);
  }
  return tf.reshape(dw, [fh, fw, cin, cout]);
}
