// Multiply-add for the SIMD kernels, built two ways from one source.
//
// The "relaxed" build (asconfig target relaxed, --enable relaxed-simd) turns a·b + c into
// f32x4.relaxed_madd, which V8 lowers to one fused vfmadd on x86-64 cores with FMA3 (and to mul + add
// where the core has none). Fused, the product is not rounded before the add, so results differ from
// the plain SIMD build in the last bits — and may differ between machines, which is why the plain
// SIMD build stays available for bit-reproducible runs. The "simd" build keeps mul then add, written
// as add(c, mul(a, b)) exactly as the kernels had it, so that build's results are unchanged.

/** a·b + c per f32 lane: fused in the relaxed build, mul then add otherwise. */
// @ts-ignore: decorator
@inline export function fmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

/** c − a·b per f32 lane: fused in the relaxed build. */
// @ts-ignore: decorator
@inline export function fnmadd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}
