// GEMM: C = alpha·op(A)·op(B) + beta·C over row-major f32 matrices in linear memory.
//
// op(A) is m×k and op(B) is k×n. With transA = 0, A is stored m×k with row stride lda (lda >= k);
// with transA != 0, A is stored k×m (lda >= m) and read transposed. Likewise B: k×n (ldb >= n) or
// n×k (ldb >= k). C is m×n with ldc >= n. m, n, k >= 0. Only the m×n elements of C are written and
// only the elements of op(A), op(B) are read, so sub-matrices of larger arrays are safe operands.
// When beta == 0, C is not read (it may hold NaN or garbage), as in BLAS.
// `scratch` is a 16-byte aligned region of at least gemm_scratch_bytes() bytes that the kernel
// may overwrite (packed panels); it must not overlap A, B or C.

/** Bytes of scratch gemm_f32 needs, whatever the operand sizes. */
export function gemm_scratch_bytes(): usize {
  return 0;
}

export function gemm_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, scratch: usize,
): void {
  gemm_ref_f32(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/**
 * Reference GEMM: the textbook triple loop with an f32 accumulator, no blocking, no SIMD.
 * It is the oracle for the as-pect specs and the baseline in benchmarks; keep it obviously correct.
 */
export function gemm_ref_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc: f32 = 0;
      for (let p = 0; p < k; p++) {
        const aip = transA ? load<f32>(a + (<usize>(p * lda + i) << 2)) : load<f32>(a + (<usize>(i * lda + p) << 2));
        const bpj = transB ? load<f32>(b + (<usize>(j * ldb + p) << 2)) : load<f32>(b + (<usize>(p * ldb + j) << 2));
        acc += aip * bpj;
      }
      const cp = c + (<usize>(i * ldc + j) << 2);
      store<f32>(cp, beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(cp));
    }
  }
}
