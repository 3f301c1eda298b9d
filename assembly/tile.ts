// The 4×8 register tile, written once for every kernel that multiplies two packed panels: the GEMM micro-kernel
// (gemm.ts), the attention scores Q·Kᵀ and the attention P·V (attention_forward.ts). All of them hold a 4-row × 8-
// column block of results in 8 v128 accumulators and walk a shared dimension, each step broadcasting the 4 row values
// of a k-major panel `a` ([steps, 4]) and loading 8 column values of a k-major panel `b` ([steps, 8]):
//   acc[r][c] = Σ_s a[s·4 + r]·b[s·8 + c].
// They differ only in what surrounds that loop, so those parts are compile-time arguments of one inline function
// (constant at every call site, so the optimizer folds the branches away and each caller gets its own loop):
//   NV          1: only the first 4 columns (half a tile), 2: all 8.
//   tail        rows 1..3 take the extra steps [steps, end_r) that row 0 does not (the causal diagonal of P·V: a
//               query row only adds the keys it sees); false: every row takes exactly `steps` steps.
//   transposed  false: row r is stored to o_r (8 floats, times the row scale sc_r, plus beta·old when beta != 0);
//               true: the tile is stored column by column at o0 (column c's four rows at o0 + c·16, unscaled),
//               which is how the attention scores are kept (key-major, the four query rows in the lanes).
// Inline functions over v128 locals, no memory traffic for the accumulators: V8 keeps the 8 of them, the two b
// vectors and the broadcast in registers (a larger tile spills on x64; see attention_forward.ts).
// SIMD builds only; the scalar build has its own loops.

import { fmadd } from "./simd";

/** The 4×4 transpose: lane r of the vector stored at dst + c·step is lane c of x_r. */
// @ts-ignore: decorator
@inline export function store_t4(dst: usize, step: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Lane r of the result is the horizontal sum of a_r (a 4×4 transpose folded into the adds). */
// @ts-ignore: decorator
@inline export function hsum4x4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/** Store sc·(x0 | x1) (x1 only when NV > 1), plus beta·(what is there) when beta != 0, at p. */
// @ts-ignore: decorator
@inline function store_row(NV: i32, p: usize, x0: v128, x1: v128, sc: v128, beta: f32): void {
  if (beta == 0) {
    v128.store(p, f32x4.mul(sc, x0));
    if (NV > 1) v128.store(p, f32x4.mul(sc, x1), 16);
  } else {
    const vb = f32x4.splat(beta);
    v128.store(p, fmadd(vb, v128.load(p), f32x4.mul(sc, x0)));
    if (NV > 1) v128.store(p, fmadd(vb, v128.load(p, 16), f32x4.mul(sc, x1)), 16);
  }
}

/**
 * One 4×8 tile (see the header): acc = a·b over `steps` steps (rows 1..3 also over [steps, end_r) when `tail`),
 * then stored by rows (o_r, times sc_r, + beta·old) or transposed (at o0). a, b: packed panels as above.
 */
// @ts-ignore: decorator
@inline export function tile_4x8(
  NV: i32, tail: bool, transposed: bool, steps: i32, end1: i32, end2: i32, end3: i32, a: usize, b: usize,
  o0: usize, o1: usize, o2: usize, o3: usize, sc0: v128, sc1: v128, sc2: v128, sc3: v128, beta: f32,
): void {
  let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
  let pa = a, pb = b;
  const aEnd = a + (<usize>steps << 4);
  for (; pa < aEnd; pa += 16, pb += 32) {
    const v0 = v128.load(pb);
    const v1 = NV > 1 ? v128.load(pb, 16) : v0;
    let x = v128.load32_splat(pa);
    a0 = fmadd(x, v0, a0);
    if (NV > 1) a1 = fmadd(x, v1, a1);
    x = v128.load32_splat(pa, 4);
    b0 = fmadd(x, v0, b0);
    if (NV > 1) b1 = fmadd(x, v1, b1);
    x = v128.load32_splat(pa, 8);
    c0 = fmadd(x, v0, c0);
    if (NV > 1) c1 = fmadd(x, v1, c1);
    x = v128.load32_splat(pa, 12);
    e0 = fmadd(x, v0, e0);
    if (NV > 1) e1 = fmadd(x, v1, e1);
  }
  if (tail) {
    // end1 <= end2 <= end3: step s adds to the rows whose end lies past it (row 3 always; row 0 never).
    for (let s = steps; s < end3; s++, pa += 16, pb += 32) {
      const v0 = v128.load(pb);
      const v1 = NV > 1 ? v128.load(pb, 16) : v0;
      if (s < end1) {
        const x = v128.load32_splat(pa, 4);
        b0 = fmadd(x, v0, b0);
        if (NV > 1) b1 = fmadd(x, v1, b1);
      }
      if (s < end2) {
        const x = v128.load32_splat(pa, 8);
        c0 = fmadd(x, v0, c0);
        if (NV > 1) c1 = fmadd(x, v1, c1);
      }
      const x = v128.load32_splat(pa, 12);
      e0 = fmadd(x, v0, e0);
      if (NV > 1) e1 = fmadd(x, v1, e1);
    }
  }
  if (transposed) {
    store_t4(o0, 16, a0, b0, c0, e0);
    if (NV > 1) store_t4(o0 + 64, 16, a1, b1, c1, e1);
  } else {
    store_row(NV, o0, a0, a1, sc0, beta);
    store_row(NV, o1, b0, b1, sc1, beta);
    store_row(NV, o2, c0, c1, sc2, beta);
    store_row(NV, o3, e0, e1, sc3, beta);
  }
}
