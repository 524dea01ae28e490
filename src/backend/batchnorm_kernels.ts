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
import { tf } from '../tf.js';
import { HOST_BACKENDS, hostMemory } from './host_memory.js';

/** Inputs x [.., C], gamma [C], beta [C]; attr eps. Outputs y, mean [C], variance [C] (biased), invStd [C]. */
export const BN_TRAIN = 'ArchaiBatchNormTrain';
/** Inputs dy, x, mean, invStd, gamma. Outputs dx, dGamma, dBeta. */
export const BN_TRAIN_GRAD = 'ArchaiBatchNormTrainGrad';

type KernelArgs = Parameters<tf.KernelFunc>[0];

// The loops walk one group of 4 channels at a time down the M rows, with the group's sums in local
// variables: independent accumulators run about 3x faster in V8 than one Float64Array slot updated
// per element. C need not be a multiple of 4: the last group's missing lanes are clamped to channel
// C - 1, so they recompute (and rewrite) that channel's values exactly.

function forward(backendName: string, { inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const mem = hostMemory(backendName, backend);
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const eps = (attrs as { eps: number }).eps;
  const c = gamma!.shape[0]!;
  const outs = [mem.alloc([...x!.shape]), mem.alloc([c]), mem.alloc([c]), mem.alloc([c])];
  const [y, mean, variance, invStd] = outs.map((o) => mem.read(o)) as [Float32Array, Float32Array, Float32Array, Float32Array];
  const xs = mem.read(x!);
  const g = mem.read(gamma!);
  const b = mem.read(beta!);
  const n = xs.length;
  const m = n / c;
  const last = c - 1;
  for (let k = 0; k < c; k += 4) {
    const k1 = Math.min(k + 1, last);
    const k2 = Math.min(k + 2, last);
    const k3 = Math.min(k + 3, last);
    // Sums of x - K with K the first row's value (the shifted-data algorithm): one pass, and
    // no cancellation as in E[x²] - E[x]² when the mean is far from 0.
    const K0 = xs[k]!;
    const K1 = xs[k1]!;
    const K2 = xs[k2]!;
    const K3 = xs[k3]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, q0 = 0, q1 = 0, q2 = 0, q3 = 0;
    for (let i = 0; i < n; i += c) {
      const d0 = xs[i + k]! - K0;
      const d1 = xs[i + k1]! - K1;
      const d2 = xs[i + k2]! - K2;
      const d3 = xs[i + k3]! - K3;
      s0 += d0; s1 += d1; s2 += d2; s3 += d3;
      q0 += d0 * d0; q1 += d1 * d1; q2 += d2 * d2; q3 += d3 * d3;
    }
    const sums = [s0, s1, s2, s3];
    const squares = [q0, q1, q2, q3];
    const shifts = [K0, K1, K2, K3];
    for (let j = 0; j < 4 && k + j < c; j++) {
      const v = Math.max(0, (squares[j]! - (sums[j]! * sums[j]!) / m) / m);
      const inv = 1 / Math.sqrt(v + eps);
      mean[k + j] = shifts[j]! + sums[j]! / m;
      variance[k + j] = v;
      invStd[k + j] = inv;
    }
  }
  for (let k = 0; k < c; k += 4) {
    const k1 = Math.min(k + 1, last);
    const k2 = Math.min(k + 2, last);
    const k3 = Math.min(k + 3, last);
    const a0 = g[k]! * invStd[k]!, a1 = g[k1]! * invStd[k1]!, a2 = g[k2]! * invStd[k2]!, a3 = g[k3]! * invStd[k3]!;
    const h0 = b[k]! - mean[k]! * a0, h1 = b[k1]! - mean[k1]! * a1, h2 = b[k2]! - mean[k2]! * a2, h3 = b[k3]! - mean[k3]! * a3;
    for (let i = 0; i < n; i += c) {
      y[i + k3] = xs[i + k3]! * a3 + h3;
      y[i + k2] = xs[i + k2]! * a2 + h2;
      y[i + k1] = xs[i + k1]! * a1 + h1;
      y[i + k] = xs[i + k]! * a0 + h0;
    }
  }
  return outs;
}

function backward(backendName: string, { inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const mem = hostMemory(backendName, backend);
  const { dy, x, mean, invStd, gamma } = inputs as Record<string, tf.TensorInfo>;
  const c = gamma!.shape[0]!;
  const outs = [mem.alloc([...x!.shape]), mem.alloc([c]), mem.alloc([c])];
  const [dx, dGamma, dBeta] = outs.map((o) => mem.read(o)) as [Float32Array, Float32Array, Float32Array];
  const dys = mem.read(dy!);
  const xs = mem.read(x!);
  const mu = mem.read(mean!);
  const inv = mem.read(invStd!);
  const g = mem.read(gamma!);
  const n = xs.length;
  const m = n / c;
  const last = c - 1;
  for (let k = 0; k < c; k += 4) {
    const k1 = Math.min(k + 1, last);
    const k2 = Math.min(k + 2, last);
    const k3 = Math.min(k + 3, last);
    const m0 = mu[k]!, m1 = mu[k1]!, m2 = mu[k2]!, m3 = mu[k3]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, p0 = 0, p1 = 0, p2 = 0, p3 = 0;
    for (let i = 0; i < n; i += c) {
      const d0 = dys[i + k]!, d1 = dys[i + k1]!, d2 = dys[i + k2]!, d3 = dys[i + k3]!;
      s0 += d0; s1 += d1; s2 += d2; s3 += d3;
      p0 += d0 * (xs[i + k]! - m0);
      p1 += d1 * (xs[i + k1]! - m1);
      p2 += d2 * (xs[i + k2]! - m2);
      p3 += d3 * (xs[i + k3]! - m3);
    }
    // dx = γ·inv·(dy − dβ/M − x̂·dγ/M) = a·dy + b·(x − μ) + e per channel.
    const sdy = [s0, s1, s2, s3];
    const sdyx = [p0, p1, p2, p3];
    const ks = [k, k1, k2, k3];
    const a = [0, 0, 0, 0];
    const bb = [0, 0, 0, 0];
    const e = [0, 0, 0, 0];
    for (let j = 0; j < 4; j++) {
      const ch = ks[j]!;
      const gi = g[ch]! * inv[ch]!;
      const dg = sdyx[j]! * inv[ch]!;
      if (k + j < c) {
        dGamma[k + j] = dg;
        dBeta[k + j] = sdy[j]!;
      }
      a[j] = gi;
      bb[j] = (-gi * inv[ch]! * dg) / m;
      e[j] = (-gi * sdy[j]!) / m;
    }
    const [a0, a1, a2, a3] = a as [number, number, number, number];
    const [b0, b1, b2, b3] = bb as [number, number, number, number];
    const [e0, e1, e2, e3] = e as [number, number, number, number];
    for (let i = 0; i < n; i += c) {
      dx[i + k3] = a3 * dys[i + k3]! + b3 * (xs[i + k3]! - m3) + e3;
      dx[i + k2] = a2 * dys[i + k2]! + b2 * (xs[i + k2]! - m2) + e2;
      dx[i + k1] = a1 * dys[i + k1]! + b1 * (xs[i + k1]! - m1) + e1;
      dx[i + k] = a0 * dys[i + k]! + b0 * (xs[i + k]! - m0) + e0;
    }
  }
  return outs;
}

const registered = new Set<string>();

/** Registers both kernels for `backendName` (wasm or cpu). Idempotent. */
export function registerBatchNormKernels(backendName: string): void {
  if (registered.has(backendName)) return;
  if (!(HOST_BACKENDS as readonly string[]).includes(backendName)) throw new Error(`BatchNorm host kernels run on wasm and cpu, not '${backendName}'`);
  tf.registerKernel({ kernelName: BN_TRAIN, backendName, kernelFunc: ((args: KernelArgs) => forward(backendName, args)) as tf.KernelFunc });
  tf.registerKernel({ kernelName: BN_TRAIN_GRAD, backendName, kernelFunc: ((args: KernelArgs) => backward(backendName, args)) as tf.KernelFunc });
  registered.add(backendName);
}

/** Whether the active backend has the kernels. */
export function hasBatchNormKernels(): boolean {
  return tf.getKernel(BN_TRAIN, tf.getBackend()) != null;
}

/**
 * Training-mode BatchNorm of x [.., C] through the kernels, differentiable in x, gamma and beta.
 * Returns the output and the batch mean and (biased) variance, for the running statistics; the
 * caller disposes those two (they are kept out of any tidy).
 */
export function batchNormTrainHost(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor } {
  let stats: tf.Tensor[] = [];
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xt, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance, invStd] = tf.engine().runKernel(BN_TRAIN, { x: xt, gamma: g, beta: b }, { eps }) as tf.Tensor[];
    save([xt, mean!, invStd!, g]);
    // Kept: the engine frees what a custom-gradient function makes besides its value.
    stats = [tf.keep(mean!), tf.keep(variance!)];
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x: xs, mean: mu, invStd: inv, gamma: gs }, {}) as tf.Tensor[];
      },
    };
  });
  const y = f(x, gamma, beta);
  return { y, mean: stats[0]!, variance: stats[1]! };
}
