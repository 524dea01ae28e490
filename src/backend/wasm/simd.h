// Shared by the kernels. Each is compiled twice (scripts/build-wasm.mjs): with SIMD128 alone, and
// with relaxed SIMD as well, where madd is one fused multiply-add (x86 FMA3): about 1.4x the
// throughput of the separate multiply and add, and the choice at run time (src/backend/wasm_kernels.ts).
#include <wasm_simd128.h>

#ifdef __wasm_relaxed_simd__
#define madd(acc, a, b) wasm_f32x4_relaxed_madd((a), (b), (acc))
#else
#define madd(acc, a, b) wasm_f32x4_add((acc), wasm_f32x4_mul((a), (b)))
#endif
