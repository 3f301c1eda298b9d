// Layout changes between the token-major activations of a transformer and the head-major layout
// the attention kernels take.
//
//   token-major  [B, T, H, D]: row (b, t) holds all heads' features, as X·W_q produces them
//   head-major   [B, H, T, D]: each head's [T, D] block contiguous, as attention_f32 reads it
//
// Each moves B·T·H rows of D contiguous floats; no arithmetic. `src` and `dst` must not overlap.

/** [B, T, H, D] → [B, H, T, D]. `srcStride` is the row stride of src in floats (≥ H·D), so Q, K, V
 * can be read straight out of a fused [B·T, 3·H·D] projection. */
export function split_heads_f32(b: i32, t: i32, h: i32, d: i32, src: usize, srcStride: i32, dst: usize): void {
  const rowBytes = <usize>d << 2;
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      const s = src + (<usize>((bi * t + ti) * srcStride) << 2);
      for (let hi = 0; hi < h; hi++) {
        const o = dst + (<usize>(((bi * h + hi) * t + ti) * d) << 2);
        memory.copy(o, s + <usize>hi * rowBytes, rowBytes);
      }
    }
  }
}

/** [B, H, T, D] → [B, T, H, D] (concatenating the heads of each token), with dst row stride `dstStride` ≥ H·D. */
export function merge_heads_f32(b: i32, t: i32, h: i32, d: i32, src: usize, dst: usize, dstStride: i32): void {
  const rowBytes = <usize>d << 2;
  for (let bi = 0; bi < b; bi++) {
    for (let ti = 0; ti < t; ti++) {
      const o = dst + (<usize>((bi * t + ti) * dstStride) << 2);
      for (let hi = 0; hi < h; hi++) {
        const s = src + (<usize>(((bi * h + hi) * t + ti) * d) << 2);
        memory.copy(o + <usize>hi * rowBytes, s, rowBytes);
      }
    }
  }
}
