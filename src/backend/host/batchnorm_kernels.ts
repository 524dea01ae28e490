/**
 * BatchNorm in training mode as two kernels of our own on the CPU backends: the forward pass
 * (batch statistics and the normalised output) and its closed-form gradient, each a few passes of
 * plain loops over the NHWC data seen as [M, C], accumulating in float64.
 *
 * The tfjs formulation (moments, batchNorm, then Sub/Mul/Sum for the gradient) costs about 47 ms a
 * layer for a [16, 32, 32, 32] activation on wasm, through generic elementwise loops and
 * transposing reductions; these kernels run the same maths in a few ms (bench/cpu/RESULTS.md).
 * On other backends nn/batchnorm2d.ts keeps the tf-op formulation.
 */
import { tf } from '../../tf.js';
import type { Collective } from '../../parallel/collective.js';
import { HOST_BACKENDS, hostMemory } from './host_memory.js';
import { wasmBatchNormLoops } from '../wasm/batchnorm_loops.js';

/** Inputs x [.., C], gamma [C], beta [C]; attr eps. Outputs y, mean [C], variance [C] (biased), invStd [C], unbiased variance [C]. */
export const BN_TRAIN = 'ArchaiBatchNormTrain';
/** Inputs dy, x, mean, invStd, gamma. Outputs dx, dGamma, dBeta. */
export const BN_TRAIN_GRAD = 'ArchaiBatchNormTrainGrad';

type KernelArgs = Parameters<tf.KernelFunc>[0];

// The loops walk one group of 4 channels at a time down the M rows, with the group's sums in local
// variables: independent accumulators run about 3x faster in V8 than one Float64Array slot updated
// per element. C need not be a multiple of 4: the last group's missing lanes are clamped to channel
// C - 1, so they recompute (and rewrite) that channel's values exactly.

/** The kernels' three passes over the data; JavaScript loops below, SIMD ones on wasm (wasm_batchnorm_loops.ts). */
export interface BatchNormLoops {
  /** Per channel: s = Σ(x − shift), q = Σ(x − shift)². */
  shiftedSums(xs: Float32Array, c: number, shift: ArrayLike<number>): [Float64Array, Float64Array];
  /** Per channel: Σdy and Σdy·(x − μ). */
  gradSums(dys: Float32Array, xs: Float32Array, mu: ArrayLike<number>, c: number): [Float64Array, Float64Array];
  /** out = a·u + b·(v − μ) + e per channel (v and its terms optional). */
  affine(
    out: Float32Array,
    u: Float32Array,
    a: Float64Array,
    e: Float64Array,
    c: number,
    v?: Float32Array,
    b?: Float64Array,
    mu?: ArrayLike<number>,
  ): void;
}

/** Per channel: s = Σ(x − shift), q = Σ(x − shift)². */
function shiftedSums(xs: Float32Array, c: number, shift: ArrayLike<number>): [Float64Array, Float64Array] {
  const s = new Float64Array(c);
  const q = new Float64Array(c);
  const n = xs.length;
  const last = c - 1;
  for (let k = 0; k < c; k += 4) {
    const k1 = Math.min(k + 1, last);
    const k2 = Math.min(k + 2, last);
    const k3 = Math.min(k + 3, last);
    const K0 = shift[k]!,
      K1 = shift[k1]!,
      K2 = shift[k2]!,
      K3 = shift[k3]!;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      q0 = 0,
      q1 = 0,
      q2 = 0,
      q3 = 0;
    for (let i = 0; i < n; i += c) {
      const d0 = xs[i + k]! - K0;
      const d1 = xs[i + k1]! - K1;
      const d2 = xs[i + k2]! - K2;
      const d3 = xs[i + k3]! - K3;
      s0 += d0;
      s1 += d1;
      s2 += d2;
      s3 += d3;
      q0 += d0 * d0;
      q1 += d1 * d1;
      q2 += d2 * d2;
      q3 += d3 * d3;
    }
    s[k3] = s3;
    s[k2] = s2;
    s[k1] = s1;
    s[k] = s0;
    q[k3] = q3;
    q[k2] = q2;
    q[k1] = q1;
    q[k] = q0;
  }
  return [s, q];
}

/** Per channel: Σdy and Σdy·(x − μ). */
function gradSums(dys: Float32Array, xs: Float32Array, mu: ArrayLike<number>, c: number): [Float64Array, Float64Array] {
  const sdy = new Float64Array(c);
  const sdyx = new Float64Array(c);
  const n = xs.length;
  const last = c - 1;
  for (let k = 0; k < c; k += 4) {
    const k1 = Math.min(k + 1, last);
    const k2 = Math.min(k + 2, last);
    const k3 = Math.min(k + 3, last);
    const m0 = mu[k]!,
      m1 = mu[k1]!,
      m2 = mu[k2]!,
      m3 = mu[k3]!;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      p0 = 0,
      p1 = 0,
      p2 = 0,
      p3 = 0;
    for (let i = 0; i < n; i += c) {
      const d0 = dys[i + k]!,
        d1 = dys[i + k1]!,
        d2 = dys[i + k2]!,
        d3 = dys[i + k3]!;
      s0 += d0;
      s1 += d1;
      s2 += d2;
      s3 += d3;
      p0 += d0 * (xs[i + k]! - m0);
      p1 += d1 * (xs[i + k1]! - m1);
      p2 += d2 * (xs[i + k2]! - m2);
      p3 += d3 * (xs[i + k3]! - m3);
    }
    sdy[k3] = s3;
    sdy[k2] = s2;
    sdy[k1] = s1;
    sdy[k] = s0;
    sdyx[k3] = p3;
    sdyx[k2] = p2;
    sdyx[k1] = p1;
    sdyx[k] = p0;
  }
  return [sdy, sdyx];
}

/** out = a·u + b·(v − μ) + e per channel (v and its terms optional). */
function affine(
  out: Float32Array,
  u: Float32Array,
  a: Float64Array,
  e: Float64Array,
  c: number,
  v?: Float32Array,
  b?: Float64Array,
  mu?: ArrayLike<number>,
): void {
  const n = out.length;
  const last = c - 1;
  for (let k = 0; k < c; k += 4) {
    const k1 = Math.min(k + 1, last);
    const k2 = Math.min(k + 2, last);
    const k3 = Math.min(k + 3, last);
    const a0 = a[k]!,
      a1 = a[k1]!,
      a2 = a[k2]!,
      a3 = a[k3]!;
    const e0 = e[k]!,
      e1 = e[k1]!,
      e2 = e[k2]!,
      e3 = e[k3]!;
    if (v && b && mu) {
      const b0 = b[k]!,
        b1 = b[k1]!,
        b2 = b[k2]!,
        b3 = b[k3]!;
      const m0 = mu[k]!,
        m1 = mu[k1]!,
        m2 = mu[k2]!,
        m3 = mu[k3]!;
      for (let i = 0; i < n; i += c) {
        out[i + k3] = a3 * u[i + k3]! + b3 * (v[i + k3]! - m3) + e3;
        out[i + k2] = a2 * u[i + k2]! + b2 * (v[i + k2]! - m2) + e2;
        out[i + k1] = a1 * u[i + k1]! + b1 * (v[i + k1]! - m1) + e1;
        out[i + k] = a0 * u[i + k]! + b0 * (v[i + k]! - m0) + e0;
      }
    } else {
      for (let i = 0; i < n; i += c) {
        out[i + k3] = u[i + k3]! * a3 + e3;
        out[i + k2] = u[i + k2]! * a2 + e2;
        out[i + k1] = u[i + k1]! * a1 + e1;
        out[i + k] = u[i + k]! * a0 + e0;
      }
    }
  }
}

const jsLoops: BatchNormLoops = { shiftedSums, gradSums, affine };

/** The loops for this backend; call before taking views of tensors (the wasm ones may reserve heap). */
function loopsFor(backendName: string, backend: unknown, c: number): BatchNormLoops {
  return (backendName === 'wasm' ? wasmBatchNormLoops(backend as object, c) : null) ?? jsLoops;
}

/** Sums over every replica of a data-parallel step (synchronised BatchNorm), or null: this thread's batch only. */
let sync: Collective | null = null;

/**
 * Runs fn with training-mode BatchNorm statistics taken over the rows of every participant of
 * `collective`, as one batch would have them (synchronised BatchNorm). Each participant must run
 * the same layers in the same order.
 */
export function withSyncBatchNorm<T>(collective: Collective | null, fn: () => T): T {
  const previous = sync;
  sync = collective;
  try {
    return fn();
  } finally {
    sync = previous;
  }
}

function forward(backendName: string, { inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const mem = hostMemory(backendName, backend);
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const eps = (attrs as { eps: number }).eps;
  const c = gamma!.shape[0]!;
  const outs = [mem.alloc([...x!.shape]), mem.alloc([c]), mem.alloc([c]), mem.alloc([c]), mem.alloc([c])];
  const { shiftedSums, affine } = loopsFor(backendName, backend, c);
  const [y, mean, variance, invStd, unbiased] = outs.map((o) => mem.read(o)) as [
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  const xs = mem.read(x!);
  const g = mem.read(gamma!);
  const b = mem.read(beta!);
  const local = xs.length / c;
  let m = local;
  const mu = new Float64Array(c);
  let q: Float64Array;
  if (sync) {
    // Two exchanges: the mean over every replica's rows, then the centred squares around it.
    const [s] = shiftedSums(xs, c, new Float64Array(c));
    const total = sync.allReduce([...s, local]);
    m = total[c]!;
    for (let k = 0; k < c; k++) mu[k] = total[k]! / m;
    q = sync.allReduce(shiftedSums(xs, c, mu)[1]);
  } else {
    // Sums of x − K with K the first row's value (the shifted-data algorithm): one pass, and no
    // cancellation as in E[x²] − E[x]² when the mean is far from 0.
    const shift = xs.subarray(0, c);
    const [s, q0] = shiftedSums(xs, c, shift);
    q = q0;
    for (let k = 0; k < c; k++) {
      mu[k] = shift[k]! + s[k]! / m;
      q[k] = q0[k]! - (s[k]! * s[k]!) / m;
    }
  }
  const scale = new Float64Array(c);
  const shiftOut = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const v = Math.max(0, q[k]! / m);
    const inv = 1 / Math.sqrt(v + eps);
    mean[k] = mu[k]!;
    variance[k] = v;
    // The running variance takes the unbiased one, over the whole batch's count (every replica's).
    unbiased[k] = m > 1 ? (v * m) / (m - 1) : v;
    invStd[k] = inv;
    scale[k] = g[k]! * inv;
    shiftOut[k] = b[k]! - mu[k]! * scale[k]!;
  }
  affine(y, xs, scale, shiftOut, c);
  return outs;
}

function backward(backendName: string, { inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const mem = hostMemory(backendName, backend);
  const { dy, x, mean, invStd, gamma } = inputs as Record<string, tf.TensorInfo>;
  const c = gamma!.shape[0]!;
  const outs = [mem.alloc([...x!.shape]), mem.alloc([c]), mem.alloc([c])];
  const { gradSums, affine } = loopsFor(backendName, backend, c);
  const [dx, dGamma, dBeta] = outs.map((o) => mem.read(o)) as [Float32Array, Float32Array, Float32Array];
  const dys = mem.read(dy!);
  const xs = mem.read(x!);
  const mu = mem.read(mean!);
  const inv = mem.read(invStd!);
  const g = mem.read(gamma!);
  const local = xs.length / c;
  let m = local;
  // This thread's parameter gradients are its own rows' sums (the replicas' gradients are added up
  // afterwards); dx needs the whole batch's.
  const [localSdy, localSdyx] = gradSums(dys, xs, mu, c);
  for (let k = 0; k < c; k++) {
    dGamma[k] = localSdyx[k]! * inv[k]!;
    dBeta[k] = localSdy[k]!;
  }
  let sdy = localSdy;
  let sdyx = localSdyx;
  if (sync) {
    const total = sync.allReduce([...sdy, ...sdyx, local]);
    sdy = total.subarray(0, c);
    sdyx = total.subarray(c, 2 * c);
    m = total[2 * c]!;
  }
  // dx = γ·inv·(dy − dβ/M − x̂·dγ/M) = a·dy + b·(x − μ) + e per channel, with the sums over the
  // whole batch (every replica's rows when synchronised).
  const a = new Float64Array(c);
  const bb = new Float64Array(c);
  const e = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const gi = g[k]! * inv[k]!;
    const dg = sdyx[k]! * inv[k]!;
    a[k] = gi;
    bb[k] = (-gi * inv[k]! * dg) / m;
    e[k] = (-gi * sdy[k]!) / m;
  }
  affine(dx, dys, a, e, c, xs, bb, mu);
  return outs;
}

const registered = new Set<string>();

/** Registers both kernels for `backendName` (wasm or cpu). Idempotent. */
export function registerBatchNormKernels(backendName: string): void {
  if (registered.has(backendName)) return;
  if (!(HOST_BACKENDS as readonly string[]).includes(backendName))
    throw new Error(`BatchNorm host kernels run on wasm and cpu, not '${backendName}'`);
  tf.registerKernel({ kernelName: BN_TRAIN, backendName, kernelFunc: ((args: KernelArgs) => forward(backendName, args)) as tf.KernelFunc });
  tf.registerKernel({
    kernelName: BN_TRAIN_GRAD,
    backendName,
    kernelFunc: ((args: KernelArgs) => backward(backendName, args)) as tf.KernelFunc,
  });
  registered.add(backendName);
}

/** Whether the active backend has the kernels. */
export function hasBatchNormKernels(): boolean {
  return tf.getKernel(BN_TRAIN, tf.getBackend()) != null;
}

/**
 * Training-mode BatchNorm of x [.., C] through the kernels, differentiable in x, gamma and beta.
 * Returns the output and the batch mean and variance (biased, and unbiased for the running
 * statistics); the caller disposes those three (they are kept out of any tidy).
 */
export function batchNormTrainHost(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor; unbiased: tf.Tensor } {
  let stats: tf.Tensor[] = [];
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xt, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance, invStd, unbiased] = tf.engine().runKernel(BN_TRAIN, { x: xt, gamma: g, beta: b }, { eps }) as tf.Tensor[];
    save([xt, mean!, invStd!, g]);
    // Kept: the engine frees what a custom-gradient function makes besides its value.
    stats = [tf.keep(mean!), tf.keep(variance!), tf.keep(unbiased!)];
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x: xs, mean: mu, invStd: inv, gamma: gs }, {}) as tf.Tensor[];
      },
    };
  });
  const y = f(x, gamma, beta);
  return { y, mean: stats[0]!, variance: stats[1]!, unbiased: stats[2]! };
}
