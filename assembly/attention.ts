// Scaled dot-product attention, fused: scores → mask → softmax → ·V per block of query rows; and its backward
// from the saved log-sum-exp (attention_backward_f32, in the section at the end).
//
// Layout: every operand is a contiguous stack of heads, [h, T, d] row-major f32 (row stride d):
//   q [h, tq, d], k [h, tk, d], v [h, tk, d], out [h, tq, d]; lse (optional) [h, tq].
// h, tq, tk, d >= 0; scale finite and > 0 (usually 1/√d). Pointers are byte offsets into linear memory.
// Causal masking (causal != 0) follows softmax.ts: query i sees key j <= i + (tk − tq), so for tq == tk it is
// j <= i, and with tq < tk the queries are the last tq positions of the sequence (decoding with a KV cache).
// A query that sees no key (only possible when tq > tk) gets a zero output row and lse = −Infinity.
//
// Fusion: for each head, query rows are taken BR at a time. The block's scores (BR × at most tk) go into
// scratch, each row is masked and soft-maxed in place and multiplied by V, and the block moves on, so the
// forward pass never holds a tq×tk matrix. Under the causal mask the keys past the last visible key of a
// block are never touched, and inside the block each row reads only its own visible keys (about half the
// work of the unmasked case).
//
// The products are own SIMD loops, not gemm_f32. Per head d is small (16–64): Q·Kᵀ is short dot products of
// contiguous rows and P·V an accumulation of V rows, neither needs packing, and two query rows share every
// K and V load. Measured against the same blocking with gemm_f32 (packed 2026-11 version) for both
// products, single thread, h·T·d from 4·256·64 to 1·2048·64, causal and not: within ±5% of each other
// (17–20 GFLOP/s at d = 64, 10 at d = 16 where the exps dominate). Own loops keep the stronger contract
// (masked keys are never read, not even inside the diagonal block) and need no extra scratch.

import { fmadd } from "./simd";
import { softmax_row_f32, visible_cols } from "./softmax";
import { dot_f32, fill_f32 } from "./blas";
import { exp_v128, exp_scalar } from "./vmath";

/** Query rows per fused block. 16 rows × tk scores stay in L2 for the sequence lengths of this project. */
const BR: i32 = 16;

/** Bytes of scratch attention_f32 needs for keys of length tk and head size d (16-byte multiple). */
export function attention_scratch_bytes(tk: i32, d: i32): usize {
  return (<usize>BR * <usize>max(tk, 1) * 4 + 15) & ~<usize>15;
}

/** Lane r of the result is the horizontal sum of a_r (a 4×4 transpose folded into the adds). */
// @ts-ignore: decorator
@inline function hsum4x4(a0: v128, a1: v128, a2: v128, a3: v128): v128 {
  const u01 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const u23 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u01, u23, 0, 1, 4, 5), v128.shuffle<f32>(u01, u23, 2, 3, 6, 7));
}

/** Column p of four key rows gathered into one vector (for the ragged d % 4 columns). */
// @ts-ignore: decorator
@inline function gather4(k0: usize, k1: usize, k2: usize, k3: usize, o: usize): v128 {
  let kv = f32x4.splat(load<f32>(k0 + o));
  kv = f32x4.replace_lane(kv, 1, load<f32>(k1 + o));
  kv = f32x4.replace_lane(kv, 2, load<f32>(k2 + o));
  return f32x4.replace_lane(kv, 3, load<f32>(k3 + o));
}

/**
 * s[j] = scale·⟨qrow, k_j⟩ for j0 <= j < nk, k holding key rows of stride d. Four keys at a time: four vector
 * accumulators run along d, then a transpose-add turns them into the four sums in one vector.
 */
function scores_range(j0: i32, nk: i32, d: i32, qrow: usize, k: usize, s: usize, scale: f32): void {
  let j = j0;
  const rowBytes = <usize>d << 2;
  if (ASC_FEATURE_SIMD) {
    const vscale = f32x4.splat(scale);
    for (; j + 4 <= nk; j += 4) {
      const k0 = k + <usize>j * rowBytes, k1 = k0 + rowBytes, k2 = k1 + rowBytes, k3 = k2 + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= d; p += 4) {
        const o = <usize>p << 2;
        const qv = v128.load(qrow + o);
        a0 = fmadd(qv, v128.load(k0 + o), a0);
        a1 = fmadd(qv, v128.load(k1 + o), a1);
        a2 = fmadd(qv, v128.load(k2 + o), a2);
        a3 = fmadd(qv, v128.load(k3 + o), a3);
      }
      let r = hsum4x4(a0, a1, a2, a3);
      for (; p < d; p++) {
        const o = <usize>p << 2;
        r = fmadd(v128.load32_splat(qrow + o), gather4(k0, k1, k2, k3, o), r);
      }
      v128.store(s + (<usize>j << 2), f32x4.mul(r, vscale));
    }
  }
  for (; j < nk; j++) {
    store<f32>(s + (<usize>j << 2), scale * dot_f32(d, qrow, k + <usize>j * rowBytes));
  }
}

/**
 * Scores of two query rows (q0 sees nk0 keys, q1 sees nk1): the keys both see are done together, so each
 * key vector loaded feeds two rows (8 accumulators); the rest row by row through scores_range.
 */
function scores_2rows(
  nk0: i32, nk1: i32, d: i32, q0: usize, q1: usize, k: usize, s0: usize, s1: usize, scale: f32,
): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const rowBytes = <usize>d << 2;
    const vscale = f32x4.splat(scale);
    const nj = min(nk0, nk1);
    for (; j + 4 <= nj; j += 4) {
      const k0 = k + <usize>j * rowBytes, k1 = k0 + rowBytes, k2 = k1 + rowBytes, k3 = k2 + rowBytes;
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      let p = 0;
      for (; p + 4 <= d; p += 4) {
        const o = <usize>p << 2;
        const qa = v128.load(q0 + o), qb = v128.load(q1 + o);
        let kv = v128.load(k0 + o);
        a0 = fmadd(qa, kv, a0);
        b0 = fmadd(qb, kv, b0);
        kv = v128.load(k1 + o);
        a1 = fmadd(qa, kv, a1);
        b1 = fmadd(qb, kv, b1);
        kv = v128.load(k2 + o);
        a2 = fmadd(qa, kv, a2);
        b2 = fmadd(qb, kv, b2);
        kv = v128.load(k3 + o);
        a3 = fmadd(qa, kv, a3);
        b3 = fmadd(qb, kv, b3);
      }
      let ra = hsum4x4(a0, a1, a2, a3), rb = hsum4x4(b0, b1, b2, b3);
      for (; p < d; p++) {
        const o = <usize>p << 2;
        const kv = gather4(k0, k1, k2, k3, o);
        ra = fmadd(v128.load32_splat(q0 + o), kv, ra);
        rb = fmadd(v128.load32_splat(q1 + o), kv, rb);
      }
      v128.store(s0 + (<usize>j << 2), f32x4.mul(ra, vscale));
      v128.store(s1 + (<usize>j << 2), f32x4.mul(rb, vscale));
    }
  }
  scores_range(j, nk0, d, q0, k, s0, scale);
  scores_range(j, nk1, d, q1, k, s1, scale);
}

/** orow[c] = Σ_{j<nk} p[j]·v[j, c] for one column c (the ragged columns, and the scalar build). */
// @ts-ignore: decorator
@inline function pv_col(nk: i32, d: i32, c: i32, p: usize, v: usize, orow: usize): void {
  const rowBytes = <usize>d << 2;
  let a: f32 = 0;
  let vr = v + (<usize>c << 2);
  for (let j = 0; j < nk; j++, vr += rowBytes) a += load<f32>(p + (<usize>j << 2)) * load<f32>(vr);
  store<f32>(orow + (<usize>c << 2), a);
}

/**
 * o0 = p0·V over the first nk0 rows of V, o1 = p1·V over nk1 rows (V row stride d; nk = 0 writes zeros).
 * Columns go 16 (then 4) at a time with both rows' partial sums in registers across all keys: every V
 * vector loaded feeds two rows, and each output element is stored once. Call with o1 == 0 for a lone row.
 */
function pv_2rows(nk0: i32, nk1: i32, d: i32, p0: usize, p1: usize, v: usize, o0: usize, o1: usize): void {
  let c = 0;
  const rowBytes = <usize>d << 2;
  const two = o1 != 0;
  if (!two) nk1 = 0;
  if (ASC_FEATURE_SIMD) {
    const nj = min(nk0, nk1);
    for (; c + 16 <= d; c += 16) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      const vc = v + (<usize>c << 2);
      let j = 0;
      for (; j < nj; j++) {
        const vr = vc + <usize>j * rowBytes;
        const pa = v128.load32_splat(p0 + (<usize>j << 2)), pb = v128.load32_splat(p1 + (<usize>j << 2));
        let x = v128.load(vr);
        a0 = fmadd(pa, x, a0);
        b0 = fmadd(pb, x, b0);
        x = v128.load(vr, 16);
        a1 = fmadd(pa, x, a1);
        b1 = fmadd(pb, x, b1);
        x = v128.load(vr, 32);
        a2 = fmadd(pa, x, a2);
        b2 = fmadd(pb, x, b2);
        x = v128.load(vr, 48);
        a3 = fmadd(pa, x, a3);
        b3 = fmadd(pb, x, b3);
      }
      // Keys only one of the rows sees.
      for (let jj = j; jj < nk0; jj++) {
        const vr = vc + <usize>jj * rowBytes;
        const pa = v128.load32_splat(p0 + (<usize>jj << 2));
        a0 = fmadd(pa, v128.load(vr), a0);
        a1 = fmadd(pa, v128.load(vr, 16), a1);
        a2 = fmadd(pa, v128.load(vr, 32), a2);
        a3 = fmadd(pa, v128.load(vr, 48), a3);
      }
      for (let jj = j; jj < nk1; jj++) {
        const vr = vc + <usize>jj * rowBytes;
        const pb = v128.load32_splat(p1 + (<usize>jj << 2));
        b0 = fmadd(pb, v128.load(vr), b0);
        b1 = fmadd(pb, v128.load(vr, 16), b1);
        b2 = fmadd(pb, v128.load(vr, 32), b2);
        b3 = fmadd(pb, v128.load(vr, 48), b3);
      }
      const oa = o0 + (<usize>c << 2);
      v128.store(oa, a0);
      v128.store(oa, a1, 16);
      v128.store(oa, a2, 32);
      v128.store(oa, a3, 48);
      if (two) {
        const ob = o1 + (<usize>c << 2);
        v128.store(ob, b0);
        v128.store(ob, b1, 16);
        v128.store(ob, b2, 32);
        v128.store(ob, b3, 48);
      }
    }
    for (; c + 4 <= d; c += 4) {
      let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
      const vc = v + (<usize>c << 2);
      let j = 0;
      for (; j < nj; j++) {
        const x = v128.load(vc + <usize>j * rowBytes);
        a0 = fmadd(v128.load32_splat(p0 + (<usize>j << 2)), x, a0);
        b0 = fmadd(v128.load32_splat(p1 + (<usize>j << 2)), x, b0);
      }
      for (let jj = j; jj < nk0; jj++) {
        a0 = fmadd(v128.load32_splat(p0 + (<usize>jj << 2)), v128.load(vc + <usize>jj * rowBytes), a0);
      }
      for (let jj = j; jj < nk1; jj++) {
        b0 = fmadd(v128.load32_splat(p1 + (<usize>jj << 2)), v128.load(vc + <usize>jj * rowBytes), b0);
      }
      v128.store(o0 + (<usize>c << 2), a0);
      if (two) v128.store(o1 + (<usize>c << 2), b0);
    }
  }
  for (; c < d; c++) {
    pv_col(nk0, d, c, p0, v, o0);
    if (two) pv_col(nk1, d, c, p1, v, o1);
  }
}

/**
 * out = softmax(mask(Q·Kᵀ·scale))·V per head, fused per block of BR query rows (see the header).
 * lse: 0, or a pointer to [h, tq] floats that receive each row's log-sum-exp of the scaled, masked scores
 * (the backward pass recomputes P = exp(S − lse) from it). scratch: attention_scratch_bytes(tk, d) bytes,
 * 16-byte aligned, not overlapping any operand. out must not overlap q, k or v.
 */
export function attention_f32(
  h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, v: usize, out: usize,
  scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  const qHead = <usize>tq * <usize>d << 2;
  const kHead = <usize>tk * <usize>d << 2;
  const rowBytes = <usize>d << 2;
  for (let hh = 0; hh < h; hh++) {
    const qh = q + <usize>hh * qHead, oh = out + <usize>hh * qHead;
    const kh = k + <usize>hh * kHead, vh = v + <usize>hh * kHead;
    for (let i0 = 0; i0 < tq; i0 += BR) {
      const i1 = min(i0 + BR, tq);
      // Keys visible to the block's last (most-seeing) row; keys from kext on are masked for the whole
      // block and never read. The block's score rows are packed with stride kext.
      const kext = visible_cols(i1 - 1, tq, tk, causal);
      const ldS = <usize>kext << 2;
      // Rows go in pairs so that each K and V vector loaded serves two queries.
      for (let i = i0; i < i1; i += 2) {
        const s0 = scratch + <usize>(i - i0) * ldS, q0 = qh + <usize>i * rowBytes;
        const cv0 = visible_cols(i, tq, tk, causal);
        if (i + 1 < i1) {
          scores_2rows(cv0, visible_cols(i + 1, tq, tk, causal), d, q0, q0 + rowBytes, kh, s0, s0 + ldS, scale);
        } else {
          scores_range(0, cv0, d, q0, kh, s0, scale);
        }
      }
      for (let i = i0; i < i1; i++) {
        const cv = visible_cols(i, tq, tk, causal);
        const srow = scratch + <usize>(i - i0) * ldS;
        // Only the cv visible scores are soft-maxed (cols = cv): masked entries are neither read nor needed.
        const l = softmax_row_f32(cv, cv, srow, srow, 1, lse != 0);
        if (lse) store<f32>(lse + ((<usize>hh * <usize>tq + <usize>i) << 2), l);
      }
      for (let i = i0; i < i1; i += 2) {
        const s0 = scratch + <usize>(i - i0) * ldS, o0 = oh + <usize>i * rowBytes;
        const cv0 = visible_cols(i, tq, tk, causal);
        if (i + 1 < i1) {
          pv_2rows(cv0, visible_cols(i + 1, tq, tk, causal), d, s0, s0 + ldS, vh, o0, o0 + rowBytes);
        } else {
          pv_2rows(cv0, 0, d, s0, 0, vh, o0, 0);
        }
      }
    }
  }
}

/**
 * The full scaled scores, for inspection and tests: out[hh, i, j] = scale·⟨q_i, k_j⟩ for visible j, −Infinity
 * for causally masked j. out is [h, tq, tk]; softmax_f32 over its rows (invT = 1) gives the attention weights.
 */
export function attention_scores_f32(
  h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, out: usize, scale: f32, causal: i32,
): void {
  const rowBytes = <usize>d << 2;
  for (let hh = 0; hh < h; hh++) {
    const qh = q + (<usize>hh * <usize>tq) * rowBytes;
    const kh = k + (<usize>hh * <usize>tk) * rowBytes;
    for (let i = 0; i < tq; i++) {
      const cv = visible_cols(i, tq, tk, causal);
      const orow = out + ((<usize>hh * <usize>tq + <usize>i) * <usize>tk << 2);
      scores_range(0, cv, d, qh + <usize>i * rowBytes, kh, orow, scale);
      fill_f32(tk - cv, -Infinity, orow + (<usize>cv << 2));
    }
  }
}

// ---- backward ----
//
// FlashAttention-style: nothing of size tq×tk is kept from the forward. From the saved per-row log-sum-exp the
// weights are recomputed per block of BR query rows, with the same score code (and so the same bits) as the
// forward:
//   P_ij = exp(S_ij − lse_i), S = Q·Kᵀ·scale (visible j only), D_i = Σ_c dO_ic·O_ic,
//   dP = dO·Vᵀ, dS = P ⊙ (dP − D), dQ = dS·K·scale, dK = dSᵀ·Q·scale, dV = Pᵀ·dO.
// Per block the scratch holds P and dS·scale, (block rows) × kext each, with kext the keys visible to the
// block's last row: keys from kext on are masked for the whole block and are never read. Inside the block,
// the entries of row i past its own visible keys are set to 0, so the transposed products (dK, dV) run over
// all rows of the block without a mask (and skip, under the causal mask, the leading rows that see none of
// the two keys at hand). dQ rows are complete after their block; dK and dV accumulate over the blocks.

/** Rows of the blocks attention_backward_f32 works on: BR, or fewer when tq is smaller. */
// @ts-ignore: decorator
@inline function backward_block_rows(tq: i32): i32 {
  return min(max(tq, 1), BR);
}

/** Bytes of scratch attention_backward_f32 needs (two blocks of up to BR × tk floats; 16-byte multiple). */
export function attention_backward_scratch_bytes(tq: i32, tk: i32, d: i32): usize {
  return (<usize>2 * <usize>backward_block_rows(tq) * <usize>max(tk, 1) * 4 + 15) & ~<usize>15;
}

/**
 * o0[c] += Σ_{r0 <= r < nr} s0[r·ldS]·x[r, c] and the same for o1 with s1, for c < d: two columns of a block
 * (stride ldS bytes) times the block's rows of x (stride d), added to two output rows. o1 == 0: one column.
 * Columns go 16 (then 4) at a time with both outputs' sums in registers across all rows, so each x vector
 * loaded feeds two keys.
 */
function acc_t_2cols(
  r0: i32, nr: i32, d: i32, s0: usize, s1: usize, ldS: usize, x: usize, o0: usize, o1: usize,
): void {
  let c = 0;
  const rowBytes = <usize>d << 2;
  const two = o1 != 0;
  if (!two) s1 = s0;
  if (ASC_FEATURE_SIMD) {
    for (; c + 16 <= d; c += 16) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      const xc = x + (<usize>c << 2);
      for (let r = r0; r < nr; r++) {
        const xr = xc + <usize>r * rowBytes;
        const pa = v128.load32_splat(s0 + <usize>r * ldS), pb = v128.load32_splat(s1 + <usize>r * ldS);
        let xv = v128.load(xr);
        a0 = fmadd(pa, xv, a0);
        b0 = fmadd(pb, xv, b0);
        xv = v128.load(xr, 16);
        a1 = fmadd(pa, xv, a1);
        b1 = fmadd(pb, xv, b1);
        xv = v128.load(xr, 32);
        a2 = fmadd(pa, xv, a2);
        b2 = fmadd(pb, xv, b2);
        xv = v128.load(xr, 48);
        a3 = fmadd(pa, xv, a3);
        b3 = fmadd(pb, xv, b3);
      }
      const oa = o0 + (<usize>c << 2);
      v128.store(oa, f32x4.add(v128.load(oa), a0));
      v128.store(oa, f32x4.add(v128.load(oa, 16), a1), 16);
      v128.store(oa, f32x4.add(v128.load(oa, 32), a2), 32);
      v128.store(oa, f32x4.add(v128.load(oa, 48), a3), 48);
      if (two) {
        const ob = o1 + (<usize>c << 2);
        v128.store(ob, f32x4.add(v128.load(ob), b0));
        v128.store(ob, f32x4.add(v128.load(ob, 16), b1), 16);
        v128.store(ob, f32x4.add(v128.load(ob, 32), b2), 32);
        v128.store(ob, f32x4.add(v128.load(ob, 48), b3), 48);
      }
    }
    for (; c + 4 <= d; c += 4) {
      let a0 = f32x4.splat(0), b0 = f32x4.splat(0);
      const xc = x + (<usize>c << 2);
      for (let r = r0; r < nr; r++) {
        const xv = v128.load(xc + <usize>r * rowBytes);
        a0 = fmadd(v128.load32_splat(s0 + <usize>r * ldS), xv, a0);
        b0 = fmadd(v128.load32_splat(s1 + <usize>r * ldS), xv, b0);
      }
      const oa = o0 + (<usize>c << 2);
      v128.store(oa, f32x4.add(v128.load(oa), a0));
      if (two) {
        const ob = o1 + (<usize>c << 2);
        v128.store(ob, f32x4.add(v128.load(ob), b0));
      }
    }
  }
  for (; c < d; c++) {
    let a: f32 = 0, b: f32 = 0;
    let xr = x + (<usize>c << 2) + <usize>r0 * rowBytes;
    for (let r = r0; r < nr; r++, xr += rowBytes) {
      const xv = load<f32>(xr);
      a += load<f32>(s0 + <usize>r * ldS) * xv;
      b += load<f32>(s1 + <usize>r * ldS) * xv;
    }
    const o = <usize>c << 2;
    store<f32>(o0 + o, load<f32>(o0 + o) + a);
    if (two) store<f32>(o1 + o, load<f32>(o1 + o) + b);
  }
}

/**
 * One row of the block: p[j] = exp(p[j] − l) (p holds the scores S on entry) and ds[j] = scale·p[j]·(ds[j] − dd)
 * (ds holds dP on entry) for j < cv; both set to 0 for cv <= j < kext.
 */
function weights_row(cv: i32, kext: i32, p: usize, ds: usize, l: f32, dd: f32, scale: f32): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vl = f32x4.splat(l), vd = f32x4.splat(dd), vs = f32x4.splat(scale);
    for (; j + 4 <= cv; j += 4) {
      const o = <usize>j << 2;
      const pv = exp_v128(f32x4.sub(v128.load(p + o), vl));
      v128.store(p + o, pv);
      v128.store(ds + o, f32x4.mul(f32x4.mul(pv, vs), f32x4.sub(v128.load(ds + o), vd)));
    }
  }
  for (; j < cv; j++) {
    const o = <usize>j << 2;
    const pv = exp_scalar(load<f32>(p + o) - l);
    store<f32>(p + o, pv);
    store<f32>(ds + o, (pv * scale) * (load<f32>(ds + o) - dd));
  }
  fill_f32(kext - cv, 0, p + (<usize>cv << 2));
  fill_f32(kext - cv, 0, ds + (<usize>cv << 2));
}

/**
 * Gradients of attention_f32 (same layout, scale and causal rule) w.r.t. q, k and v, given out and lse saved by
 * the forward and dout = dL/d(out) [h, tq, d]. dq [h, tq, d], dk and dv [h, tk, d] are OVERWRITTEN.
 * Query rows that see no key (lse = −Infinity) contribute nothing and get dq = 0.
 * scratch: attention_backward_scratch_bytes(tq, tk, d) bytes, not overlapping any operand; dq, dk, dv must not
 * overlap each other or the inputs.
 */
export function attention_backward_f32(
  h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, v: usize, out: usize, dout: usize, lse: usize,
  dq: usize, dk: usize, dv: usize, scale: f32, causal: i32, scratch: usize,
): void {
  const qHead = <usize>tq * <usize>d << 2;
  const kHead = <usize>tk * <usize>d << 2;
  const rowBytes = <usize>d << 2;
  const br = backward_block_rows(tq);
  const dsBlock = scratch + <usize>br * <usize>max(tk, 1) * 4;
  for (let hh = 0; hh < h; hh++) {
    const qh = q + <usize>hh * qHead, oh = out + <usize>hh * qHead, doh = dout + <usize>hh * qHead;
    const dqh = dq + <usize>hh * qHead;
    const kh = k + <usize>hh * kHead, vh = v + <usize>hh * kHead;
    const dkh = dk + <usize>hh * kHead, dvh = dv + <usize>hh * kHead;
    const lh = lse + (<usize>hh * <usize>tq << 2);
    fill_f32(tk * d, 0, dkh);
    fill_f32(tk * d, 0, dvh);
    for (let i0 = 0; i0 < tq; i0 += br) {
      const i1 = min(i0 + br, tq);
      const nr = i1 - i0;
      const kext = visible_cols(i1 - 1, tq, tk, causal);
      const ldS = <usize>kext << 2;
      // S into the P block and dP = dO·Vᵀ into the dS block, two rows at a time (as the forward pairs them).
      for (let i = i0; i < i1; i += 2) {
        const r = <usize>(i - i0) * ldS, q0 = qh + <usize>i * rowBytes, g0 = doh + <usize>i * rowBytes;
        const cv0 = visible_cols(i, tq, tk, causal);
        if (i + 1 < i1) {
          const cv1 = visible_cols(i + 1, tq, tk, causal);
          scores_2rows(cv0, cv1, d, q0, q0 + rowBytes, kh, scratch + r, scratch + r + ldS, scale);
          scores_2rows(cv0, cv1, d, g0, g0 + rowBytes, vh, dsBlock + r, dsBlock + r + ldS, 1);
        } else {
          scores_range(0, cv0, d, q0, kh, scratch + r, scale);
          scores_range(0, cv0, d, g0, vh, dsBlock + r, 1);
        }
      }
      for (let i = i0; i < i1; i++) {
        const r = <usize>(i - i0) * ldS;
        const cv = visible_cols(i, tq, tk, causal);
        const dd = dot_f32(d, doh + <usize>i * rowBytes, oh + <usize>i * rowBytes);
        weights_row(cv, kext, scratch + r, dsBlock + r, load<f32>(lh + (<usize>i << 2)), dd, scale);
      }
      // dQ rows of the block = (dS·scale)·K over each row's visible keys.
      for (let i = i0; i < i1; i += 2) {
        const r = <usize>(i - i0) * ldS, o0 = dqh + <usize>i * rowBytes;
        const cv0 = visible_cols(i, tq, tk, causal);
        if (i + 1 < i1) {
          pv_2rows(cv0, visible_cols(i + 1, tq, tk, causal), d, dsBlock + r, dsBlock + r + ldS, kh, o0, o0 + rowBytes);
        } else {
          pv_2rows(cv0, 0, d, dsBlock + r, 0, kh, o0, 0);
        }
      }
      // dK += (dS·scale)ᵀ·Q and dV += Pᵀ·dO over the block's rows, two keys at a time. Under the causal mask,
      // rows before the first that sees key j hold zeros for it and are skipped.
      const qb = qh + <usize>i0 * rowBytes, gb = doh + <usize>i0 * rowBytes;
      for (let j = 0; j < kext; j += 2) {
        const r0 = causal ? min(max(j - (tk - tq) - i0, 0), nr) : 0;
        const jo = <usize>j << 2;
        const two = j + 1 < kext;
        const dk0 = dkh + <usize>j * rowBytes, dv0 = dvh + <usize>j * rowBytes;
        acc_t_2cols(r0, nr, d, dsBlock + jo, dsBlock + jo + 4, ldS, qb, dk0, two ? dk0 + rowBytes : 0);
        acc_t_2cols(r0, nr, d, scratch + jo, scratch + jo + 4, ldS, gb, dv0, two ? dv0 + rowBytes : 0);
      }
    }
  }
}
