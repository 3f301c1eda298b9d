// The row-pair products that the attention forward (its direct path: decoding, short prompts, the scalar build)
// and the attention backward share: scores of one or two query rows against keys read in place, and the products
// of one or two rows of weights with value rows read in place. Every K or V vector loaded feeds two rows; rows are
// read with byte strides, so Q, K, V (and dO, O in the backward) can sit in the columns of wider token-major rows.
//
// Bit-identity: a row's results do not depend on whether it is paired, nor with which row: each key's score is the
// same sequence of operations (four vector accumulators along d and one transpose-add, in groups of four keys, the
// last group padded with the last key; the scalar build: dot_f32 per key), and each output column sums its keys in
// ascending order in one accumulator. That is what lets a caller split the query rows anywhere (threads) and still
// get the bits of one call.

import { fmadd } from "./simd";
import { dot_f32 } from "./blas";
import { hsum4x4 } from "./tile";

/** Query rows per block of the direct path and of the backward. 16 rows × tk scores stay in L2 here. */
export const BR: i32 = 16;

/** Column p of four key rows gathered into one vector (for the ragged d % 4 columns). */
// @ts-ignore: decorator
@inline function gather4(k0: usize, k1: usize, k2: usize, k3: usize, o: usize): v128 {
  let kv = f32x4.splat(load<f32>(k0 + o));
  kv = f32x4.replace_lane(kv, 1, load<f32>(k1 + o));
  kv = f32x4.replace_lane(kv, 2, load<f32>(k2 + o));
  return f32x4.replace_lane(kv, 3, load<f32>(k3 + o));
}

/**
 * The unscaled scores of one query row against four keys (rows k0..k3) in one vector: four vector accumulators
 * along d, one transpose-add, the d % 4 columns gathered. One body for the whole groups and the padded tail group,
 * so a key's score is the same operations wherever the groups start.
 */
// @ts-ignore: decorator
@inline function group_1row(d: i32, qrow: usize, k0: usize, k1: usize, k2: usize, k3: usize): v128 {
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
  return r;
}

/**
 * s[j] = scale·⟨qrow, k_j⟩ for j0 <= j < nk, k holding key rows of stride d. Four keys at a time: four vector
 * accumulators run along d, then a transpose-add turns them into the four sums in one vector.
 */
export function scores_range(j0: i32, nk: i32, d: i32, qrow: usize, k: usize, rowBytes: usize, s: usize, scale: f32): void {
  let j = j0;
  if (ASC_FEATURE_SIMD) {
    const vscale = f32x4.splat(scale);
    for (; j + 4 <= nk; j += 4) {
      const k0 = k + <usize>j * rowBytes, k1 = k0 + rowBytes, k2 = k1 + rowBytes, k3 = k2 + rowBytes;
      v128.store(s + (<usize>j << 2), f32x4.mul(group_1row(d, qrow, k0, k1, k2, k3), vscale));
    }
    if (j < nk) {
      // The last 1–3 keys as one more group, its missing lanes reading the last key again (in bounds; their
      // results are dropped): each key's lane goes through the same operations as in a whole group, so a key's
      // score does not depend on where the groups start. Was dot_f32 per key (a call and its own reduction each).
      const k0 = k + <usize>j * rowBytes;
      const kl = k + <usize>(nk - 1) * rowBytes;
      const k1 = j + 1 < nk ? k0 + rowBytes : kl, k2 = j + 2 < nk ? k0 + 2 * rowBytes : kl;
      const r = f32x4.mul(group_1row(d, qrow, k0, k1, k2, kl), vscale);
      store_lanes(s + (<usize>j << 2), r, nk - j);
      j = nk;
    }
  }
  for (; j < nk; j++) {
    store<f32>(s + (<usize>j << 2), scale * dot_f32(d, qrow, k + <usize>j * rowBytes));
  }
}

/** The first n (<= 4; none if n <= 0) lanes of r at p. */
// @ts-ignore: decorator
@inline function store_lanes(p: usize, r: v128, n: i32): void {
  if (n >= 4) {
    v128.store(p, r);
  } else if (n > 0) {
    store<f32>(p, f32x4.extract_lane(r, 0));
    if (n > 1) store<f32>(p, f32x4.extract_lane(r, 1), 4);
    if (n > 2) store<f32>(p, f32x4.extract_lane(r, 2), 8);
  }
}

/**
 * Scores of two query rows against four keys (rows k0..k3): four vector accumulators per row along d, one
 * transpose-add, the d % 4 columns gathered; the first n0 (n1) scores, times scale, stored at s0 (s1).
 */
// @ts-ignore: decorator
@inline function group_2rows(
  d: i32, q0: usize, q1: usize, k0: usize, k1: usize, k2: usize, k3: usize, s0: usize, s1: usize, vscale: v128, n0: i32, n1: i32,
): void {
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
  store_lanes(s0, f32x4.mul(ra, vscale), n0);
  store_lanes(s1, f32x4.mul(rb, vscale), n1);
}

/**
 * Scores of two query rows (q0 sees nk0 keys, q1 sees nk1): the keys both see are done together, so each
 * key vector loaded feeds two rows (8 accumulators), and so do both rows' last keys when each has at most four
 * left (always, under the causal mask); otherwise the rest row by row through scores_range.
 */
export function scores_2rows(
  nk0: i32, nk1: i32, d: i32, q0: usize, q1: usize, k: usize, rowBytes: usize, s0: usize, s1: usize, scale: f32,
): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    const vscale = f32x4.splat(scale);
    const nj = min(nk0, nk1);
    for (; j + 4 <= nj; j += 4) {
      const k0 = k + <usize>j * rowBytes, k1 = k0 + rowBytes, k2 = k1 + rowBytes, k3 = k2 + rowBytes;
      group_2rows(d, q0, q1, k0, k1, k2, k3, s0 + (<usize>j << 2), s1 + (<usize>j << 2), vscale, 4, 4);
    }
    const nmax = max(nk0, nk1);
    if (j < nmax && nk0 - j <= 4 && nk1 - j <= 4) {
      // Both rows' last keys (1–4 each: the causal neighbours see one key apart) in one more group of four,
      // missing keys replaced by the last one (in bounds, results dropped). Per key the same lane operations as
      // a whole group, so the bits do not depend on the grouping; one group for both rows instead of one each.
      const kl = k + <usize>(nmax - 1) * rowBytes;
      const k0 = k + <usize>j * rowBytes;
      const k1 = j + 1 < nmax ? k0 + rowBytes : kl;
      const k2 = j + 2 < nmax ? k0 + 2 * rowBytes : kl;
      const k3 = j + 3 < nmax ? k0 + 3 * rowBytes : kl;
      group_2rows(d, q0, q1, k0, k1, k2, k3, s0 + (<usize>j << 2), s1 + (<usize>j << 2), vscale, nk0 - j, nk1 - j);
      return;
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
export function pv_2rows(
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

