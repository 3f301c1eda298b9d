import { gemm_f32, gemm_ref_f32, gemm_scratch_bytes } from "../../assembly/gemm";
import { fill_f32 } from "../../assembly/blas";
import { ptr } from "./helpers/buffers";

// gemm_f32 against the naive gemm_ref_f32 over all four transpose combinations, ragged sizes,
// padded leading dimensions, alpha != 1, beta in {0, 1, 0.5}, NaN in C when beta == 0, guards
// around C, NaN in the unused parts of A and B (a stray read would leak into C), and NaN in the
// scratch before every call (packing must overwrite everything the micro-kernel reads).
// Operands are small multiples of 0.5, so every product and sum here is exact in f32 whatever
// the summation order: results are compared exactly (bit patterns outside the m×n window).

const SIZES: i32[] = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 65, 129];
const GUARD: i32 = 8; // floats before and after each operand's storage
const TRANS: i32[][] = [[0, 0], [1, 0], [0, 1], [1, 1]];

// One scratch region for every call, 16-byte aligned inside an over-allocated buffer.
const scratchBuf = new StaticArray<f32>(<i32>(gemm_scratch_bytes() >> 2) + 4);
const scratch: usize = (ptr(scratchBuf) + 15) & ~(<usize>15);
const scratchFloats: i32 = <i32>(gemm_scratch_bytes() >> 2);

/** Exact small value for the valid element (r, c) of an operand: a multiple of 0.5 in [-2.5, 2.5]. */
function val(r: i32, c: i32, seed: i32): f32 {
  return <f32>(((r * 7 + c * 3 + seed * 5) % 11) - 5) * 0.5;
}

/**
 * A rows×cols operand stored with leading dimension ld (>= cols) between GUARD floats on each side.
 * Valid elements get val(); row padding and guards get `fillPad` (NaN for inputs).
 */
function operand(rows: i32, cols: i32, ld: i32, seed: i32, fillPad: f32): StaticArray<f32> {
  const buf = new StaticArray<f32>(2 * GUARD + max(rows * ld, 1));
  for (let i = 0; i < buf.length; i++) buf[i] = fillPad;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) buf[GUARD + r * ld + c] = val(r, c, seed);
  }
  return buf;
}

function base(buf: StaticArray<f32>): usize {
  return ptr(buf) + (<usize>GUARD << 2);
}

/** Run gemm_f32 and gemm_ref_f32 on the same inputs; returns the number of mismatching floats. */
function compare(
  tA: i32, tB: i32, m: i32, n: i32, k: i32, alpha: f32, beta: f32, padA: i32, padB: i32, padC: i32,
): i32 {
  const lda = (tA ? m : k) + padA, ldb = (tB ? k : n) + padB, ldc = n + padC;
  const a = operand(tA ? k : m, tA ? m : k, lda, 1, NaN);
  const b = operand(tB ? n : k, tB ? k : n, ldb, 2, NaN);
  // C: valid elements hold exact values (NaN when beta == 0: must never be read); padding and guards
  // hold a sentinel that must survive untouched.
  const cInit: f32 = beta == 0 ? NaN : 0;
  const c1 = operand(m, n, ldc, 3, -77.25);
  if (beta == 0) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) c1[GUARD + i * ldc + j] = cInit;
  const c2 = new StaticArray<f32>(c1.length);
  for (let i = 0; i < c1.length; i++) c2[i] = c1[i];

  fill_f32(scratchFloats, NaN, scratch);
  gemm_f32(tA, tB, m, n, k, alpha, base(a), lda, base(b), ldb, beta, base(c1), ldc, scratch);
  gemm_ref_f32(tA, tB, m, n, k, alpha, base(a), lda, base(b), ldb, beta, base(c2), ldc);

  let bad = 0;
  for (let i = 0; i < c1.length; i++) {
    // Bitwise: catches NaN leaking into C and any write to padding or guards (they hold -77.25).
    if (reinterpret<u32>(c1[i]) != reinterpret<u32>(c2[i])) bad++;
  }
  return bad;
}

describe("gemm_scratch_bytes", () => {
  it("is a constant multiple of 16 large enough for packed panels", () => {
    expect<usize>(gemm_scratch_bytes() & 15).toBe(0);
    expect<usize>(gemm_scratch_bytes()).toBe(gemm_scratch_bytes());
    expect<bool>(gemm_scratch_bytes() >= 64 * 1024).toBe(true);
  });
});

describe("gemm_f32 hand examples", () => {
  // A = [1 2 3; 4 5 6], B = [7 8; 9 10; 11 12]  =>  A·B = [58 64; 139 154]
  it("computes a 2×3·3×2 product in all four storage orders", () => {
    const a = new StaticArray<f32>(6), at = new StaticArray<f32>(6);
    const b = new StaticArray<f32>(6), bt = new StaticArray<f32>(6);
    for (let i = 0; i < 2; i++) for (let p = 0; p < 3; p++) {
      a[i * 3 + p] = <f32>(i * 3 + p + 1);
      at[p * 2 + i] = <f32>(i * 3 + p + 1);
    }
    for (let p = 0; p < 3; p++) for (let j = 0; j < 2; j++) {
      const v: i32 = 7 + p * 2 + j;
      b[p * 2 + j] = <f32>v;
      bt[j * 3 + p] = <f32>v;
    }
    for (let t = 0; t < 4; t++) {
      const tA = TRANS[t][0], tB = TRANS[t][1];
      const c = new StaticArray<f32>(4);
      c[0] = NaN; c[1] = NaN; c[2] = NaN; c[3] = NaN;
      gemm_f32(tA, tB, 2, 2, 3, 1, ptr(tA ? at : a), tA ? 2 : 3, ptr(tB ? bt : b), tB ? 3 : 2, 0, ptr(c), 2, scratch);
      expect<f32>(c[0]).toBe(58);
      expect<f32>(c[1]).toBe(64);
      expect<f32>(c[2]).toBe(139);
      expect<f32>(c[3]).toBe(154);
    }
  });
  it("applies alpha and beta: C = 2·A·B + 0.5·C", () => {
    const a = new StaticArray<f32>(6), b = new StaticArray<f32>(6), c = new StaticArray<f32>(4);
    for (let i = 0; i < 6; i++) { a[i] = <f32>(i + 1); b[i] = <f32>(i + 7); }
    c[0] = 1; c[1] = 2; c[2] = 3; c[3] = 4;
    gemm_f32(0, 0, 2, 2, 3, 2, ptr(a), 3, ptr(b), 2, 0.5, ptr(c), 2, scratch);
    expect<f32>(c[0]).toBe(116.5);
    expect<f32>(c[1]).toBe(129);
    expect<f32>(c[2]).toBe(279.5);
    expect<f32>(c[3]).toBe(310);
  });
});

describe("gemm_f32 degenerate sizes", () => {
  it("k = 0 gives C = beta·C (zeros over NaN when beta == 0) and reads neither A nor B", () => {
    const c = new StaticArray<f32>(3 * 5);
    for (let i = 0; i < 15; i++) c[i] = NaN;
    gemm_f32(0, 0, 3, 4, 0, 1.5, 0, 0, 0, 4, 0, ptr(c), 5, scratch);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) expect<f32>(c[i * 5 + j]).toBe(0);
      expect<bool>(isNaN(c[i * 5 + 4])).toBe(true); // padding column untouched
    }
    for (let i = 0; i < 15; i++) c[i] = <f32>i;
    gemm_f32(1, 1, 3, 4, 0, 1.5, 0, 3, 0, 0, 0.5, ptr(c), 5, scratch);
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 4; j++) expect<f32>(c[i * 5 + j]).toBe(<f32>(i * 5 + j) * 0.5);
      expect<f32>(c[i * 5 + 4]).toBe(<f32>(i * 5 + 4));
    }
    for (let t = 0; t < 4; t++) expect<i32>(compare(TRANS[t][0], TRANS[t][1], 5, 9, 0, 2, 1, 1, 2, 3)).toBe(0);
  });
  it("m = 0 or n = 0 writes nothing", () => {
    for (let t = 0; t < 4; t++) {
      expect<i32>(compare(TRANS[t][0], TRANS[t][1], 0, 7, 5, 1, 0, 1, 1, 1)).toBe(0);
      expect<i32>(compare(TRANS[t][0], TRANS[t][1], 7, 0, 5, 1, 0.5, 1, 1, 1)).toBe(0);
    }
  });
  it("alpha = 0 gives beta·C without reading A or B (NaN there does not leak)", () => {
    const a = new StaticArray<f32>(4), b = new StaticArray<f32>(4), c = new StaticArray<f32>(4);
    for (let i = 0; i < 4; i++) { a[i] = NaN; b[i] = NaN; c[i] = <f32>i; }
    gemm_f32(0, 0, 2, 2, 2, 0, ptr(a), 2, ptr(b), 2, 0.5, ptr(c), 2, scratch);
    for (let i = 0; i < 4; i++) expect<f32>(c[i]).toBe(<f32>i * 0.5);
  });
});

describe("gemm_f32 vs gemm_ref_f32", () => {
  it("every size of the list as m, n and k, in all four transpose combinations", () => {
    // Three rotations of the size list give each size once as m, n and k, paired with different
    // partners (small with large), so full tiles, ragged tiles and the k tails all run.
    const betas: f32[] = [0, 1, 0.5];
    const alphas: f32[] = [1.5, -0.5, 2];
    let run = 0;
    for (let r = 0; r < 2; r++) {
      for (let i = 0; i < SIZES.length; i++) {
        const m = SIZES[i];
        const n = SIZES[(i + 5 + r * 6) % SIZES.length];
        const k = SIZES[(i + 11 + r * 3) % SIZES.length];
        for (let t = 0; t < 4; t++) {
          const beta = betas[run % 3], alpha = alphas[(run / 3) % 3];
          const bad = compare(TRANS[t][0], TRANS[t][1], m, n, k, alpha, beta, 3, 5, 2);
          if (bad != 0) log<string>(`mismatch m=${m} n=${n} k=${k} tA=${TRANS[t][0]} tB=${TRANS[t][1]} beta=${beta}: ${bad}`);
          expect<i32>(bad).toBe(0);
          run++;
        }
      }
    }
  });
  it("square sizes around the tile (1..17) with tight leading dimensions", () => {
    for (let s = 0; s < 9; s++) {
      const d = SIZES[s];
      for (let t = 0; t < 4; t++) {
        expect<i32>(compare(TRANS[t][0], TRANS[t][1], d, d, d, 1, <f32>(t & 1) * 0.5, 0, 0, 0)).toBe(0);
      }
    }
  });
  it("matrix-vector shapes (m = 1, n = 1) and k = 1", () => {
    for (let t = 0; t < 4; t++) {
      const tA = TRANS[t][0], tB = TRANS[t][1];
      expect<i32>(compare(tA, tB, 1, 129, 65, 1, 0, 1, 2, 1)).toBe(0);
      expect<i32>(compare(tA, tB, 65, 1, 33, 0.5, 1, 2, 1, 3)).toBe(0);
      expect<i32>(compare(tA, tB, 33, 17, 1, 2, 0.5, 1, 1, 1)).toBe(0);
      // Every column block of the matrix-vector loops (32, 16, 4, 1 wide) with an even and an odd k.
      expect<i32>(compare(tA, tB, 1, 61, 64, 1, 0, 0, 1, 0)).toBe(0);
      expect<i32>(compare(tA, tB, 61, 1, 7, 1, 0.5, 1, 0, 2)).toBe(0);
    }
  });
  it("shapes larger than one cache block (m > MC, n > NC, k > KC), so every blocking loop repeats", () => {
    for (let t = 0; t < 4; t++) {
      const tA = TRANS[t][0], tB = TRANS[t][1];
      expect<i32>(compare(tA, tB, 70, 300, 600, 1.5, t == 0 ? 0 : 0.5, 3, 1, 5)).toBe(0);
    }
    expect<i32>(compare(0, 0, 133, 521, 262, -0.5, 1, 0, 0, 0)).toBe(0);
    expect<i32>(compare(1, 1, 133, 521, 262, 2, 0, 2, 3, 1)).toBe(0);
  });
});
