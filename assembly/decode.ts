// Matrix × vector over a weight matrix repacked for streaming: the m = 1 products of cached decoding.
//
// Why: a decoded token reads every weight matrix once (1.5 MB for the default GPT, more than the 1 MB L2), so it is
// bound by how fast the weights stream in from L3. gemv_t walks each 32-column block of a row-major k×len matrix
// down its rows: two cache lines per row at a stride of len floats, a pattern the hardware prefetchers follow less
// well than one sequential stream. Here each 32-column block is stored as one contiguous k×32 panel, so a product
// reads its matrix front to back. The arithmetic is gemv_t's: per column one multiply-add per row, rows in order,
// from 0, so the results are the same bits (columns past the last full panel are left to gemv_t itself).

import { gemv_block32, gemv_t } from "./gemv";
import { ACT_LINEAR, EPILOGUE_SAVE_GRAD, bias_act_inplace } from "./activations";

/**
 * Floats of the panels of a k×len matrix: its full 32-column blocks (the columns after them stay in the matrix).
 * 0 in the scalar build, which has no 32-wide loop and runs gemv_t on the matrix itself.
 */
export function decode_panels_size(len: i32, k: i32): i32 {
  if (!ASC_FEATURE_SIMD || len <= 0 || k <= 0) return 0;
  return (len >> 5 << 5) * k;
}

/**
 * Copies the full 32-column blocks of M (k×len, row stride ldm floats) into k×32 panels, block after block, at
 * `panels` (decode_panels_size(len, k) floats). Repack after the weights change: the panels are a copy.
 */
export function decode_pack_panels_f32(len: i32, k: i32, mat: usize, ldm: i32, panels: usize): void {
  if (!ASC_FEATURE_SIMD || decode_panels_size(len, k) == 0) return;
  const rowM = <usize>ldm << 2;
  let dst = panels;
  for (let j = 0; j + 32 <= len; j += 32) {
    let src = mat + (<usize>j << 2);
    for (let p = 0; p < k; p++) {
      // Eight wide copies, not memory.copy: a 128-byte memory.copy is a call into the engine (~3× slower here).
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      v128.store(dst, v128.load(src, 32), 32);
      v128.store(dst, v128.load(src, 48), 48);
      v128.store(dst, v128.load(src, 64), 64);
      v128.store(dst, v128.load(src, 80), 80);
      v128.store(dst, v128.load(src, 96), 96);
      v128.store(dst, v128.load(src, 112), 112);
      dst += 128;
      src += rowM;
    }
  }
}

/**
 * The m = 1 Dense forward from packed weights: out[j] = act(Σ_p x[p]·M[p, j] + bias[j]) for j < len (x, out
 * contiguous; bias == 0: none). The full 32-column blocks come from `panels` (decode_pack_panels_f32 of M), the
 * columns after them from M through gemv_t; the epilogue is gemm_bias_act_f32's. Bit for bit
 * gemm_bias_act_f32(0, 0, 1, len, k, x, k, M, ldm, bias, act, out, len, scratch, 0).
 */
export function decode_dense_f32(
  len: i32, k: i32, x: usize, panels: usize, mat: usize, ldm: i32, bias: usize, act: i32, out: usize,
): void {
  if (len <= 0) return;
  if (k <= 0) memory.fill(out, 0, <usize>len << 2); // gemm's k = 0: C = 0·C, written as zeros
  else gemv_panels(len, k, x, panels, mat, ldm, out);
  act &= ~EPILOGUE_SAVE_GRAD; // no pre-activation buffer here (gemm_core drops the flag the same way)
  if (bias != 0 || act != ACT_LINEAR) bias_act_inplace(1, len, out, len, bias, act, 0);
}

/** out[j] = Σ_p x[p]·M[p, j]: gemv_t(len, k, 1, x, 4, M, ldm, 0, out, 4), reading full blocks from the panels. */
function gemv_panels(len: i32, k: i32, x: usize, panels: usize, mat: usize, ldm: i32, out: usize): void {
  let j = 0;
  if (ASC_FEATURE_SIMD) {
    // gemv_t's own block loop on a panel (row stride 128 bytes); alpha 1 and beta 0 leave every value as it is.
    const panelBytes = <usize>k << 7;
    let pm = panels;
    for (; j + 32 <= len; j += 32) {
      gemv_block32(k, x, 4, pm, 128, out + (<usize>j << 2), 4, 1, 0);
      pm += panelBytes;
    }
  }
  if (j < len) gemv_t(len - j, k, 1, x, 4, mat + (<usize>j << 2), ldm, 0, out + (<usize>j << 2), 4);
}
