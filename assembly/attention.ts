// Scaled dot-product attention, fused: scores → mask → softmax → ·V per group of query rows, never a tq×tk
// matrix; and its backward from the saved log-sum-exp (attention_backward_f32, in the section at the end).
//
// Two forward entry points, one computation:
//   attention_rows_f32: token-major rows, all heads in one call. Q, K, V are read in place with row strides
//     (e.g. straight out of a fused [B·T, 3·h·d] projection) and the output is written into the merged
//     [B·T, h·d] rows: no head split/merge copies. See its section.
//   attention_f32: head-major stacks [h, T, d] (row stride d), as the backward and the KV cache hold them:
//     q [h, tq, d], k [h, tk, d], v [h, tk, d], out [h, tq, d]; lse (optional) [h, tq]. It is
//     attention_rows_f32 with b = h sequences of one head.
// h, tq, tk, d >= 0; scale finite and > 0 (usually 1/√d). Pointers are byte offsets into linear memory.
// Causal masking (causal != 0) follows softmax.ts: query i sees key j <= i + (tk − tq), so for tq == tk it is
// j <= i, and with tq < tk the queries are the last tq positions of the sequence (decoding with a KV cache).
// A query that sees no key (only possible when tq > tk) gets a zero output row and lse = −Infinity. Keys and
// values a query does not see never change its output (not even NaN or ±Infinity there).
//
// Per head there are two paths. From SMALL_TQ query rows on (and on SIMD builds), K is repacked once and query
// rows go four at a time through register-tiled score and P·V loops with the softmax down the lanes (the
// attention_rows_f32 section). Fewer rows (decoding, short prompts) and the scalar build take the direct path,
// attention_head_pairs: rows in pairs, each K and V vector read in place feeding two rows (scores_2rows,
// pv_2rows, which the backward shares). The products are own SIMD loops, not gemm_f32: per head d is small
// (16–64), and own loops keep the masking contract above and need little scratch.

import { fmadd } from "./simd";
import { softmax_row_f32, visible_cols } from "./softmax";
import { dot_f32, fill_f32 } from "./blas";
import { exp_v128, exp_scalar, exp_nonpos_v128 } from "./vmath";

/** Query rows per block of the direct path and of the backward. 16 rows × tk scores stay in L2 here. */
const BR: i32 = 16;

/** Bytes of scratch attention_f32 needs for keys of length tk and head size d (16-byte multiple). */
export function attention_scratch_bytes(tk: i32, d: i32): usize {
  return attention_rows_scratch_bytes(tk, d);
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
function scores_range(j0: i32, nk: i32, d: i32, qrow: usize, k: usize, rowBytes: usize, s: usize, scale: f32): void {
  let j = j0;
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
  nk0: i32, nk1: i32, d: i32, q0: usize, q1: usize, k: usize, rowBytes: usize, s0: usize, s1: usize, scale: f32,
): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
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
  scores_range(j, nk0, d, q0, k, rowBytes, s0, scale);
  scores_range(j, nk1, d, q1, k, rowBytes, s1, scale);
}

/** orow[c] = Σ_{j<nk} p[j]·v[j, c] for one column c (the ragged columns, and the scalar build). */
// @ts-ignore: decorator
@inline function pv_col(nk: i32, c: i32, p: usize, v: usize, rowBytes: usize, orow: usize): void {
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
function pv_2rows(
  nk0: i32, nk1: i32, d: i32, p0: usize, p1: usize, v: usize, rowBytes: usize, o0: usize, o1: usize,
): void {
  let c = 0;
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
    pv_col(nk0, c, p0, v, rowBytes, o0);
    if (two) pv_col(nk1, c, p1, v, rowBytes, o1);
  }
}

/**
 * out = softmax(mask(Q·Kᵀ·scale))·V per head for head-major operands (see the header), computed by
 * attention_rows_f32 with each head as a sequence of one head (b = h, h = 1, row strides d).
 * lse: 0, or a pointer to [h, tq] floats that receive each row's log-sum-exp of the scaled, masked scores
 * (the backward pass recomputes P = exp(S − lse) from it). scratch: attention_scratch_bytes(tk, d) bytes,
 * 16-byte aligned, not overlapping any operand. out must not overlap q, k or v.
 */
export function attention_f32(
  h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, v: usize, out: usize,
  scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  attention_rows_f32(h, 1, tq, tk, d, q, d, k, d, v, d, out, d, scale, causal, lse, scratch);
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
      scores_range(0, cv, d, qh + <usize>i * rowBytes, kh, rowBytes, orow, scale);
      fill_f32(tk - cv, -Infinity, orow + (<usize>cv << 2));
    }
  }
}

// ---- forward over token-major rows (all heads in one call) ----
//
// attention_rows_f32 reads each head's Q, K and V straight out of token-major rows (e.g. the fused [B·T, 3·h·d]
// output of X·W_qkv: row stride 3·h·d, head hh at column hh·d of its block) and writes each head's output into
// the merged [B·T, h·d] rows, so no head split or merge copy is needed. Head-major [h, T, d] operands are the
// special case b = h, h = 1, ld = d (that is how attention_f32 calls it).
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
@inline function round8(n: i32): i32 {
  return max((n + 7) & ~7, 8);
}

/** Bytes of scratch attention_rows_f32 (and attention_f32) needs for tk keys of head size d (16-byte multiple). */
export function attention_rows_scratch_bytes(tk: i32, d: i32): usize {
  const tkp = <usize>round8(tk), d8 = <usize>round8(d), dd = <usize>max(d, 0);
  // Kᵀ tiles [d, tkp], V chunks [d8, tkp], Sᵀ [tkp, 4], packed Q [d8, 4], a 4 × 8 partial tile, a spare row of d8;
  // or, for attention_head_pairs, BR score rows of tk.
  const rows = (dd * tkp + d8 * tkp + <usize>MR * tkp + d8 * <usize>MR + <usize>(MR * NB) + d8) * 4 + 16;
  return max(rows, (<usize>BR * <usize>max(tk, 1) * 4 + 15) & ~<usize>15);
}

/** The 4×4 transpose: lane r of the vector stored at dst + c·step is lane c of x_r. */
// @ts-ignore: decorator
@inline function store_t4(dst: usize, step: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const t0 = v128.shuffle<f32>(x0, x1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(x0, x1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(x2, x3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(x2, x3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + step, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * step, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * step, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * Kᵀ in tiles of NB keys: key j, feature p at kt + ((j / 8)·d + p)·32 + (j % 8)·4, from k (row stride ldkB
 * bytes); keys tk .. tkp (= round8(tk)) are 0.
 */
function pack_keys(tk: i32, d: i32, k: usize, ldkB: usize, kt: usize): void {
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
function pack_q(d: i32, q0: usize, q1: usize, q2: usize, q3: usize, qp: usize, scale: f32): void {
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
 * Scores of the group's four rows (packed Q qp [d, 4]) against the first NV·4 keys of a Kᵀ tile (kt, [d, 8]),
 * stored key-major: st[c·4 + r] = Σ_p qp[p·4 + r]·kt[p·8 + c].
 */
// @ts-ignore: decorator
@inline function qk_tile(NV: i32, d: i32, qp: usize, kt: usize, st: usize): void {
  let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
  let q = qp, k = kt;
  const qEnd = qp + (<usize>d << 4);
  for (; q < qEnd; q += 16, k += 32) {
    const k0 = v128.load(k);
    const k1 = NV > 1 ? v128.load(k, 16) : k0;
    let x = v128.load32_splat(q);
    a0 = fmadd(x, k0, a0);
    if (NV > 1) a1 = fmadd(x, k1, a1);
    x = v128.load32_splat(q, 4);
    b0 = fmadd(x, k0, b0);
    if (NV > 1) b1 = fmadd(x, k1, b1);
    x = v128.load32_splat(q, 8);
    c0 = fmadd(x, k0, c0);
    if (NV > 1) c1 = fmadd(x, k1, c1);
    x = v128.load32_splat(q, 12);
    e0 = fmadd(x, k0, e0);
    if (NV > 1) e1 = fmadd(x, k1, e1);
  }
  store_t4(st, 16, a0, b0, c0, e0);
  if (NV > 1) store_t4(st + 64, 16, a1, b1, c1, e1);
}

/**
 * o_r[0 .. NV·4) = inv_r·Σ_{j < cv_r} pt[j·4 + r]·vc[j·8 .. j·8 + NV·4) for the group's four rows (vc: a V chunk
 * [tk, 8]). cv0 <= cv1 <= cv2 <= cv3: keys below cv0 are shared by the four rows, the rest are added only to the
 * rows that see them.
 */
// @ts-ignore: decorator
@inline function pv_tile(
  NV: i32, cv0: i32, cv1: i32, cv2: i32, cv3: i32, pt: usize, vc: usize,
  o0: usize, o1: usize, o2: usize, o3: usize, inv: v128,
): void {
  let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0, e0 = a0, e1 = a0;
  let vr = vc, pp = pt;
  const pEnd = pt + (<usize>cv0 << 4);
  for (; pp < pEnd; pp += 16, vr += 32) {
    const v0 = v128.load(vr);
    const v1 = NV > 1 ? v128.load(vr, 16) : v0;
    let x = v128.load32_splat(pp);
    a0 = fmadd(x, v0, a0);
    if (NV > 1) a1 = fmadd(x, v1, a1);
    x = v128.load32_splat(pp, 4);
    b0 = fmadd(x, v0, b0);
    if (NV > 1) b1 = fmadd(x, v1, b1);
    x = v128.load32_splat(pp, 8);
    c0 = fmadd(x, v0, c0);
    if (NV > 1) c1 = fmadd(x, v1, c1);
    x = v128.load32_splat(pp, 12);
    e0 = fmadd(x, v0, e0);
    if (NV > 1) e1 = fmadd(x, v1, e1);
  }
  for (let j = cv0; j < cv3; j++, pp += 16, vr += 32) {
    const v0 = v128.load(vr);
    const v1 = NV > 1 ? v128.load(vr, 16) : v0;
    if (j < cv1) {
      const x = v128.load32_splat(pp, 4);
      b0 = fmadd(x, v0, b0);
      if (NV > 1) b1 = fmadd(x, v1, b1);
    }
    if (j < cv2) {
      const x = v128.load32_splat(pp, 8);
      c0 = fmadd(x, v0, c0);
      if (NV > 1) c1 = fmadd(x, v1, c1);
    }
    const x = v128.load32_splat(pp, 12);
    e0 = fmadd(x, v0, e0);
    if (NV > 1) e1 = fmadd(x, v1, e1);
  }
  const i0 = f32x4.splat(f32x4.extract_lane(inv, 0)), i1 = f32x4.splat(f32x4.extract_lane(inv, 1));
  const i2 = f32x4.splat(f32x4.extract_lane(inv, 2)), i3 = f32x4.splat(f32x4.extract_lane(inv, 3));
  v128.store(o0, f32x4.mul(a0, i0));
  v128.store(o1, f32x4.mul(b0, i1));
  v128.store(o2, f32x4.mul(c0, i2));
  v128.store(o3, f32x4.mul(e0, i3));
  if (NV > 1) {
    v128.store(o0, f32x4.mul(a1, i0), 16);
    v128.store(o1, f32x4.mul(b1, i1), 16);
    v128.store(o2, f32x4.mul(c1, i2), 16);
    v128.store(o3, f32x4.mul(e1, i3), 16);
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
const SMALL_TQ: i32 = 16;

/**
 * One head the direct way (the kernel attention_f32 had before attention_rows_f32): blocks of BR query rows,
 * their scores row by row into scratch (BR × visible keys) with each K vector feeding two rows
 * (scores_2rows), softmax_row_f32 per row, then P·V two rows at a time (pv_2rows). No repacking; strides in bytes.
 */
function attention_head_pairs(
  tq: i32, tk: i32, d: i32, q: usize, ldqB: usize, k: usize, ldkB: usize, v: usize, ldvB: usize,
  out: usize, ldoB: usize, scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  for (let i0 = 0; i0 < tq; i0 += BR) {
    const i1 = min(i0 + BR, tq);
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

/** One head of one sequence (pointers at the head's first row; strides in bytes). See the section header. */
function attention_head_rows(
  tq: i32, tk: i32, d: i32, q: usize, ldqB: usize, k: usize, ldkB: usize, v: usize, ldvB: usize,
  out: usize, ldoB: usize, scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  const tkp = round8(tk), d8 = round8(d);
  const kt = scratch;
  const vp = kt + (<usize>d * <usize>tkp << 2);
  const st = vp + (<usize>d8 * <usize>tkp << 2);
  const qp = st + (<usize>(MR * tkp) << 2);
  const part = qp + (<usize>d8 << 4);  // a 4 × 8 tile for the last, partial column chunk
  const spare = part + (<usize>(MR * NB) << 2); // stands in for the output rows a short last group lacks
  if (!ASC_FEATURE_SIMD || tq < SMALL_TQ) {
    attention_head_pairs(tq, tk, d, q, ldqB, k, ldkB, v, ldvB, out, ldoB, scale, causal, lse, scratch);
    return;
  }
  pack_keys(tk, d, k, ldkB, kt);
  pack_values(tk, d, v, ldvB, vp, tkp);
  const tileB = <usize>d << 5, chunkB = <usize>tkp << 5;
  for (let i = 0; i < tq; i += MR) {
    const nr = min(MR, tq - i);
    // Rows past the end repeat the last row (their results go to the spare row and are dropped).
    const r1 = min(1, nr - 1), r2 = min(2, nr - 1), r3 = min(3, nr - 1);
    const q0 = q + <usize>i * ldqB;
    pack_q(d, q0, q0 + <usize>r1 * ldqB, q0 + <usize>r2 * ldqB, q0 + <usize>r3 * ldqB, qp, scale);
    const cv0 = visible_cols(i, tq, tk, causal), cv1 = visible_cols(i + r1, tq, tk, causal);
    const cv2 = visible_cols(i + r2, tq, tk, causal), cv3 = visible_cols(i + r3, tq, tk, causal);
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
 * ldq = ldk = ldv = 3·h·d). out = softmax(mask(q·kᵀ·scale))·v per head as in attention_f32 (same causal rule,
 * zero rows for queries that see no key). lse: 0, or [b, h, tq] floats receiving each row's log-sum-exp.
 * scratch: attention_rows_scratch_bytes(tk, d) bytes, 16-byte aligned, not overlapping any operand; out must not
 * overlap q, k or v (other heads' columns of the same rows included).
 */
export function attention_rows_f32(
  b: i32, h: i32, tq: i32, tk: i32, d: i32, q: usize, ldq: i32, k: usize, ldk: i32, v: usize, ldv: i32,
  out: usize, ldo: i32, scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  const ldqB = <usize>ldq << 2, ldkB = <usize>ldk << 2, ldvB = <usize>ldv << 2, ldoB = <usize>ldo << 2;
  const hdB = <usize>d << 2;
  for (let bi = 0; bi < b; bi++) {
    const qs = q + <usize>bi * <usize>tq * ldqB, os = out + <usize>bi * <usize>tq * ldoB;
    const ks = k + <usize>bi * <usize>tk * ldkB, vs = v + <usize>bi * <usize>tk * ldvB;
    for (let hh = 0; hh < h; hh++) {
      const ho = <usize>hh * hdB;
      const l = lse != 0 ? lse + ((<usize>bi * <usize>h + <usize>hh) * <usize>tq << 2) : 0;
      attention_head_rows(tq, tk, d, qs + ho, ldqB, ks + ho, ldkB, vs + ho, ldvB, os + ho, ldoB, scale, causal, l, scratch);
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
          scores_2rows(cv0, cv1, d, q0, q0 + rowBytes, kh, rowBytes, scratch + r, scratch + r + ldS, scale);
          scores_2rows(cv0, cv1, d, g0, g0 + rowBytes, vh, rowBytes, dsBlock + r, dsBlock + r + ldS, 1);
        } else {
          scores_range(0, cv0, d, q0, kh, rowBytes, scratch + r, scale);
          scores_range(0, cv0, d, g0, vh, rowBytes, dsBlock + r, 1);
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
          pv_2rows(cv0, visible_cols(i + 1, tq, tk, causal), d, dsBlock + r, dsBlock + r + ldS, kh, rowBytes, o0, o0 + rowBytes);
        } else {
          pv_2rows(cv0, 0, d, dsBlock + r, 0, kh, rowBytes, o0, 0);
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
