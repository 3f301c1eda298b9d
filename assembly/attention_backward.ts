// Scaled dot-product attention, backward: the gradients w.r.t. Q, K and V of attention_rows_f32, in the same
// token-major layout with row strides. Q, K, V are read in place where the forward read them (the columns of the
// saved fused projection), O and dO from their rows, and dQ, dK, dV are written into the columns of their rows
// (the columns of one fused gradient dqkv [B·T, 3·h·d]): no head split or merge copy.
//
// Work ranges (for threads): a call computes the (sequence, head) pairs [p0, p1) (pair = sequence·h + head). dK and
// dV of a key sum over every query row that sees it, so the split is by whole pairs, never by query rows: each
// pair's dQ, dK and dV are computed by one call, in the same block order whatever the range, and so any split
// over calls gives the bits of one call. Each call needs its own scratch.
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

import { visible_cols } from "./softmax";
import { dot_f32, fill_f32 } from "./blas";
import { exp_v128, exp_scalar } from "./vmath";
import { fmadd } from "./simd";
import { BR, pv_2rows, scores_2rows, scores_range } from "./attention_rowpairs";
import { SMALL_TQ, pack_keys, pack_q, round8 } from "./attention_forward";
import { tile_4x8 } from "./tile";

/** Rows of the blocks attention_rows_backward_f32 works on: BR, or fewer when tq is smaller. */
// @ts-ignore: decorator
@inline function backward_block_rows(tq: i32): i32 {
  return min(max(tq, 1), BR);
}

/**
 * Bytes of scratch attention_rows_backward_f32 needs per call (16-byte multiple): the P and dS blocks (up to BR
 * rows of round8(tk) floats each) and, for the tiled scores, Kᵀ and Vᵀ in tiles [d, round8(tk)], the group's
 * packed Q and dO [round8(d), 4] and a spare row of round8(tk) for a short group's missing rows.
 */
export function attention_rows_backward_scratch_bytes(tq: i32, tk: i32, d: i32): usize {
  const tkp = <usize>round8(tk), d8 = <usize>round8(d), dd = <usize>max(d, 0);
  return ((<usize>2 * <usize>backward_block_rows(tq) * tkp + 2 * dd * tkp + 8 * d8 + tkp) * 4 + 15) & ~<usize>15;
}

/**
 * S = Q·Kᵀ·scale into the P block and dP = dO·Vᵀ into the dS block for block rows [i0, i1), four rows at a time
 * through the 4×8 register tile (tile.ts) on Kᵀ and Vᵀ packed once per head (kt, vt as pack_keys lays them out),
 * for the keys [0, kext) rounded up to whole tiles of 8 (zero keys past tk; the caller never reads past kext).
 * Each score is the forward tile path's (attention_forward.ts: the same pack_q with the scale folded into Q, one
 * accumulator along d), so P is recomputed from the very S the forward's lse came from. Rows past i1 in the last
 * group repeat its last row and are stored to `spare`.
 */
function scores_tiled(
  i0: i32, i1: i32, kext: i32, d: i32, qh: usize, ldqB: usize, gh: usize, ldgB: usize, kt: usize, vt: usize,
  qp: usize, gp: usize, pBlock: usize, dsBlock: usize, ldS: usize, spare: usize, scale: f32,
): void {
  if (!ASC_FEATURE_SIMD) return;
  const one = f32x4.splat(1);
  const tileB = <usize>d << 5;
  for (let i = i0; i < i1; i += 4) {
    const nr = min(4, i1 - i);
    const n1 = <usize>min(1, nr - 1), n2 = <usize>min(2, nr - 1), n3 = <usize>min(3, nr - 1);
    const q0 = qh + <usize>i * ldqB, g0 = gh + <usize>i * ldgB;
    pack_q(d, q0, q0 + n1 * ldqB, q0 + n2 * ldqB, q0 + n3 * ldqB, qp, scale);
    pack_q(d, g0, g0 + n1 * ldgB, g0 + n2 * ldgB, g0 + n3 * ldgB, gp, 1);
    const r = <usize>(i - i0) * ldS;
    const p0 = pBlock + r, p1 = nr > 1 ? p0 + ldS : spare, p2 = nr > 2 ? p0 + 2 * ldS : spare, p3 = nr > 3 ? p0 + 3 * ldS : spare;
    const s0 = dsBlock + r, s1 = nr > 1 ? s0 + ldS : spare, s2 = nr > 2 ? s0 + 2 * ldS : spare, s3 = nr > 3 ? s0 + 3 * ldS : spare;
    let kj = kt, vj = vt;
    for (let j = 0; j < kext; j += 8, kj += tileB, vj += tileB) {
      const o = <usize>j << 2;
      tile_4x8(2, false, false, d, d, d, d, qp, kj, p0 + o, p1 + o, p2 + o, p3 + o, one, one, one, one, 0);
      tile_4x8(2, false, false, d, d, d, d, gp, vj, s0 + o, s1 + o, s2 + o, s3 + o, one, one, one, one, 0);
    }
  }
}

/**
 * o0[c] += Σ_{r0 <= r < nr} s0[r·ldS]·x[r, c] and the same for o1 with s1, for c < d: two columns of a block
 * (stride ldS bytes) times the block's rows of x (stride ldxB bytes), added to two output rows. o1 == 0: one column.
 * Columns go 16 (then 4) at a time with both outputs' sums in registers across all rows, so each x vector
 * loaded feeds two keys.
 */
function acc_t_2cols(
  r0: i32, nr: i32, d: i32, s0: usize, s1: usize, ldS: usize, x: usize, ldxB: usize, o0: usize, o1: usize,
): void {
  let c = 0;
  const rowBytes = ldxB;
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


/** Zero n rows of d floats, ldB bytes apart. */
function zero_rows(n: i32, d: i32, p: usize, ldB: usize): void {
  for (let r = 0; r < n; r++) fill_f32(d, 0, p + <usize>r * ldB);
}

/**
 * Gradients of attention_rows_f32 (same layout, strides, scale and causal rule) w.r.t. q, k and v, given out and
 * lse saved by the forward and dout = dL/d(out) (rows like out's, stride lddo). dq (rows like q's), dk and dv (rows
 * like k's and v's) are OVERWRITTEN for the pairs [p0, p1) (see the header; 0, b·h for all). Strides in floats.
 * Query rows that see no key (lse = −Infinity) contribute nothing and get dq = 0.
 * scratch: attention_rows_backward_scratch_bytes(tq, tk, d) bytes, not overlapping any operand; dq, dk, dv must not
 * overlap each other or the inputs (other heads' columns of the same rows excepted: those are other pairs').
 */
export function attention_rows_backward_f32(
  b: i32, h: i32, tq: i32, tk: i32, d: i32, q: usize, ldq: i32, k: usize, ldk: i32, v: usize, ldv: i32,
  out: usize, ldo: i32, dout: usize, lddo: i32, lse: usize, dq: usize, lddq: i32, dk: usize, lddk: i32,
  dv: usize, lddv: i32, scale: f32, causal: i32, scratch: usize, p0: i32, p1: i32,
): void {
  const ldqB = <usize>ldq << 2, ldkB = <usize>ldk << 2, ldvB = <usize>ldv << 2, ldoB = <usize>ldo << 2;
  const lddoB = <usize>lddo << 2, lddqB = <usize>lddq << 2, lddkB = <usize>lddk << 2, lddvB = <usize>lddv << 2;
  const hdB = <usize>d << 2;
  const br = backward_block_rows(tq);
  const tkp = <usize>round8(tk), d8 = <usize>round8(d);
  const dsBlock = scratch + <usize>br * tkp * 4;
  // The tiled scores (SIMD builds, from SMALL_TQ rows on, as the forward picks its tile path): Kᵀ, Vᵀ, packed rows.
  const tiled = ASC_FEATURE_SIMD && tq >= SMALL_TQ;
  const kt = dsBlock + <usize>br * tkp * 4;
  const vt = kt + <usize>max(d, 0) * tkp * 4;
  const qp = vt + <usize>max(d, 0) * tkp * 4;
  const gp = qp + (d8 << 4);
  const spare = gp + (d8 << 4);
  const pEnd = min(p1, b * h);
  for (let p = max(p0, 0); p < pEnd; p++) {
    const bi = p / h, hh = p % h;
    const ho = <usize>hh * hdB;
    const qRow0 = <usize>bi * <usize>tq, kRow0 = <usize>bi * <usize>tk;
    const qh = q + qRow0 * ldqB + ho, oh = out + qRow0 * ldoB + ho, doh = dout + qRow0 * lddoB + ho;
    const dqh = dq + qRow0 * lddqB + ho;
    const kh = k + kRow0 * ldkB + ho, vh = v + kRow0 * ldvB + ho;
    const dkh = dk + kRow0 * lddkB + ho, dvh = dv + kRow0 * lddvB + ho;
    const lh = lse + (<usize>p * <usize>tq << 2);
    zero_rows(tk, d, dkh, lddkB);
    zero_rows(tk, d, dvh, lddvB);
    if (tiled) {
      // Only the keys the last query row sees (the rest are masked for every row).
      const kvis = visible_cols(tq - 1, tq, tk, causal);
      pack_keys(kvis, d, kh, ldkB, kt);
      pack_keys(kvis, d, vh, ldvB, vt);
    }
    for (let i0 = 0; i0 < tq; i0 += br) {
      const i1 = min(i0 + br, tq);
      const nr = i1 - i0;
      const kext = visible_cols(i1 - 1, tq, tk, causal);
      // Rows of whole tiles of 8 keys (the tiled scores store 8 at a time; entries past kext are never read).
      const ldS = <usize>round8(kext) << 2;
      // S into the P block and dP = dO·Vᵀ into the dS block: four rows at a time in tiles, or two rows at a time
      // (as the forward's direct path pairs them).
      if (tiled) scores_tiled(i0, i1, kext, d, qh, ldqB, doh, lddoB, kt, vt, qp, gp, scratch, dsBlock, ldS, spare, scale);
      else for (let i = i0; i < i1; i += 2) {
        const r = <usize>(i - i0) * ldS, q0 = qh + <usize>i * ldqB, g0 = doh + <usize>i * lddoB;
        const cv0 = visible_cols(i, tq, tk, causal);
        if (i + 1 < i1) {
          const cv1 = visible_cols(i + 1, tq, tk, causal);
          scores_2rows(cv0, cv1, d, q0, q0 + ldqB, kh, ldkB, scratch + r, scratch + r + ldS, scale);
          scores_2rows(cv0, cv1, d, g0, g0 + lddoB, vh, ldvB, dsBlock + r, dsBlock + r + ldS, 1);
        } else {
          scores_range(0, cv0, d, q0, kh, ldkB, scratch + r, scale);
          scores_range(0, cv0, d, g0, vh, ldvB, dsBlock + r, 1);
        }
      }
      for (let i = i0; i < i1; i++) {
        const r = <usize>(i - i0) * ldS;
        const cv = visible_cols(i, tq, tk, causal);
        const dd = dot_f32(d, doh + <usize>i * lddoB, oh + <usize>i * ldoB);
        weights_row(cv, kext, scratch + r, dsBlock + r, load<f32>(lh + (<usize>i << 2)), dd, scale);
      }
      // dQ rows of the block = (dS·scale)·K over each row's visible keys.
      for (let i = i0; i < i1; i += 2) {
        const r = <usize>(i - i0) * ldS, o0 = dqh + <usize>i * lddqB;
        const cv0 = visible_cols(i, tq, tk, causal);
        if (i + 1 < i1) {
          pv_2rows(cv0, visible_cols(i + 1, tq, tk, causal), d, dsBlock + r, dsBlock + r + ldS, kh, ldkB, o0, o0 + lddqB);
        } else {
          pv_2rows(cv0, 0, d, dsBlock + r, 0, kh, ldkB, o0, 0);
        }
      }
      // dK += (dS·scale)ᵀ·Q and dV += Pᵀ·dO over the block's rows, two keys at a time. Under the causal mask,
      // rows before the first that sees key j hold zeros for it and are skipped.
      const qb = qh + <usize>i0 * ldqB, gb = doh + <usize>i0 * lddoB;
      for (let j = 0; j < kext; j += 2) {
        const r0 = causal ? min(max(j - (tk - tq) - i0, 0), nr) : 0;
        const jo = <usize>j << 2;
        const two = j + 1 < kext;
        const dk0 = dkh + <usize>j * lddkB, dv0 = dvh + <usize>j * lddvB;
        acc_t_2cols(r0, nr, d, dsBlock + jo, dsBlock + jo + 4, ldS, qb, ldqB, dk0, two ? dk0 + lddkB : 0);
        acc_t_2cols(r0, nr, d, scratch + jo, scratch + jo + 4, ldS, gb, lddoB, dv0, two ? dv0 + lddvB : 0);
      }
    }
  }
}
