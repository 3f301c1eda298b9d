// Token embedding: gather rows of a table by id, and the backward scatter-add into the table's gradient.
//
// Shapes: ids [n] (i32), table and dtable [vocab, d], out and dout [n, d], all row-major (row stride d).
// n, d, vocab >= 0; pointers are byte offsets into linear memory. The host validates ids (0 <= id < vocab) and
// reports the bad one; the kernels still never touch memory outside the operands: an id outside [0, vocab) gives
// a zero row in the forward and is skipped by the backward. Repeated ids accumulate in the backward.
// Aliasing: none (out, dtable must not overlap the other operands). No allocation; SIMD under
// ASC_FEATURE_SIMD with scalar tails that are the whole loop in the scalar build.

import { add_f32, fill_f32 } from "./blas";

/** dst[c] = src[c] for c < d. */
// @ts-ignore: decorator
@inline function copy_row(d: i32, src: usize, dst: usize): void {
  let c = 0;
  if (ASC_FEATURE_SIMD) {
    for (; c + 16 <= d; c += 16) {
      const o = <usize>c << 2;
      v128.store(dst + o, v128.load(src + o));
      v128.store(dst + o, v128.load(src + o, 16), 16);
      v128.store(dst + o, v128.load(src + o, 32), 32);
      v128.store(dst + o, v128.load(src + o, 48), 48);
    }
    for (; c + 4 <= d; c += 4) {
      const o = <usize>c << 2;
      v128.store(dst + o, v128.load(src + o));
    }
  }
  for (; c < d; c++) {
    const o = <usize>c << 2;
    store<f32>(dst + o, load<f32>(src + o));
  }
}

/** out[r, :] = table[ids[r], :] for r < n (a zero row where ids[r] is outside [0, vocab)). */
export function embedding_f32(n: i32, ids: usize, table: usize, d: i32, vocab: i32, out: usize): void {
  const rowBytes = <usize>d << 2;
  for (let r = 0; r < n; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    const orow = out + <usize>r * rowBytes;
    if (id >= 0 && id < vocab) copy_row(d, table + <usize>id * rowBytes, orow);
    else fill_f32(d, 0, orow);
  }
}

/**
 * dtable = 0, then dtable[ids[r], :] += dout[r, :] for r < n (rows with ids outside [0, vocab) are skipped).
 * dtable [vocab, d] is overwritten.
 */
export function embedding_backward_f32(n: i32, ids: usize, dout: usize, d: i32, vocab: i32, dtable: usize): void {
  const rowBytes = <usize>d << 2;
  fill_f32(vocab * d, 0, dtable);
  for (let r = 0; r < n; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    if (id < 0 || id >= vocab) continue;
    const trow = dtable + <usize>id * rowBytes;
    add_f32(d, trow, dout + <usize>r * rowBytes, trow);
  }
}

/**
 * embedding_backward_f32 restricted to the table rows [v0, v1): those rows of dtable are zeroed, then
 * dtable[ids[r], :] += dout[r, :] for the r < n whose id falls in [v0, v1). For threads: calls over disjoint
 * vocabulary ranges give the bits of one embedding_backward_f32 call, since every table row still sums its
 * positions in order r = 0, 1, … with the same add.
 */
export function embedding_backward_range_f32(
  n: i32, ids: usize, dout: usize, d: i32, vocab: i32, dtable: usize, v0: i32, v1: i32,
): void {
  const rowBytes = <usize>d << 2;
  const lo = max(v0, 0), hi = min(v1, vocab);
  if (lo >= hi) return;
  fill_f32((hi - lo) * d, 0, dtable + <usize>lo * rowBytes);
  for (let r = 0; r < n; r++) {
    const id = load<i32>(ids + (<usize>r << 2));
    if (id < lo || id >= hi) continue;
    const trow = dtable + <usize>id * rowBytes;
    add_f32(d, trow, dout + <usize>r * rowBytes, trow);
  }
}
