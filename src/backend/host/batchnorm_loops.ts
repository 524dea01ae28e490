/**
 * The three passes of the BatchNorm host kernels (batchnorm_kernels.ts) over NHWC data seen as
 * [M, C], as an interface a backend may implement with kernels of its own (wasm/batchnorm_loops.ts),
 * and in plain JavaScript for the rest.
 */

/** The kernels' three passes over the data; JavaScript loops below (jsBatchNormLoops), SIMD ones on wasm (wasm/batchnorm_loops.ts). */
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

// The loops walk one group of 4 channels at a time down the M rows, with the group's sums in local
// variables: independent accumulators run about 3x faster in V8 than one Float64Array slot updated
// per element. C need not be a multiple of 4: the last group's missing lanes are clamped to channel
// C - 1, so they recompute (and rewrite) that channel's values exactly.

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

/** The loops in JavaScript: any backend whose tensors are host arrays. */
export const jsBatchNormLoops: BatchNormLoops = { shiftedSums, gradSums, affine };
