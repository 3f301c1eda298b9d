// Scaled dot-product attention, forward, fused: scores → mask → softmax → ·V per group of query rows, never a
// tq×tk matrix. One entry point for every layout: attention_rows_f32 reads Q, K, V in place from token-major rows
// with row strides (a fused [B·T, 3·h·d] projection, a KV cache [capacity, h·d], or head-major [h, T, d] stacks as
// b = h sequences of one head) and writes each head's output into its columns of the output rows.
// h, tq, tk, d >= 0; scale finite and > 0 (usually 1/√d). Pointers are byte offsets into linear memory.
// Causal masking (causal != 0) follows softmax.ts: query i sees key j <= i + (tk − tq), so for tq == tk it is
// j <= i, and with tq < tk the queries are the last tq positions of the sequence (decoding with a KV cache).
// A query that sees no key (only possible when tq > tk) gets a zero output row and lse = −Infinity. Keys and
// values a query does not see never change its output (not even NaN or ±Infinity there).
//
// Work ranges (for threads): a call computes the (sequence, head) pairs [p0, p1) (pair = sequence·h + head) and,
// within each, the query rows [i0, i1). Any split of the pairs and rows over calls gives the bits of one call: a
// row's result depends only on its own scores (lanes and row pairs are independent, see attention_rowpairs.ts and
// softmax_t), and the path a head takes is chosen by the full tq, never by the size of the range.
// Each call needs its own scratch (attention_rows_scratch_bytes).
//
// Per head there are two paths. From SMALL_TQ query rows on (and on SIMD builds), K is repacked once and query
// rows go four at a time through register-tiled score and P·V loops (tile.ts) with the softmax down the lanes (the
// section below). Fewer rows (decoding, short prompts) and the scalar build take the direct path,
// attention_head_pairs: rows in pairs, each K and V vector read in place feeding two rows (attention_rowpairs.ts,
// which the backward shares). The products are own SIMD loops, not gemm_f32: per head d is small (16–64), and own
// loops keep the masking contract above and need little scratch.

import { fmadd } from "./simd";
import { softmax_row_f32, visible_cols } from "./softmax";
import { fill_f32 } from "./blas";
import { exp_nonpos_v128 } from "./vmath";
import { store_t4, tile_4x8 } from "./tile";
import { BR, pv_2rows, scores_2rows, scores_range } from "./attention_rowpairs";

/**
 * The full scaled scores, for inspection and tests: for sequence bi < b, head hh < h, query i < tq and key j < tk,
 * out[((bi·h + hh)·tq + i)·tk + j] = scale·⟨q_i, k_j⟩ for visible j, −Infinity for causally masked j (q, k laid
 * out as for attention_rows_f32). softmax_f32 over its rows (invT = 1) gives the attention weights.
 */
export function attention_scores_f32(
  b: i32, h: i32, tq: i32, tk: i32, d: i32, q: usize, ldq: i32, k: usize, ldk: i32, out: usize, scale: f32, causal: i32,
): void {
  const ldqB = <usize>ldq << 2, ldkB = <usize>ldk << 2, hdB = <usize>d << 2;
  for (let bi = 0; bi < b; bi++) {
    for (let hh = 0; hh < h; hh++) {
      const qh = q + <usize>bi * <usize>tq * ldqB + <usize>hh * hdB;
      const kh = k + <usize>bi * <usize>tk * ldkB + <usize>hh * hdB;
      for (let i = 0; i < tq; i++) {
        const cv = visible_cols(i, tq, tk, causal);
        const orow = out + (((<usize>bi * <usize>h + <usize>hh) * <usize>tq + <usize>i) * <usize>tk << 2);
        scores_range(0, cv, d, qh + <usize>i * ldqB, kh, ldkB, orow, scale);
        fill_f32(tk - cv, -Infinity, orow + (<usize>cv << 2));
      }
    }
  }
}

// ---- forward over token-major rows (all heads in one call) ----
//
// attention_rows_f32 reads each head's Q, K and V straight out of token-major rows (e.g. the fused [B·T, 3·h·d]
// output of X·W_qkv: row stride 3·h·d, head hh at column hh·d of its block) and writes each head's output into
// the merged [B·T, h·d] rows, so no head split or merge copy is needed. Head-major [h, T, d] operands are the
// special case b = h, h = 1, ld = d (that is how the attention() op calls it).
//
// Per (sequence, head) with at least SMALL_TQ query rows (fewer go through attention_head_pairs), K and V are
// first repacked into scratch: Kᵀ in tiles of 8 keys ([d, 8] each, zero-padded past tk) and V in chunks of 8
// columns ([tk, 8] each, zero-padded past d), so that both inner loops below read two contiguous streams with
// constant steps (V in place, with its row stride, measured 2–4% slower). Query rows then go MR = 4 at a time,
// the four rows side by side in the lanes of one vector:
//   1. Q of the group is packed as [d, 4] (scale folded in), so the score loop broadcasts from constant offsets.
//   2. Scores, a 4 × 8 register tile (8 accumulators, per step of d: 4 broadcasts of Q, 2 vector loads of Kᵀ,
//      8 multiply-adds), like a small GEMM with k = d, over the keys the group's last row sees (rounded up to
//      whole tiles; keys past that are masked for the whole group and skipped). Each 4 rows × 4 keys block is
//      transposed on the way out: the scores are stored key-major, Sᵀ [keys, 4].
//   3. Softmax down the keys, the four rows at once in the lanes: max, then e = exp(s − m) stored over Sᵀ and
//      summed; one exp per visible score (a diagonal key some rows of the group do not see gets −Infinity in
//      those lanes, hence 0). The weights stay unnormalized: the output rows are scaled by 1/Σ at the end.
//   4. P·V, a 4 rows × 8 columns tile (broadcasts of Pᵀ, 2 vector loads of V per key, 8 multiply-adds).
//      Keys every row of the group sees are shared; the few diagonal keys only some rows see are added row by
//      row, so a masked key's V (even ±Infinity or NaN) never reaches a row's output, and a masked K only gives
//      scores that are replaced by −Infinity before anything reads them.
// A row with a NaN or ±Infinity among its visible scores gets NaN (as softmax_f32 gives for such rows).
//
// Register budget: V8 allocates 15 vector registers on x64. Tiles of 12 accumulators (4 × 12 scores, 4 rows ×
// 12 columns) spill there and measured 10–20% slower than these 8-accumulator tiles on both SIMD builds. So did
// unrolling the inner loops by 4 (35% slower): V8 hoists all the loads of the unrolled body and gives each
// broadcast offset its own base register, and the accumulators spill.
// Measured (T = 256, d = 32, 8 heads, causal, one thread, this Xeon): 1.13 ms relaxed / 1.37 ms simd against
// 1.42 / 1.82 for the direct path; of the 1.13 ms about 0.40 scores, 0.42 P·V, 0.27 softmax, 0.05 repacking.

/** Query rows per group of attention_rows_f32 (the lanes of a vector). */
const MR: i32 = 4;

/** Keys per Kᵀ tile and per score tile, columns per V chunk and per P·V tile. */
const NB: i32 = 8;

// @ts-ignore: decorator
@inline export function round8(n: i32): i32 {
  return max((n + 7) & ~7, 8);
}

/** Bytes of scratch attention_rows_f32 needs (per call: one per thread) for tk keys of head size d (16-byte multiple). */
export function attention_rows_scratch_bytes(tk: i32, d: i32): usize {
  const tkp = <usize>round8(tk), d8 = <usize>round8(d), dd = <usize>max(d, 0);
  // Kᵀ tiles [d, tkp], V chunks [d8, tkp], Sᵀ [tkp, 4], packed Q [d8, 4], a 4 × 8 partial tile, a spare row of d8;
  // or, for attention_head_pairs, BR score rows of tk.
  const rows = (dd * tkp + d8 * tkp + <usize>MR * tkp + d8 * <usize>MR + <usize>(MR * NB) + d8) * 4 + 16;
  return max(rows, (<usize>BR * <usize>max(tk, 1) * 4 + 15) & ~<usize>15);
}


/**
 * Kᵀ in tiles of NB keys: key j, feature p at kt + ((j / 8)·d + p)·32 + (j % 8)·4, from k (row stride ldkB
 * bytes); keys tk .. tkp (= round8(tk)) are 0.
 */
export function pack_keys(tk: i32, d: i32, k: usize, ldkB: usize, kt: usize): void {
  const tileB = <usize>d << 5;
  let j = 0;
  for (; j + 4 <= tk; j += 4) {
    const k0 = k + <usize>j * ldkB, k1 = k0 + ldkB, k2 = k1 + ldkB, k3 = k2 + ldkB;
    const ko = kt + <usize>(j >> 3) * tileB + (<usize>(j & 4) << 2);
    let p = 0;
    for (; p + 4 <= d; p += 4) {
      const o = <usize>p << 2;
      store_t4(ko + (o << 3), 32, v128.load(k0 + o), v128.load(k1 + o), v128.load(k2 + o), v128.load(k3 + o));
    }
    for (; p < d; p++) {
      const o = <usize>p << 2;
      const dst = ko + (o << 3);
      store<f32>(dst, load<f32>(k0 + o));
      store<f32>(dst, load<f32>(k1 + o), 4);
      store<f32>(dst, load<f32>(k2 + o), 8);
      store<f32>(dst, load<f32>(k3 + o), 12);
    }
  }
  const tkp = round8(tk);
  for (; j < tkp; j++) {
    const kr = k + <usize>j * ldkB;
    const ko = kt + <usize>(j >> 3) * tileB + (<usize>(j & 7) << 2);
    for (let p = 0; p < d; p++) {
      let x: f32 = 0;
      if (j < tk) x = load<f32>(kr + (<usize>p << 2)); // (never read past the keys)
      store<f32>(ko + (<usize>p << 5), x);
    }
  }
}

/**
 * V in chunks of NB columns: key j, column c at vp + ((c / 8)·tkp + j)·32 + (c % 8)·4, from v (row stride
 * ldvB bytes), for j < tk; columns d .. round8(d) are 0.
 */
function pack_values(tk: i32, d: i32, v: usize, ldvB: usize, vp: usize, tkp: i32): void {
  const chunkB = <usize>tkp << 5;
  const d8 = round8(d);
  for (let j = 0; j < tk; j++) {
    const vr = v + <usize>j * ldvB;
    const vo = vp + (<usize>j << 5);
    let c = 0;
    for (; c + 4 <= d; c += 4) {
      v128.store(vo + <usize>(c >> 3) * chunkB + (<usize>(c & 4) << 2), v128.load(vr + (<usize>c << 2)));
    }
    for (; c < d8; c++) {
      let x: f32 = 0;
      if (c < d) x = load<f32>(vr + (<usize>c << 2)); // (never read past the row's d columns)
      store<f32>(vo + <usize>(c >> 3) * chunkB + (<usize>(c & 7) << 2), x);
    }
  }
}

/** qp[p·4 + r] = scale·q_r[p] for p < d (rows q0..q3, d floats each). */
export function pack_q(d: i32, q0: usize, q1: usize, q2: usize, q3: usize, qp: usize, scale: f32): void {
  const vs = f32x4.splat(scale);
  let p = 0;
  for (; p + 4 <= d; p += 4) {
    const o = <usize>p << 2;
    store_t4(qp + (o << 2), 16,
      f32x4.mul(v128.load(q0 + o), vs), f32x4.mul(v128.load(q1 + o), vs),
      f32x4.mul(v128.load(q2 + o), vs), f32x4.mul(v128.load(q3 + o), vs));
  }
  for (; p < d; p++) {
    const o = <usize>p << 2;
    let x = f32x4.splat(load<f32>(q0 + o));
    x = f32x4.replace_lane(x, 1, load<f32>(q1 + o));
    x = f32x4.replace_lane(x, 2, load<f32>(q2 + o));
    x = f32x4.replace_lane(x, 3, load<f32>(q3 + o));
    v128.store(qp + (o << 2), f32x4.mul(x, vs));
  }
}


/**
 * Softmax of the group's four rows down Sᵀ (st [≥ cv3, 4], row r's visible scores are entries j < cv_r of
 * lane r): entries j < cv3 become e^{s − m_r} (0 where masked), and lane r of the result is 1/Σ_r (0 for a row
 * that sees no key, NaN for a row with a non-finite visible score). lse_r = m_r + log Σ_r (−Infinity, NaN
 * likewise) is stored to lse + r·4 for r < nr when lse != 0.
 */
function softmax_t(nr: i32, cv0: i32, cv1: i32, cv2: i32, cv3: i32, st: usize, lse: usize): v128 {
  const ninf = f32x4.splat(-Infinity), zero = f32x4.splat(0);
  let m0 = ninf, m1 = ninf;
  let chk = zero; // x·0: 0, or NaN once a visible score is NaN or ±Infinity
  let j = 0;
  for (; j + 2 <= cv0; j += 2) {
    const o = <usize>j << 4;
    const x0 = v128.load(st + o), x1 = v128.load(st + o, 16);
    m0 = f32x4.pmax(m0, x0);
    m1 = f32x4.pmax(m1, x1);
    chk = fmadd(x0, zero, chk);
    chk = fmadd(x1, zero, chk);
  }
  if (j < cv0) {
    const x0 = v128.load(st + (<usize>j << 4));
    m0 = f32x4.pmax(m0, x0);
    chk = fmadd(x0, zero, chk);
    j++;
  }
  if (j < cv3) {
    // Diagonal keys: lanes of rows that do not see key j get −Infinity.
    let cvs = i32x4.splat(cv0);
    cvs = i32x4.replace_lane(cvs, 1, cv1);
    cvs = i32x4.replace_lane(cvs, 2, cv2);
    cvs = i32x4.replace_lane(cvs, 3, cv3);
    for (; j < cv3; j++) {
      const o = <usize>j << 4;
      const seen = i32x4.gt_s(cvs, i32x4.splat(j));
      const x = v128.load(st + o);
      chk = fmadd(v128.and(x, seen), zero, chk);
      const xm = v128.bitselect(x, ninf, seen);
      v128.store(st + o, xm);
      m0 = f32x4.pmax(m0, xm);
    }
  }
  let m = f32x4.pmax(m0, m1);
  // Rows that see nothing have m = −Infinity: shift by 0 instead (their entries are all −Infinity, e = 0).
  m = v128.bitselect(zero, m, f32x4.eq(m, ninf));
  let s0 = zero, s1 = zero;
  j = 0;
  for (; j + 2 <= cv3; j += 2) {
    const o = <usize>j << 4;
    const e0 = exp_nonpos_v128(f32x4.sub(v128.load(st + o), m));
    const e1 = exp_nonpos_v128(f32x4.sub(v128.load(st + o, 16), m));
    v128.store(st + o, e0);
    v128.store(st + o, e1, 16);
    s0 = f32x4.add(s0, e0);
    s1 = f32x4.add(s1, e1);
  }
  if (j < cv3) {
    const o = <usize>j << 4;
    const e0 = exp_nonpos_v128(f32x4.sub(v128.load(st + o), m));
    v128.store(st + o, e0);
    s0 = f32x4.add(s0, e0);
  }
  const s = f32x4.add(s0, s1);
  // chk is NaN exactly in the lanes of rows with a non-finite visible score: adding it makes those NaN.
  const inv = f32x4.add(v128.andnot(f32x4.div(f32x4.splat(1), s), f32x4.eq(s, zero)), chk);
  if (lse) {
    lse_lane(f32x4.extract_lane(m, 0), f32x4.extract_lane(s, 0), f32x4.extract_lane(chk, 0), lse);
    if (nr > 1) lse_lane(f32x4.extract_lane(m, 1), f32x4.extract_lane(s, 1), f32x4.extract_lane(chk, 1), lse + 4);
    if (nr > 2) lse_lane(f32x4.extract_lane(m, 2), f32x4.extract_lane(s, 2), f32x4.extract_lane(chk, 2), lse + 8);
    if (nr > 3) lse_lane(f32x4.extract_lane(m, 3), f32x4.extract_lane(s, 3), f32x4.extract_lane(chk, 3), lse + 12);
  }
  return inv;
}

/** One row's log-sum-exp: m + log s (−Infinity when s = 0), NaN when chk is. */
// @ts-ignore: decorator
@inline function lse_lane(m: f32, s: f32, chk: f32, out: usize): void {
  const l: f32 = s > 0 ? m + Mathf.log(s) : -Infinity;
  store<f32>(out, l + chk);
}

/**
 * Below this many query rows a head skips the repacking of K (its cost is spread over too few rows: measured
 * slower than the row-pair path up to about 16 rows against 256 keys) and goes through attention_head_pairs.
 * That path is also the scalar build's.
 */
export const SMALL_TQ: i32 = 16;

/**
 * Query rows [r0, r1) of one head the direct way: blocks of BR query rows, their scores row by row into scratch
 * (BR × visible keys) with each K vector feeding two rows (scores_2rows), softmax_row_f32 per row, then P·V two
 * rows at a time (pv_2rows). No repacking; strides in bytes; tq is the head's full query count (for the mask).
 */
function attention_head_pairs(
  tq: i32, tk: i32, d: i32, q: usize, ldqB: usize, k: usize, ldkB: usize, v: usize, ldvB: usize,
  out: usize, ldoB: usize, scale: f32, causal: i32, lse: usize, scratch: usize, r0: i32, r1: i32,
): void {
  for (let i0 = r0; i0 < r1; i0 += BR) {
    const i1 = min(i0 + BR, r1);
    // Keys visible to the block's last (most-seeing) row; keys from kext on are masked for the whole block.
    const kext = visible_cols(i1 - 1, tq, tk, causal);
    const ldS = <usize>kext << 2;
    for (let i = i0; i < i1; i += 2) {
      const s0 = scratch + <usize>(i - i0) * ldS, q0 = q + <usize>i * ldqB;
      const cv0 = visible_cols(i, tq, tk, causal);
      if (i + 1 < i1) {
        scores_2rows(cv0, visible_cols(i + 1, tq, tk, causal), d, q0, q0 + ldqB, k, ldkB, s0, s0 + ldS, scale);
      } else {
        scores_range(0, cv0, d, q0, k, ldkB, s0, scale);
      }
    }
    for (let i = i0; i < i1; i++) {
      const cv = visible_cols(i, tq, tk, causal);
      const srow = scratch + <usize>(i - i0) * ldS;
      // Only the cv visible scores are soft-maxed: masked entries are neither read nor needed.
      const l = softmax_row_f32(cv, cv, srow, srow, 1, lse != 0);
      if (lse) store<f32>(lse + (<usize>i << 2), l);
    }
    for (let i = i0; i < i1; i += 2) {
      const s0 = scratch + <usize>(i - i0) * ldS, o0 = out + <usize>i * ldoB;
      const cv0 = visible_cols(i, tq, tk, causal);
      if (i + 1 < i1) {
        pv_2rows(cv0, visible_cols(i + 1, tq, tk, causal), d, s0, s0 + ldS, v, ldvB, o0, o0 + ldoB);
      } else {
        pv_2rows(cv0, 0, d, s0, 0, v, ldvB, o0, 0);
      }
    }
  }
}

/** Scores of the group's four rows (packed Q qp [d, 4]) against NV·4 keys of a Kᵀ tile, stored key-major. */
// @ts-ignore: decorator
@inline function qk_tile(NV: i32, d: i32, qp: usize, kt: usize, st: usize): void {
  const one = f32x4.splat(1);
  tile_4x8(NV, false, true, d, d, d, d, qp, kt, st, 0, 0, 0, one, one, one, one, 0);
}

/**
 * o_r[0 .. NV·4) = inv_r·Σ_{j < cv_r} pt[j·4 + r]·vc[j·8 ..] for the group's four rows (vc: a V chunk [tk, 8]).
 * cv0 <= cv1 <= cv2 <= cv3: keys below cv0 are shared by the four rows, the rest are added only to the rows
 * that see them (a masked key's V, even ±Infinity or NaN, never reaches a row's output).
 */
// @ts-ignore: decorator
@inline function pv_tile(
  NV: i32, cv0: i32, cv1: i32, cv2: i32, cv3: i32, pt: usize, vc: usize,
  o0: usize, o1: usize, o2: usize, o3: usize, inv: v128,
): void {
  const i0 = f32x4.splat(f32x4.extract_lane(inv, 0)), i1 = f32x4.splat(f32x4.extract_lane(inv, 1));
  const i2 = f32x4.splat(f32x4.extract_lane(inv, 2)), i3 = f32x4.splat(f32x4.extract_lane(inv, 3));
  tile_4x8(NV, true, false, cv0, cv1, cv2, cv3, pt, vc, o0, o1, o2, o3, i0, i1, i2, i3, 0);
}

/**
 * Query rows [r0, r1) of one head of one sequence (pointers at the head's first row; strides in bytes). See the
 * section header; tq is the head's full query count (it picks the path and places the mask).
 */
function attention_head_rows(
  tq: i32, tk: i32, d: i32, q: usize, ldqB: usize, k: usize, ldkB: usize, v: usize, ldvB: usize,
  out: usize, ldoB: usize, scale: f32, causal: i32, lse: usize, scratch: usize, r0: i32, r1: i32,
): void {
  if (!ASC_FEATURE_SIMD || tq < SMALL_TQ) {
    attention_head_pairs(tq, tk, d, q, ldqB, k, ldkB, v, ldvB, out, ldoB, scale, causal, lse, scratch, r0, r1);
    return;
  }
  const tkp = round8(tk), d8 = round8(d);
  const kt = scratch;
  const vp = kt + (<usize>d * <usize>tkp << 2);
  const st = vp + (<usize>d8 * <usize>tkp << 2);
  const qp = st + (<usize>(MR * tkp) << 2);
  const part = qp + (<usize>d8 << 4);  // a 4 × 8 tile for the last, partial column chunk
  const spare = part + (<usize>(MR * NB) << 2); // stands in for the output rows a short last group lacks
  // Only the keys the range's last row sees are packed (the rest are masked for every row of the range).
  const kvis = visible_cols(r1 - 1, tq, tk, causal);
  pack_keys(kvis, d, k, ldkB, kt);
  pack_values(kvis, d, v, ldvB, vp, tkp);
  const tileB = <usize>d << 5, chunkB = <usize>tkp << 5;
  for (let i = r0; i < r1; i += MR) {
    const nr = min(MR, r1 - i);
    // Rows past the end repeat the last row (their results go to the spare row and are dropped).
    const n1 = min(1, nr - 1), n2 = min(2, nr - 1), n3 = min(3, nr - 1);
    const q0 = q + <usize>i * ldqB;
    pack_q(d, q0, q0 + <usize>n1 * ldqB, q0 + <usize>n2 * ldqB, q0 + <usize>n3 * ldqB, qp, scale);
    const cv0 = visible_cols(i, tq, tk, causal), cv1 = visible_cols(i + n1, tq, tk, causal);
    const cv2 = visible_cols(i + n2, tq, tk, causal), cv3 = visible_cols(i + n3, tq, tk, causal);
    // Scores for keys [0, cv3) in whole tiles of 4 keys (Kᵀ is zero-padded; entries past cv3 are never read).
    let j = 0, ktj = kt;
    for (; j + 4 < cv3; j += NB, ktj += tileB) qk_tile(2, d, qp, ktj, st + (<usize>j << 4));
    if (j < cv3) qk_tile(1, d, qp, ktj, st + (<usize>j << 4));
    const inv = softmax_t(nr, cv0, cv1, cv2, cv3, st, lse != 0 ? lse + (<usize>i << 2) : 0);
    const o0 = out + <usize>i * ldoB;
    const o1 = nr > 1 ? o0 + ldoB : spare, o2 = nr > 2 ? o0 + 2 * ldoB : spare, o3 = nr > 3 ? o0 + 3 * ldoB : spare;
    let c = 0, vc = vp;
    for (; c + NB <= d; c += NB, vc += chunkB) {
      const co = <usize>c << 2;
      pv_tile(2, cv0, cv1, cv2, cv3, st, vc, o0 + co, o1 + co, o2 + co, o3 + co, inv);
    }
    if (c < d) {
      // The last chunk's zero-padded columns go through the partial tile; the real ones are copied out.
      pv_tile(2, cv0, cv1, cv2, cv3, st, vc, part, part + 32, part + 64, part + 96, inv);
      const co = <usize>c << 2;
      for (let r = 0; r < nr; r++) {
        const orow = o0 + <usize>r * ldoB + co, prow = part + (<usize>r << 5);
        for (let cc = 0; cc < d - c; cc++) store<f32>(orow + (<usize>cc << 2), load<f32>(prow + (<usize>cc << 2)));
      }
    }
  }
}

/**
 * Attention over token-major rows, all heads in one call. For sequence bi < b, head hh < h, query row i < tq and
 * key row j < tk, the head's d features are at
 *   q + ((bi·tq + i)·ldq + hh·d)·4,   k + ((bi·tk + j)·ldk + hh·d)·4,   v + ((bi·tk + j)·ldv + hh·d)·4,
 *   out + ((bi·tq + i)·ldo + hh·d)·4
 * (strides in floats; for a fused [B·T, 3·h·d] projection q, k, v are its column offsets 0, h·d, 2·h·d and
 * ldq = ldk = ldv = 3·h·d; for a KV cache of one sequence, k and v are [capacity, h·d] with ldk = ldv = h·d).
 * out = softmax(mask(q·kᵀ·scale))·v per head (the causal rule of the header, zero rows for queries that see no
 * key). lse: 0, or [b, h, tq] floats receiving each row's log-sum-exp.
 * Computes only the (sequence, head) pairs p0 <= bi·h + hh < p1 and, in each, the query rows i0 <= i < i1
 * (0, b·h, 0, tq for everything); other rows of out and lse are not touched (see the header on threads).
 * scratch: attention_rows_scratch_bytes(tk, d) bytes, 16-byte aligned, not overlapping any operand; out must not
 * overlap q, k or v (other heads' columns of the same rows included).
 */
export function attention_rows_f32(
  b: i32, h: i32, tq: i32, tk: i32, d: i32, q: usize, ldq: i32, k: usize, ldk: i32, v: usize, ldv: i32,
  out: usize, ldo: i32, scale: f32, causal: i32, lse: usize, scratch: usize, p0: i32, p1: i32, i0: i32, i1: i32,
): void {
  const ldqB = <usize>ldq << 2, ldkB = <usize>ldk << 2, ldvB = <usize>ldv << 2, ldoB = <usize>ldo << 2;
  const hdB = <usize>d << 2;
  const r0 = max(i0, 0), r1 = min(i1, tq);
  if (r0 >= r1) return;
  const pEnd = min(p1, b * h);
  for (let p = max(p0, 0); p < pEnd; p++) {
    const bi = p / h, hh = p % h;
    const ho = <usize>hh * hdB;
    const qs = q + <usize>bi * <usize>tq * ldqB + ho, os = out + <usize>bi * <usize>tq * ldoB + ho;
    const ks = k + <usize>bi * <usize>tk * ldkB + ho, vs = v + <usize>bi * <usize>tk * ldvB + ho;
    const l = lse != 0 ? lse + (<usize>p * <usize>tq << 2) : 0;
    attention_head_rows(tq, tk, d, qs, ldqB, ks, ldkB, vs, ldvB, os, ldoB, scale, causal, l, scratch, r0, r1);
  }
}
