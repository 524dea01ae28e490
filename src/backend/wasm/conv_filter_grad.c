// Conv2D filter gradient for the wasm backend, SIMD128, reading and writing tfjs's own heap.
//
// Why a kernel of our own: tfjs-backend-wasm has no Conv2DBackpropFilter, and the forward-conv
// rewrite (conv_grad_kernels.ts) needs two transposes and runs XNNPACK's conv with a 32x32 "filter"
// at ~60% of its forward speed; the filter gradient was the largest kernel of a training step.
//
// dw[kh][kw][ci][co] = sum over n, oh, ow of x[n][oh*sh + kh - pt][ow*sw + kw - pl][ci] * dy[n][oh][ow][co]
// (NHWC x and dy, HWIO dw; taps that fall into the padding contribute nothing).
//
// The module imports tfjs's memory and owns no memory of its own: no data segment, no stack use
// (test/backend/wasm_kernels.test.ts checks the built binary for both).

#include "simd.h"

typedef float f32;

// Valid output range [*lo, *hi) of one axis for tap k: 0 <= o*s + k - p < in.
static inline void tap_range(int k, int s, int p, int in, int out, int* lo, int* hi) {
  int a = p - k;  // o*s >= a
  int l = a <= 0 ? 0 : (a + s - 1) / s;
  int b = in - 1 + p - k;  // o*s <= b
  int h = b < 0 ? 0 : b / s + 1;
  *lo = l;
  *hi = h < out ? h : out;
}

__attribute__((export_name("conv2d_filter_grad")))
void conv2d_filter_grad(const f32* x, const f32* dy, f32* dw,
                        int N, int H, int W, int C,
                        int OH, int OW, int K,
                        int FH, int FW, int sh, int sw, int pt, int pl) {
  const int taps = FH * FW * C * K;
  for (int i = 0; i < taps; i++) dw[i] = 0.f;
  const int C4 = C & ~3, K8 = K & ~7;
  const int xs = sw * C;  // x step between neighbouring outputs of a row
  // One image at a time: its x and dy (128 KiB each for 32x32x32) stay in L2 for all taps.
  for (int n = 0; n < N; n++) {
    const f32* xn = x + (long)n * H * W * C;
    const f32* dn = dy + (long)n * OH * OW * K;
    for (int kh = 0; kh < FH; kh++) {
      int oh0, oh1;
      tap_range(kh, sh, pt, H, OH, &oh0, &oh1);
      if (oh0 >= oh1) continue;
      for (int kw = 0; kw < FW; kw++) {
        int ow0, ow1;
        tap_range(kw, sw, pl, W, OW, &ow0, &ow1);
        if (ow0 >= ow1) continue;
        f32* dt = dw + (long)(kh * FW + kw) * C * K;
        // x of output (oh, ow0) for this tap, channel 0.
        const f32* xb = xn + ((long)(oh0 * sh + kh - pt) * W + (ow0 * sw + kw - pl)) * C;
        const f32* db = dn + ((long)oh0 * OW + ow0) * K;
        const long xrow = (long)sh * W * C, drow = (long)OW * K;
        const int rows = oh1 - oh0, cols = ow1 - ow0;
        // 4 input channels x 8 output channels per register tile (8 accumulators).
        for (int c = 0; c < C4; c += 4) {
          for (int k = 0; k < K8; k += 8) {
            f32* o = dt + (long)c * K + k;
            v128_t a0 = wasm_v128_load(o), a1 = wasm_v128_load(o + 4);
            v128_t b0 = wasm_v128_load(o + K), b1 = wasm_v128_load(o + K + 4);
            v128_t c0 = wasm_v128_load(o + 2 * K), c1 = wasm_v128_load(o + 2 * K + 4);
            v128_t d0 = wasm_v128_load(o + 3 * K), d1 = wasm_v128_load(o + 3 * K + 4);
            for (int r = 0; r < rows; r++) {
              const f32* xp = xb + r * xrow + c;
              const f32* dp = db + r * drow + k;
              for (int q = 0; q < cols; q++) {
                const v128_t g0 = wasm_v128_load(dp), g1 = wasm_v128_load(dp + 4);
                v128_t s = wasm_v128_load32_splat(xp);
                a0 = madd(a0, s, g0);
                a1 = madd(a1, s, g1);
                s = wasm_v128_load32_splat(xp + 1);
                b0 = madd(b0, s, g0);
                b1 = madd(b1, s, g1);
                s = wasm_v128_load32_splat(xp + 2);
                c0 = madd(c0, s, g0);
                c1 = madd(c1, s, g1);
                s = wasm_v128_load32_splat(xp + 3);
                d0 = madd(d0, s, g0);
                d1 = madd(d1, s, g1);
                xp += xs;
                dp += K;
              }
            }
            wasm_v128_store(o, a0); wasm_v128_store(o + 4, a1);
            wasm_v128_store(o + K, b0); wasm_v128_store(o + K + 4, b1);
            wasm_v128_store(o + 2 * K, c0); wasm_v128_store(o + 2 * K + 4, c1);
            wasm_v128_store(o + 3 * K, d0); wasm_v128_store(o + 3 * K + 4, d1);
          }
        }
        // Input channels beyond the 4-wide tiles (the 3-channel stem): one channel x 8 outputs.
        for (int c = C4; c < C; c++) {
          for (int k = 0; k < K8; k += 8) {
            f32* o = dt + (long)c * K + k;
            v128_t a0 = wasm_v128_load(o), a1 = wasm_v128_load(o + 4);
            for (int r = 0; r < rows; r++) {
              const f32* xp = xb + r * xrow + c;
              const f32* dp = db + r * drow + k;
              for (int q = 0; q < cols; q++) {
                const v128_t s = wasm_v128_load32_splat(xp);
                a0 = madd(a0, s, wasm_v128_load(dp));
                a1 = madd(a1, s, wasm_v128_load(dp + 4));
                xp += xs;
                dp += K;
              }
            }
            wasm_v128_store(o, a0); wasm_v128_store(o + 4, a1);
          }
        }
        // Output channels beyond the 8-wide tiles (widths not a multiple of 8), one pair at a time.
        for (int c = 0; c < C; c++) {
          for (int k = K8; k < K; k++) {
            f32 acc = dt[(long)c * K + k];
            for (int r = 0; r < rows; r++) {
              const f32* xp = xb + r * xrow + c;
              const f32* dp = db + r * drow + k;
              for (int q = 0; q < cols; q++) {
                acc += *xp * *dp;
                xp += xs;
                dp += K;
              }
            }
            dt[(long)c * K + k] = acc;
          }
        }
      }
    }
  }
}
