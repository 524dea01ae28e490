// The three loops of the training-mode BatchNorm kernels (src/backend/batchnorm_kernels.ts) on the
// wasm backend: x is NHWC seen as [M, C]. Sums accumulate in float64 as the JavaScript loops do
// (PyTorch's CPU BatchNorm accumulates in double too); the elementwise pass runs in float32.
// Rows are walked in memory order with the per-channel sums in a small array that stays in L1.

#include "simd.h"

typedef float f32;
typedef double f64;

// Lanes 2 and 3 of v as float64.
static inline v128_t promote_high(v128_t v) {
  return wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
}

// s[c] = sum over rows of (x - shift[c]), q[c] = sum of (x - shift[c])^2.
__attribute__((export_name("bn_sums")))
void bn_sums(const f32* x, int M, int C, const f64* shift, f64* s, f64* q) {
  const int C4 = C & ~3;
  for (int c = 0; c < C; c++) s[c] = q[c] = 0.0;
  for (int i = 0; i < M; i++) {
    const f32* r = x + (long)i * C;
    for (int c = 0; c < C4; c += 4) {
      const v128_t v = wasm_v128_load(r + c);
      const v128_t lo = wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(v), wasm_v128_load(shift + c));
      const v128_t hi = wasm_f64x2_sub(promote_high(v), wasm_v128_load(shift + c + 2));
      wasm_v128_store(s + c, wasm_f64x2_add(wasm_v128_load(s + c), lo));
      wasm_v128_store(s + c + 2, wasm_f64x2_add(wasm_v128_load(s + c + 2), hi));
      wasm_v128_store(q + c, wasm_f64x2_add(wasm_v128_load(q + c), wasm_f64x2_mul(lo, lo)));
      wasm_v128_store(q + c + 2, wasm_f64x2_add(wasm_v128_load(q + c + 2), wasm_f64x2_mul(hi, hi)));
    }
    for (int c = C4; c < C; c++) {
      const f64 d = (f64)r[c] - shift[c];
      s[c] += d;
      q[c] += d * d;
    }
  }
}

// sdy[c] = sum of dy, sdyx[c] = sum of dy * (x - mu[c]).
__attribute__((export_name("bn_grad_sums")))
void bn_grad_sums(const f32* dy, const f32* x, int M, int C, const f64* mu, f64* sdy, f64* sdyx) {
  const int C4 = C & ~3;
  for (int c = 0; c < C; c++) sdy[c] = sdyx[c] = 0.0;
  for (int i = 0; i < M; i++) {
    const f32* g = dy + (long)i * C;
    const f32* r = x + (long)i * C;
    for (int c = 0; c < C4; c += 4) {
      const v128_t gv = wasm_v128_load(g + c), xv = wasm_v128_load(r + c);
      const v128_t glo = wasm_f64x2_promote_low_f32x4(gv);
      const v128_t ghi = promote_high(gv);
      const v128_t xlo = wasm_f64x2_sub(wasm_f64x2_promote_low_f32x4(xv), wasm_v128_load(mu + c));
      const v128_t xhi = wasm_f64x2_sub(promote_high(xv), wasm_v128_load(mu + c + 2));
      wasm_v128_store(sdy + c, wasm_f64x2_add(wasm_v128_load(sdy + c), glo));
      wasm_v128_store(sdy + c + 2, wasm_f64x2_add(wasm_v128_load(sdy + c + 2), ghi));
      wasm_v128_store(sdyx + c, wasm_f64x2_add(wasm_v128_load(sdyx + c), wasm_f64x2_mul(glo, xlo)));
      wasm_v128_store(sdyx + c + 2, wasm_f64x2_add(wasm_v128_load(sdyx + c + 2), wasm_f64x2_mul(ghi, xhi)));
    }
    for (int c = C4; c < C; c++) {
      const f64 d = g[c];
      sdy[c] += d;
      sdyx[c] += d * ((f64)r[c] - mu[c]);
    }
  }
}

// out = a * u + e per channel, or, with v != 0, out = a * u + b * (v - mu) + e.
__attribute__((export_name("bn_affine")))
void bn_affine(f32* out, const f32* u, int M, int C, const f32* a, const f32* e,
               const f32* v, const f32* b, const f32* mu) {
  const int C4 = C & ~3;
  for (int i = 0; i < M; i++) {
    f32* o = out + (long)i * C;
    const f32* ur = u + (long)i * C;
    if (v) {
      const f32* vr = v + (long)i * C;
      for (int c = 0; c < C4; c += 4) {
        v128_t t = wasm_f32x4_mul(wasm_v128_load(b + c), wasm_f32x4_sub(wasm_v128_load(vr + c), wasm_v128_load(mu + c)));
        t = wasm_f32x4_add(t, wasm_f32x4_mul(wasm_v128_load(a + c), wasm_v128_load(ur + c)));
        wasm_v128_store(o + c, wasm_f32x4_add(t, wasm_v128_load(e + c)));
      }
      for (int c = C4; c < C; c++) o[c] = a[c] * ur[c] + b[c] * (vr[c] - mu[c]) + e[c];
    } else {
      for (int c = 0; c < C4; c += 4) {
        wasm_v128_store(o + c, wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(ur + c), wasm_v128_load(a + c)), wasm_v128_load(e + c)));
      }
      for (int c = C4; c < C; c++) o[c] = ur[c] * a[c] + e[c];
    }
  }
}
