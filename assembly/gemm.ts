// GEMM: C = alpha·op(A)·op(B) + beta·C over row-major f32 matrices in linear memory.
//
// op(A) is m×k and op(B) is k×n. With transA = 0, A is stored m×k with row stride lda (lda >= k);
// with transA != 0, A is stored k×m (lda >= m) and read transposed. Likewise B: k×n (ldb >= n) or
// n×k (ldb >= k). C is m×n with ldc >= n. m, n, k >= 0. Only the m×n elements of C are written and
// only the elements of op(A), op(B) are read, so sub-matrices of larger arrays are safe operands.
// When beta == 0, C is not read (it may hold NaN or garbage), as in BLAS. When k == 0 or
// alpha == 0, A and B are not read and C = beta·C.
// `scratch` is a 16-byte aligned region of at least gemm_scratch_bytes() bytes that the kernel
// may overwrite (packed panels); it must not overlap A, B or C.
//
// Design (BLIS / XNNPACK style), see docs/PERFORMANCE.md "## GEMM":
//   for jc in n by NC:                    B block (≤ KC×NC) packed once per (jc, pc)
//     for pc in k by KC:                  k-blocks; the first applies beta, later ones accumulate
//       pack op(B)[pc.., jc..] into NR-wide strips, k-major, zero-padded to NR
//       for ic in m by MC:
//         pack op(A)[ic.., pc..] into MR-tall strips, k-major, zero-padded to MR
//         for jr in nc by NR: for ir in mc by MR: micro-kernel MR×NR over kc
// Packing absorbs the transposes, so all four (transA, transB) combinations run the same
// micro-kernel. The micro-kernel keeps the MR×NR tile of C in registers (4×8 = 8 v128
// accumulators), and applies alpha/beta in its store. Ragged tiles (fewer than MR rows or NR
// columns left) are computed in full on zero-padded panels into a small tile in scratch and only
// the valid part is copied out, so no access ever leaves the operands.
// m == 1 and n == 1 (vector × matrix, matrix × vector) skip packing: gemv_t / gemv_n stream the
// matrix once. The scalar build (no ASC_FEATURE_SIMD) uses the same packing and blocking with a
// scalar micro-kernel that walks the 4×8 tile as four 2×4 register blocks.

// ---- blocking parameters ----

import { ACT_GELU, ACT_LINEAR, EPILOGUE_MUL, EPILOGUE_SAVE_GRAD, bias_act_inplace, bias_act_tile_4x8 } from "./activations";
import { tile_4x8 } from "./tile";
import { gemv_n, gemv_t } from "./gemv";
/** Micro-tile rows (rows of op(A) per packed strip). */
const MR: i32 = 4;
/** Micro-tile columns (columns of op(B) per packed strip): two f32x4 vectors. */
const NR: i32 = 8;
/** k-block: a packed B strip is KC×NR floats = 8 KiB, an A strip KC×MR = 4 KiB (both L1). */
const KC: i32 = 256;
/** m-block (multiple of MR): the packed A block is MC×KC floats = 128 KiB (L2). */
const MC: i32 = 128;
/** n-block (multiple of NR): the packed B block is KC×NC floats = 512 KiB (L2/L3). */
const NC: i32 = 512;

const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;
const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
const TILE_BYTES: usize = <usize>(MR * NR) << 2;

/** Bytes of scratch gemm_f32 needs, whatever the operand sizes: packed A block + packed B block + one edge tile. */
export function gemm_scratch_bytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

/** Split `total` into ceil(total / maxStep) nearly equal blocks, each rounded up to a multiple of `unit` (≤ maxStep). */
// @ts-ignore: decorator
@inline function blockStep(total: i32, maxStep: i32, unit: i32): i32 {
  const nb = (total + maxStep - 1) / maxStep;
  const step = (total + nb - 1) / nb;
  return (step + unit - 1) / unit * unit;
}

/**
 * C (m×n) = alpha·op(A) (m×k)·op(B) (k×n) + beta·C; contract in the header above. Dispatch: empty C →
 * nothing; k == 0 or alpha == 0 → C = beta·C; m == 1 or n == 1 → unpacked matrix-vector paths;
 * otherwise the blocked, packed 4×8 path.
 */
export function gemm_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, scratch: usize,
): void {
  gemm_core(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch, 0, ACT_LINEAR, 0);
}

/**
 * The fused Dense forward: C (m×n) = act(op(A)·op(B) + bias), bias n floats (0 = none), act one of the
 * ACT_* codes in activations.ts. Same contract as gemm_f32 with alpha = 1, beta = 0. Each tile gets its
 * bias and activation right after its last k-block is stored, while it is still in L1. `pre` (0 = none, and
 * last so that callers without it pass 0) receives the pre-activation op(A)·op(B) + bias with row stride ldc,
 * for backward passes that need it (GELU); it must not overlap C. act = ACT_GELU | EPILOGUE_SAVE_GRAD stores
 * gelu'(pre-activation) at `pre` instead (what GELU's backward multiplies by); the flag is dropped when pre is 0
 * or the activation is not GELU. act = EPILOGUE_MUL multiplies C by `pre` instead (read only, same layout as C;
 * with pre = 0 there is nothing to multiply by): C = (op(A)·op(B) + bias) ⊙ pre.
 */
export function gemm_bias_act_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, bias: usize, act: i32, c: usize, ldc: i32, scratch: usize, pre: usize,
): void {
  gemm_core(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc, scratch, bias, act, pre);
}

function gemm_core(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, scratch: usize, bias: usize, act: i32, pre: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (pre == 0 || (act & ~EPILOGUE_SAVE_GRAD) != ACT_GELU) act &= ~EPILOGUE_SAVE_GRAD;
  if (act == EPILOGUE_MUL && pre == 0) act = ACT_LINEAR; // nothing to multiply by
  const epilogue = bias != 0 || act != ACT_LINEAR || pre != 0;
  if (k <= 0 || alpha == 0 || m == 1 || n == 1) {
    gemm_unpacked(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (epilogue) bias_act_inplace(m, n, c, ldc, bias, act, pre);
    return;
  }
  gemm_blocked(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, scratch, bias, act, pre);
}

/** The cases that need no packing: empty k or alpha == 0 (C = beta·C) and matrix × vector. */
function gemm_unpacked(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  if (k <= 0 || alpha == 0) {
    scale_c(m, n, beta, c, ldc);
    return;
  }
  if (m == 1) {
    // c (1×n) = a (1×k)·op(B): a[p] at a + p·(transA ? lda : 1) floats.
    const sa: usize = transA ? <usize>lda << 2 : 4;
    if (transB) gemv_n(n, k, alpha, a, sa, b, ldb, beta, c, 4);
    else gemv_t(n, k, alpha, a, sa, b, ldb, beta, c, 4);
    return;
  }
  if (n == 1) {
    // c (m×1, stride ldc) = op(A)·b (k×1): b[p] at b + p·(transB ? 1 : ldb) floats.
    const sb: usize = transB ? 4 : <usize>ldb << 2;
    if (transA) gemv_t(m, k, alpha, b, sb, a, lda, beta, c, <usize>ldc << 2);
    else gemv_n(m, k, alpha, b, sb, a, lda, beta, c, <usize>ldc << 2);
  }
}

/** The packed 4×8 path (m, n >= 2, k >= 1); bias/act as in gemm_bias_act_f32, applied per finished tile. */
function gemm_blocked(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32, scratch: usize, bias: usize, act: i32, pre: usize,
): void {
  const epilogue = bias != 0 || act != ACT_LINEAR || pre != 0;
  const pa = scratch;
  const pb = scratch + PACK_A_BYTES;
  const tile = pb + PACK_B_BYTES;

  const ncStep = blockStep(n, NC, NR);
  const kcStep = blockStep(k, KC, 1);
  const mcStep = blockStep(m, MC, MR);

  for (let jc = 0; jc < n; jc += ncStep) {
    const nc = min(ncStep, n - jc);
    for (let pc = 0; pc < k; pc += kcStep) {
      const kc = min(kcStep, k - pc);
      const betaBlock: f32 = pc == 0 ? beta : 1;
      const lastBlock = pc + kc >= k;
      pack_b(transB, b, ldb, pc, kc, jc, nc, pb);
      for (let ic = 0; ic < m; ic += mcStep) {
        const mc = min(mcStep, m - ic);
        pack_a(transA, a, lda, ic, mc, pc, kc, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pbStrip = pb + (<usize>(jr * kc) << 2);
          const cCol = c + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const cTile = cCol + (<usize>((ic + ir) * ldc) << 2);
            ukernel_4x8(kc, pa + (<usize>(ir * kc) << 2), pbStrip, cTile, ldc, mr, nr, alpha, betaBlock, tile);
            if (epilogue && lastBlock) {
              const tileBias: usize = bias == 0 ? 0 : bias + (<usize>(jc + jr) << 2);
              const tilePre: usize = pre == 0 ? 0 : pre + (cTile - c);
              if (ASC_FEATURE_SIMD && mr == MR && nr == NR) bias_act_tile_4x8(cTile, ldc, tileBias, act, tilePre);
              else bias_act_inplace(mr, nr, cTile, ldc, tileBias, act, tilePre);
            }
          }
        }
      }
    }
  }
}

// ---- C = beta·C (k == 0 or alpha == 0); beta == 0 writes zeros without reading C ----

function scale_c(m: i32, n: i32, beta: f32, c: usize, ldc: i32): void {
  if (beta == 1) return;
  for (let i = 0; i < m; i++) {
    const row = c + (<usize>(i * ldc) << 2);
    for (let j = 0; j < n; j++) {
      const p = row + (<usize>j << 2);
      store<f32>(p, beta == 0 ? <f32>0 : beta * load<f32>(p));
    }
  }
}

// ---- packing ----

/**
 * Pack op(A)[i0 .. i0+mc, p0 .. p0+kc] into ceil(mc/MR) strips; strip s holds rows i0+s·MR .. +MR,
 * k-major: dst[s·kc·MR + p·MR + ii] = op(A)[i0 + s·MR + ii, p0 + p], rows past mc are zeros.
 */
function pack_a(transA: i32, a: usize, lda: i32, i0: i32, mc: i32, p0: i32, kc: i32, dst: usize): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const out = dst + (<usize>(ir * kc) << 2);
    const i = i0 + ir;
    let p = 0;
    if (ASC_FEATURE_SIMD) {
      if (mr == MR) {
        if (transA) {
          // A is k×m: the MR values of column p of the strip are contiguous.
          for (; p < kc; p++) {
            v128.store(out + (<usize>(p * MR) << 2), v128.load(a + (<usize>((p0 + p) * lda + i) << 2)));
          }
        } else {
          // A is m×k: read 4×4 blocks along the rows and transpose them.
          const r0 = a + (<usize>(i * lda + p0) << 2);
          const r1 = r0 + (<usize>lda << 2);
          const r2 = r1 + (<usize>lda << 2);
          const r3 = r2 + (<usize>lda << 2);
          for (; p + 4 <= kc; p += 4) {
            const o = <usize>p << 2;
            transpose4_store(
              v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o),
              out + (<usize>(p * MR) << 2), MR << 2,
            );
          }
        }
      }
    }
    // Scalar path: tails, ragged strips, and the whole strip in the scalar build.
    for (; p < kc; p++) {
      const o = out + (<usize>(p * MR) << 2);
      for (let ii = 0; ii < MR; ii++) {
        let v: f32 = 0;
        if (ii < mr) {
          v = transA
            ? load<f32>(a + (<usize>((p0 + p) * lda + i + ii) << 2))
            : load<f32>(a + (<usize>((i + ii) * lda + p0 + p) << 2));
        }
        store<f32>(o + (<usize>ii << 2), v);
      }
    }
  }
}

/**
 * Pack op(B)[p0 .. p0+kc, j0 .. j0+nc] into ceil(nc/NR) strips; strip s holds columns j0+s·NR .. +NR,
 * k-major: dst[s·kc·NR + p·NR + jj] = op(B)[p0 + p, j0 + s·NR + jj], columns past nc are zeros.
 */
function pack_b(transB: i32, b: usize, ldb: i32, p0: i32, kc: i32, j0: i32, nc: i32, dst: usize): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const out = dst + (<usize>(jr * kc) << 2);
    const j = j0 + jr;
    let p = 0;
    if (ASC_FEATURE_SIMD) {
      if (nr == NR) {
        if (transB) {
          // B is n×k: each of the NR columns of the strip is a contiguous row of B; transpose 4×4 blocks.
          const r0 = b + (<usize>(j * ldb + p0) << 2);
          const step = <usize>ldb << 2;
          const r1 = r0 + step, r2 = r1 + step, r3 = r2 + step;
          const r4 = r3 + step, r5 = r4 + step, r6 = r5 + step, r7 = r6 + step;
          for (; p + 4 <= kc; p += 4) {
            const o = <usize>p << 2;
            const d = out + (<usize>(p * NR) << 2);
            transpose4_store(v128.load(r0 + o), v128.load(r1 + o), v128.load(r2 + o), v128.load(r3 + o), d, NR << 2);
            transpose4_store(v128.load(r4 + o), v128.load(r5 + o), v128.load(r6 + o), v128.load(r7 + o), d + 16, NR << 2);
          }
        } else {
          // B is k×n: row p of the strip is NR contiguous floats.
          for (; p < kc; p++) {
            const s = b + (<usize>((p0 + p) * ldb + j) << 2);
            const d = out + (<usize>(p * NR) << 2);
            v128.store(d, v128.load(s));
            v128.store(d, v128.load(s, 16), 16);
          }
        }
      }
    }
    for (; p < kc; p++) {
      const o = out + (<usize>(p * NR) << 2);
      for (let jj = 0; jj < NR; jj++) {
        let v: f32 = 0;
        if (jj < nr) {
          v = transB
            ? load<f32>(b + (<usize>((j + jj) * ldb + p0 + p) << 2))
            : load<f32>(b + (<usize>((p0 + p) * ldb + j + jj) << 2));
        }
        store<f32>(o + (<usize>jj << 2), v);
      }
    }
  }
}

/** Transpose the 4×4 block whose rows are r0..r3 and store its rows (the input's columns) `stride` bytes apart. */
// @ts-ignore: decorator
@inline function transpose4_store(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, stride: i32): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  const s = <usize>stride;
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + s, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * s, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * s, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}

// ---- micro-kernel ----

/**
 * C[0..mr, 0..nr] = alpha·(Ap·Bp) + beta·C for one MR×NR tile.
 * pa: packed A strip (kc×MR, k-major), pb: packed B strip (kc×NR, k-major), both zero-padded.
 * c: top-left of the tile in C (row stride ldc). Full tiles are stored straight to C; ragged ones
 * (mr < MR or nr < NR) go through `tile` (MR×NR floats of scratch) and only the valid part is written.
 * beta == 0 never reads C.
 * Inlined into gemm_blocked's tile loop: as a call it cost the GPT training step 4 % (relaxed) and 10 % (SIMD),
 * one thread, against a k-loop of only 128–256 steps per tile (bench/tools/ab-gpt.ts; the same bits).
 */
// @ts-ignore: decorator
@inline function ukernel_4x8(
  kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, mr: i32, nr: i32, alpha: f32, beta: f32, tile: usize,
): void {
  if (ASC_FEATURE_SIMD) {
    const full = mr == MR && nr == NR;
    // Full tiles store into C directly; ragged ones into the scratch tile (row stride NR) as if beta == 0.
    const dst = full ? c : tile;
    const rs = full ? <usize>ldc << 2 : <usize>NR << 2;
    const bt: f32 = full ? beta : 0;
    const va = f32x4.splat(alpha);
    tile_4x8(2, false, false, kc, kc, kc, kc, pa, pb, dst, dst + rs, dst + 2 * rs, dst + 3 * rs, va, va, va, va, bt);
    if (!full) copy_tile(tile, c, ldc, mr, nr, beta);
  } else {
    // Scalar build: four 2×4 register blocks (8 accumulators fit the x64 registers without spilling).
    const full = mr == MR && nr == NR;
    const dst = full ? c : tile;
    const ld = full ? ldc : NR;
    const bt: f32 = full ? beta : 0;
    ukernel_scalar_2x4(kc, pa, pb, dst, ld, alpha, bt);
    ukernel_scalar_2x4(kc, pa, pb + 16, dst + 16, ld, alpha, bt);
    ukernel_scalar_2x4(kc, pa + 8, pb, dst + (<usize>(2 * ld) << 2), ld, alpha, bt);
    ukernel_scalar_2x4(kc, pa + 8, pb + 16, dst + (<usize>(2 * ld) << 2) + 16, ld, alpha, bt);
    if (!full) copy_tile(tile, c, ldc, mr, nr, beta);
  }
}

/** C[0..mr, 0..nr] = T + beta·C, where T (row stride NR) already holds alpha·A·B. */
function copy_tile(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32, beta: f32): void {
  for (let i = 0; i < mr; i++) {
    const src = tile + (<usize>(i * NR) << 2);
    const dst = c + (<usize>(i * ldc) << 2);
    for (let j = 0; j < nr; j++) {
      const o = <usize>j << 2;
      const t = load<f32>(src + o);
      store<f32>(dst + o, beta == 0 ? t : t + beta * load<f32>(dst + o));
    }
  }
}

/**
 * Scalar 2×4 block of the 4×8 tile: rows 0..1 of the packed A strip at pa (stride MR), columns 0..3
 * of the packed B strip at pb (stride NR). Writes alpha·acc (+ beta·C) to d (row stride ld floats).
 */
function ukernel_scalar_2x4(kc: i32, pa: usize, pb: usize, d: usize, ld: i32, alpha: f32, beta: f32): void {
  let c00: f32 = 0, c01: f32 = 0, c02: f32 = 0, c03: f32 = 0;
  let c10: f32 = 0, c11: f32 = 0, c12: f32 = 0, c13: f32 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = load<f32>(pa), a1 = load<f32>(pa, 4);
    const b0 = load<f32>(pb), b1 = load<f32>(pb, 4), b2 = load<f32>(pb, 8), b3 = load<f32>(pb, 12);
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    pa += MR << 2;
    pb += NR << 2;
  }
  const d1 = d + (<usize>ld << 2);
  if (beta == 0) {
    store<f32>(d, alpha * c00); store<f32>(d, alpha * c01, 4); store<f32>(d, alpha * c02, 8); store<f32>(d, alpha * c03, 12);
    store<f32>(d1, alpha * c10); store<f32>(d1, alpha * c11, 4); store<f32>(d1, alpha * c12, 8); store<f32>(d1, alpha * c13, 12);
  } else {
    store<f32>(d, alpha * c00 + beta * load<f32>(d));
    store<f32>(d, alpha * c01 + beta * load<f32>(d, 4), 4);
    store<f32>(d, alpha * c02 + beta * load<f32>(d, 8), 8);
    store<f32>(d, alpha * c03 + beta * load<f32>(d, 12), 12);
    store<f32>(d1, alpha * c10 + beta * load<f32>(d1));
    store<f32>(d1, alpha * c11 + beta * load<f32>(d1, 4), 4);
    store<f32>(d1, alpha * c12 + beta * load<f32>(d1, 8), 8);
    store<f32>(d1, alpha * c13 + beta * load<f32>(d1, 12), 12);
  }
}

/**
 * Reference GEMM: the textbook triple loop with an f32 accumulator, no blocking, no SIMD.
 * It is the oracle for the as-pect specs and the baseline in benchmarks; keep it obviously correct.
 */
export function gemm_ref_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32, alpha: f32,
  a: usize, lda: i32, b: usize, ldb: i32, beta: f32, c: usize, ldc: i32,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc: f32 = 0;
      for (let p = 0; p < k; p++) {
        const aip = transA ? load<f32>(a + (<usize>(p * lda + i) << 2)) : load<f32>(a + (<usize>(i * lda + p) << 2));
        const bpj = transB ? load<f32>(b + (<usize>(j * ldb + p) << 2)) : load<f32>(b + (<usize>(p * ldb + j) << 2));
        acc += aip * bpj;
      }
      const cp = c + (<usize>(i * ldc + j) << 2);
      store<f32>(cp, beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(cp));
    }
  }
}
