// Conv2D forward and input gradient for the wasm backend, SIMD128, on tfjs's heap (NHWC, HWIO filter).
//
// Both are the same register tile: 4 output pixels of one row x 8 channels, 8 accumulators, fed per
// step by one 8-wide row of a matrix and 4 broadcast scalars, one per pixel. Pixels whose tap falls
// into the padding read from a row of zeros instead (XNNPACK's indirection idea), so borders and a
// last partial tile run the same code; only the stores are masked.
//
// The input gradient gathers: dx[h][w][ci] = sum over taps with (h + pt - kh) % sh == 0 (same for w)
// of dy[(h + pt - kh) / sh][(w + pl - kw) / sw][co] * W[kh][kw][ci][co]. Tiling each row by pixels of
// one phase (w = pw, pw + sw, ...) keeps their dy columns contiguous, so a stride-2 gradient does no
// work on the zeros a dilated dy would hold.

#include "simd.h"

typedef float f32;

typedef struct {
  v128_t a0, a1, b0, b1, c0, c1, d0, d1;
} tile_t;

// acc[i] += sum_j p_i[j] * m[j * ldm .. + 8] for the four pixels i.
static inline void tile_madd(tile_t* t, const f32* p0, const f32* p1, const f32* p2, const f32* p3,
                             const f32* m, int ldm, int len) {
  v128_t a0 = t->a0, a1 = t->a1, b0 = t->b0, b1 = t->b1, c0 = t->c0, c1 = t->c1, d0 = t->d0, d1 = t->d1;
  for (int j = 0; j < len; j++) {
    const v128_t g0 = wasm_v128_load(m), g1 = wasm_v128_load(m + 4);
    v128_t s = wasm_v128_load32_splat(p0 + j);
    a0 = madd(a0, s, g0);
    a1 = madd(a1, s, g1);
    s = wasm_v128_load32_splat(p1 + j);
    b0 = madd(b0, s, g0);
    b1 = madd(b1, s, g1);
    s = wasm_v128_load32_splat(p2 + j);
    c0 = madd(c0, s, g0);
    c1 = madd(c1, s, g1);
    s = wasm_v128_load32_splat(p3 + j);
    d0 = madd(d0, s, g0);
    d1 = madd(d1, s, g1);
    m += ldm;
  }
  t->a0 = a0; t->a1 = a1; t->b0 = b0; t->b1 = b1; t->c0 = c0; t->c1 = c1; t->d0 = d0; t->d1 = d1;
}

static inline v128_t epilogue(v128_t v, v128_t bias, int relu) {
  v = wasm_f32x4_add(v, bias);
  return relu ? wasm_f32x4_max(v, wasm_f32x4_splat(0.f)) : v;
}

static inline void pixel_store(f32* out, v128_t lo, v128_t hi, v128_t e0, v128_t e1, int relu) {
  wasm_v128_store(out, epilogue(lo, e0, relu));
  wasm_v128_store(out + 4, epilogue(hi, e1, relu));
}

// Stores the first `count` pixels of the tile, pixel i at out + i * step.
static inline void tile_store(const tile_t* t, f32* out, long step, int count, const f32* bias, int relu) {
  const v128_t z = wasm_f32x4_splat(0.f);
  const v128_t e0 = bias ? wasm_v128_load(bias) : z, e1 = bias ? wasm_v128_load(bias + 4) : z;
  pixel_store(out, t->a0, t->a1, e0, e1, relu);
  if (count > 1) pixel_store(out + step, t->b0, t->b1, e0, e1, relu);
  if (count > 2) pixel_store(out + 2 * step, t->c0, t->c1, e0, e1, relu);
  if (count > 3) pixel_store(out + 3 * step, t->d0, t->d1, e0, e1, relu);
}

static inline tile_t tile_zero(void) {
  const v128_t z = wasm_f32x4_splat(0.f);
  tile_t t = {z, z, z, z, z, z, z, z};
  return t;
}

// y = conv(x, w) (+ bias, then ReLU if relu != 0). K (output channels) must be a multiple of 8;
// `zeros` points to at least C zero floats. bias may be 0 (none).
__attribute__((export_name("conv2d")))
void conv2d(const f32* x, const f32* w, const f32* bias, f32* y, const f32* zeros,
            int N, int H, int W, int C, int OH, int OW, int K,
            int FH, int FW, int sh, int sw, int pt, int pl, int relu) {
  const long ldw = (long)C * K;  // one tap of the filter
  for (int n = 0; n < N; n++) {
    const f32* xn = x + (long)n * H * W * C;
    for (int oh = 0; oh < OH; oh++) {
      f32* yr = y + ((long)n * OH + oh) * OW * K;
      for (int k = 0; k < K; k += 8) {
        for (int ow = 0; ow < OW; ow += 4) {
          const int count = OW - ow < 4 ? OW - ow : 4;
          tile_t t = tile_zero();
          for (int kh = 0; kh < FH; kh++) {
            const int ih = oh * sh + kh - pt;
            if (ih < 0 || ih >= H) continue;
            const f32* xr = xn + (long)ih * W * C;
            for (int kw = 0; kw < FW; kw++) {
              const f32* p[4];
              for (int i = 0; i < 4; i++) {
                const int iw = (ow + i) * sw + kw - pl;
                p[i] = (i < count && iw >= 0 && iw < W) ? xr + (long)iw * C : zeros;
              }
              tile_madd(&t, p[0], p[1], p[2], p[3], w + (kh * FW + kw) * ldw + k, K, C);
            }
          }
          tile_store(&t, yr + (long)ow * K + k, K, count, bias ? bias + k : 0, relu);
        }
      }
    }
  }
}

// The taps of one axis that can reach position `pos` of the input gradient: tap k does when
// (pos + pad - k) is a multiple of the stride s, and then reads dy position (pos + pad - k) / s
// (the caller checks that it lies in [0, out)). Returns how many, at most MAX_TAPS.
static int grad_taps(int pos, int pad, int s, int f, int* tap, int* at) {
  int count = 0;
  const int num = pos + pad;
  for (int k = ((num % s) + s) % s; k < f; k += s) {
    tap[count] = k;
    at[count] = (num - k) / s;  // exact: num - k is a multiple of s
    count++;
  }
  return count;
}

#define MAX_TAPS 16

// dx from dy and the filter transposed to wt[kh][kw][co][ci] (conv2d_transpose_filter). C (input
// channels) must be a multiple of 8, FH and FW at most MAX_TAPS; `zeros` points to at least K zero
// floats.
__attribute__((export_name("conv2d_input_grad")))
void conv2d_input_grad(const f32* dy, const f32* wt, f32* dx, const f32* zeros,
                       int N, int H, int W, int C, int OH, int OW, int K,
                       int FH, int FW, int sh, int sw, int pt, int pl) {
  const long ldw = (long)K * C;
  int kh_of[MAX_TAPS], oh_of[MAX_TAPS], kw_of[MAX_TAPS], ow_of[MAX_TAPS];
  for (int n = 0; n < N; n++) {
    const f32* dn = dy + (long)n * OH * OW * K;
    for (int h = 0; h < H; h++) {
      f32* xr = dx + ((long)n * H + h) * W * C;
      const int rows = grad_taps(h, pt, sh, FH, kh_of, oh_of);
      for (int pw = 0; pw < sw && pw < W; pw++) {
        const int cols = (W - pw + sw - 1) / sw;  // pixels of this phase: w = pw + sw * j
        // Column j of the phase reads dy column ow_of[t] + j for tap t (when in range).
        const int taps = grad_taps(pw, pl, sw, FW, kw_of, ow_of);
        for (int c = 0; c < C; c += 8) {
          for (int j = 0; j < cols; j += 4) {
            const int count = cols - j < 4 ? cols - j : 4;
            tile_t t = tile_zero();
            for (int r = 0; r < rows; r++) {
              if (oh_of[r] < 0 || oh_of[r] >= OH) continue;
              const f32* dr = dn + (long)oh_of[r] * OW * K;
              const f32* wr = wt + (long)kh_of[r] * FW * ldw + c;
              for (int q = 0; q < taps; q++) {
                const int ow = ow_of[q] + j;
#define DY_COL(i) (count > (i) && ow + (i) >= 0 && ow + (i) < OW ? dr + (long)(ow + (i)) * K : zeros)
                const f32 *p0 = DY_COL(0), *p1 = DY_COL(1), *p2 = DY_COL(2), *p3 = DY_COL(3);
#undef DY_COL
                tile_madd(&t, p0, p1, p2, p3, wr + kw_of[q] * ldw, C, K);
              }
            }
            tile_store(&t, xr + (long)(pw + sw * j) * C + c, (long)sw * C, count, 0, 0);
          }
        }
      }
    }
  }
}

// wt[kh][kw][co][ci] = w[kh][kw][ci][co].
__attribute__((export_name("conv2d_transpose_filter")))
void conv2d_transpose_filter(const f32* w, f32* wt, int FH, int FW, int C, int K) {
  for (int t = 0; t < FH * FW; t++) {
    const f32* a = w + (long)t * C * K;
    f32* b = wt + (long)t * C * K;
    for (int c = 0; c < C; c++)
      for (int k = 0; k < K; k++) b[(long)k * C + c] = a[(long)c * K + k];
  }
}
