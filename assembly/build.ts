// Which of the three builds this module is, decided at compile time from the features it was
// compiled with, so the host can report the truth about a module it was handed (init({ wasm }))
// instead of trusting the name it asked for: 2 = relaxed (SIMD128 + relaxed SIMD), 1 = simd, 0 = scalar.
export function build_kind(): i32 {
  if (ASC_FEATURE_RELAXED_SIMD) return 2;
  if (ASC_FEATURE_SIMD) return 1;
  return 0;
}
