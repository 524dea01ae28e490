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
import { type BatchNormLoops, jsBatchNormLoops } from './batchnorm_loops.js';
import { isHostBackend } from '../names.js';
import { hostMemory } from './host_memory.js';

/** Inputs x [.., C], gamma [C], beta [C]; attrs eps, sync. Outputs y, mean [C], variance [C] (biased), invStd [C], unbiased variance [C]. */
export const BN_TRAIN = 'ArchaiBatchNormTrain';
/** Inputs dy, x, mean, invStd, gamma; attr sync. Outputs dx, dGamma, dBeta. */
export const BN_TRAIN_GRAD = 'ArchaiBatchNormTrainGrad';

type KernelArgs = Parameters<tf.KernelFunc>[0];

/**
 * The element-wise sum of every participant's values, the same on each: what synchronised BatchNorm
 * needs from the threads of a data-parallel step (parallel/collective.ts implements it). Each
 * participant calls it the same number of times in the same order.
 */
export interface AllReduce {
  allReduce(values: ArrayLike<number>): Float64Array;
}

/** The loops a backend's kernels run, for `c` channels; null: the JavaScript ones. Called before views are taken. */
export type BatchNormLoopsProvider = (backend: unknown, c: number) => BatchNormLoops | null;

interface BatchNormAttrs {
  eps: number;
  /** Statistics over every participant's rows (synchronised BatchNorm), or null: this batch only. */
  sync: AllReduce | null;
}

function forward(backendName: string, loopsFor: BatchNormLoopsProvider, { inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const mem = hostMemory(backendName, backend);
  const { x, gamma, beta } = inputs as Record<string, tf.TensorInfo>;
  const { eps, sync } = attrs as unknown as BatchNormAttrs;
  const c = gamma!.shape[0]!;
  const outs = [mem.alloc([...x!.shape]), mem.alloc([c]), mem.alloc([c]), mem.alloc([c]), mem.alloc([c])];
  const { shiftedSums, affine } = loopsFor(backend, c) ?? jsBatchNormLoops;
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

function backward(backendName: string, loopsFor: BatchNormLoopsProvider, { inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const mem = hostMemory(backendName, backend);
  const { dy, x, mean, invStd, gamma } = inputs as Record<string, tf.TensorInfo>;
  const { sync } = attrs as unknown as BatchNormAttrs;
  const c = gamma!.shape[0]!;
  const outs = [mem.alloc([...x!.shape]), mem.alloc([c]), mem.alloc([c])];
  const { gradSums, affine } = loopsFor(backend, c) ?? jsBatchNormLoops;
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

/** Registers both kernels for `backendName` (wasm or cpu), with the backend's own loops where it has some. Idempotent. */
export function registerBatchNormKernels(backendName: string, loopsFor: BatchNormLoopsProvider = () => null): void {
  if (registered.has(backendName)) return;
  if (!isHostBackend(backendName)) {
    throw new Error(`BatchNorm host kernels run on wasm and cpu, not '${backendName}'`);
  }
  const kernel = (f: typeof forward) => ((args: KernelArgs) => f(backendName, loopsFor, args)) as tf.KernelFunc;
  tf.registerKernel({ kernelName: BN_TRAIN, backendName, kernelFunc: kernel(forward) });
  tf.registerKernel({ kernelName: BN_TRAIN_GRAD, backendName, kernelFunc: kernel(backward) });
  registered.add(backendName);
}

/** Whether the active backend has the kernels. */
export function hasBatchNormKernels(): boolean {
  return tf.getKernel(BN_TRAIN, tf.getBackend()) != null;
}

/**
 * Training-mode BatchNorm of x [.., C] through the kernels, differentiable in x, gamma and beta.
 * Returns the output and the batch mean and variance (biased, and unbiased for the running
 * statistics); the caller disposes those three (they are kept out of any tidy). With `sync`, the
 * statistics and the gradient's sums are taken over every participant's rows.
 */
export function batchNormTrainHost(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  sync: AllReduce | null = null,
): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor; unbiased: tf.Tensor } {
  // Attributes go to the kernel as they are: the all-reduce travels with the call, not in a global.
  const attrs = { eps, sync } satisfies BatchNormAttrs as unknown as tf.NamedAttrMap;
  let stats: tf.Tensor[] = [];
  const f = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [xt, g, b] = args as [tf.Tensor, tf.Tensor, tf.Tensor];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, variance, invStd, unbiased] = tf.engine().runKernel(BN_TRAIN, { x: xt, gamma: g, beta: b }, attrs) as tf.Tensor[];
    save([xt, mean!, invStd!, g]);
    // Kept: the engine frees what a custom-gradient function makes besides its value.
    stats = [tf.keep(mean!), tf.keep(variance!), tf.keep(unbiased!)];
    return {
      value: y!,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, mu, inv, gs] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.engine().runKernel(BN_TRAIN_GRAD, { dy, x: xs, mean: mu, invStd: inv, gamma: gs }, attrs) as tf.Tensor[];
      },
    };
  });
  const y = f(x, gamma, beta);
  return { y, mean: stats[0]!, variance: stats[1]!, unbiased: stats[2]! };
}
