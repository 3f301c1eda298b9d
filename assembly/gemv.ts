// Matrix × vector for GEMM's m == 1 and n == 1 cases, without packing: every element of the matrix is used once,
// so packing could only add work. Both compute out[j] = alpha·Σ_p (…) + beta·out[j] for j < len, with x[p] at
// x + p·sx bytes and out[j] at out + j·so bytes (m == 1: C is a row, so = 4; n == 1: C is a column, so = ldc·4).
// The sum over p runs in order, one multiply-add per term (the 32-wide loop's two rows per trip keep that order).
//
// gemv_t is what cached decoding spends its time in (every weight matrix of the model, once per token). Its
// column blocks are 32 wide: eight independent accumulator chains, enough to cover the multiply-add latency (one
// chain per 4 columns; 16-wide blocks left the core waiting on four), and two rows of the matrix per loop trip, so
// the loop's own bookkeeping is paid once per 64 multiply-adds. Measured on the model's shapes (128×384, 128×128,
// 128×512, 512×128): ≈ 1.3× the 16-wide loop when the matrix is in L2, ≈ 1.05–1.1× when the 1.5 MB of a whole
// model's weights stream from L3 every token (docs/PERFORMANCE.md, "One attention layout end to end").

import { fmadd } from "./simd";

/**
 * out[j] = alpha·Σ_p x[p]·M[p, j] + beta·out[j], M stored k×len with row stride ldm (floats).
 * Streams rows of M with 32 (then 16, 4, 1) column accumulators.
 */
export function gemv_t(
  len: i32, k: i32, alpha: f32, x: usize, sx: usize, mat: usize, ldm: i32, beta: f32, out: usize, so: usize,
): void {
  const rowM = <usize>ldm << 2;
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    for (; j + 32 <= len; j += 32) {
      gemv_block32(k, x, sx, mat + (<usize>j << 2), rowM, out + <usize>j * so, so, alpha, beta);
    }
    for (; j + 16 <= len; j += 16) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
      let px = x, pm = mat + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const xv = v128.load32_splat(px);
        s0 = fmadd(xv, v128.load(pm), s0);
        s1 = fmadd(xv, v128.load(pm, 16), s1);
        s2 = fmadd(xv, v128.load(pm, 32), s2);
        s3 = fmadd(xv, v128.load(pm, 48), s3);
        px += sx;
        pm += rowM;
      }
      const po = out + <usize>j * so;
      store4(po, so, s0, alpha, beta);
      store4(po + 4 * so, so, s1, alpha, beta);
      store4(po + 8 * so, so, s2, alpha, beta);
      store4(po + 12 * so, so, s3, alpha, beta);
    }
    for (; j + 4 <= len; j += 4) {
      let s0 = f32x4.splat(0);
      let px = x, pm = mat + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        s0 = fmadd(v128.load32_splat(px), v128.load(pm), s0);
        px += sx;
        pm += rowM;
      }
      store4(out + <usize>j * so, so, s0, alpha, beta);
    }
  } else {
    for (; j + 4 <= len; j += 4) {
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
      let px = x, pm = mat + (<usize>j << 2);
      for (let p = 0; p < k; p++) {
        const xv = load<f32>(px);
        s0 += xv * load<f32>(pm); s1 += xv * load<f32>(pm, 4);
        s2 += xv * load<f32>(pm, 8); s3 += xv * load<f32>(pm, 12);
        px += sx;
        pm += rowM;
      }
      const po = out + <usize>j * so;
      store_c(po, s0, alpha, beta); store_c(po + so, s1, alpha, beta);
      store_c(po + 2 * so, s2, alpha, beta); store_c(po + 3 * so, s3, alpha, beta);
    }
  }
  for (; j < len; j++) {
    let acc: f32 = 0;
    let px = x, pm = mat + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      acc += load<f32>(px) * load<f32>(pm);
      px += sx;
      pm += rowM;
    }
    store_c(out + <usize>j * so, acc, alpha, beta);
  }
}

/**
 * One 32-column block of gemv_t: out[c·so] = alpha·Σ_p x[p·sx]·M[p, c] + beta·out[c·so] for c < 32, where row p of
 * the block starts at pm + p·rowM bytes. gemv_t passes the matrix (rowM = its row stride); decode.ts passes a
 * contiguous k×32 panel (rowM = 128). Eight accumulator chains, two rows per trip, rows in order.
 */
// @ts-ignore: decorator
@inline export function gemv_block32(k: i32, x: usize, sx: usize, pm: usize, rowM: usize, po: usize, so: usize, alpha: f32, beta: f32): void {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  let px = x;
  let p = 0;
  for (; p + 2 <= k; p += 2) {
    let xv = v128.load32_splat(px);
    s0 = fmadd(xv, v128.load(pm), s0);
    s1 = fmadd(xv, v128.load(pm, 16), s1);
    s2 = fmadd(xv, v128.load(pm, 32), s2);
    s3 = fmadd(xv, v128.load(pm, 48), s3);
    s4 = fmadd(xv, v128.load(pm, 64), s4);
    s5 = fmadd(xv, v128.load(pm, 80), s5);
    s6 = fmadd(xv, v128.load(pm, 96), s6);
    s7 = fmadd(xv, v128.load(pm, 112), s7);
    const pm1 = pm + rowM;
    xv = v128.load32_splat(px + sx);
    s0 = fmadd(xv, v128.load(pm1), s0);
    s1 = fmadd(xv, v128.load(pm1, 16), s1);
    s2 = fmadd(xv, v128.load(pm1, 32), s2);
    s3 = fmadd(xv, v128.load(pm1, 48), s3);
    s4 = fmadd(xv, v128.load(pm1, 64), s4);
    s5 = fmadd(xv, v128.load(pm1, 80), s5);
    s6 = fmadd(xv, v128.load(pm1, 96), s6);
    s7 = fmadd(xv, v128.load(pm1, 112), s7);
    px += sx << 1;
    pm = pm1 + rowM;
  }
  if (p < k) {
    const xv = v128.load32_splat(px);
    s0 = fmadd(xv, v128.load(pm), s0);
    s1 = fmadd(xv, v128.load(pm, 16), s1);
    s2 = fmadd(xv, v128.load(pm, 32), s2);
    s3 = fmadd(xv, v128.load(pm, 48), s3);
    s4 = fmadd(xv, v128.load(pm, 64), s4);
    s5 = fmadd(xv, v128.load(pm, 80), s5);
    s6 = fmadd(xv, v128.load(pm, 96), s6);
    s7 = fmadd(xv, v128.load(pm, 112), s7);
  }
  store4(po, so, s0, alpha, beta);
  store4(po + 4 * so, so, s1, alpha, beta);
  store4(po + 8 * so, so, s2, alpha, beta);
  store4(po + 12 * so, so, s3, alpha, beta);
  store4(po + 16 * so, so, s4, alpha, beta);
  store4(po + 20 * so, so, s5, alpha, beta);
  store4(po + 24 * so, so, s6, alpha, beta);
  store4(po + 28 * so, so, s7, alpha, beta);
}

/**
 * out[j] = alpha·dot(M[j, :], x) + beta·out[j], M stored len×k with row stride ldm (floats): four rows
 * at a time, vectorized along k when x is contiguous (sx == 4), scalar otherwise.
 */
export function gemv_n(
  len: i32, k: i32, alpha: f32, x: usize, sx: usize, mat: usize, ldm: i32, beta: f32, out: usize, so: usize,
): void {
  const rowM = <usize>ldm << 2;
  let j = 0;
  for (; j + 4 <= len; j += 4) {
    const m0 = mat + <usize>j * rowM, m1 = m0 + rowM, m2 = m1 + rowM, m3 = m2 + rowM;
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    let p = 0;
    if (ASC_FEATURE_SIMD) {
      if (sx == 4) {
        let v0 = f32x4.splat(0), v1 = f32x4.splat(0), v2 = f32x4.splat(0), v3 = f32x4.splat(0);
        for (; p + 4 <= k; p += 4) {
          const o = <usize>p << 2;
          const xv = v128.load(x + o);
          v0 = fmadd(v128.load(m0 + o), xv, v0);
          v1 = fmadd(v128.load(m1 + o), xv, v1);
          v2 = fmadd(v128.load(m2 + o), xv, v2);
          v3 = fmadd(v128.load(m3 + o), xv, v3);
        }
        s0 = hsum(v0); s1 = hsum(v1); s2 = hsum(v2); s3 = hsum(v3);
      }
    }
    for (; p < k; p++) {
      const o = <usize>p << 2;
      const xv = load<f32>(x + <usize>p * sx);
      s0 += load<f32>(m0 + o) * xv; s1 += load<f32>(m1 + o) * xv;
      s2 += load<f32>(m2 + o) * xv; s3 += load<f32>(m3 + o) * xv;
    }
    const po = out + <usize>j * so;
    store_c(po, s0, alpha, beta); store_c(po + so, s1, alpha, beta);
    store_c(po + 2 * so, s2, alpha, beta); store_c(po + 3 * so, s3, alpha, beta);
  }
  for (; j < len; j++) {
    const mj = mat + <usize>j * rowM;
    let acc: f32 = 0;
    for (let p = 0; p < k; p++) acc += load<f32>(mj + (<usize>p << 2)) * load<f32>(x + <usize>p * sx);
    store_c(out + <usize>j * so, acc, alpha, beta);
  }
}

/** out = alpha·s + beta·out; beta == 0 does not read out. */
// @ts-ignore: decorator
@inline function store_c(po: usize, s: f32, alpha: f32, beta: f32): void {
  store<f32>(po, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(po));
}

/** Four results alpha·v (+ beta·out) at out, out + so, out + 2·so, out + 3·so (one v128 store when so == 4). */
// @ts-ignore: decorator
@inline function store4(po: usize, so: usize, v: v128, alpha: f32, beta: f32): void {
  const r = f32x4.mul(f32x4.splat(alpha), v);
  if (so == 4) {
    v128.store(po, beta == 0 ? r : fmadd(f32x4.splat(beta), v128.load(po), r));
  } else {
    store_c(po, f32x4.extract_lane(v, 0), alpha, beta);
    store_c(po + so, f32x4.extract_lane(v, 1), alpha, beta);
    store_c(po + 2 * so, f32x4.extract_lane(v, 2), alpha, beta);
    store_c(po + 3 * so, f32x4.extract_lane(v, 3), alpha, beta);
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}
