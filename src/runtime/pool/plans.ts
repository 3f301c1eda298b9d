// How each parallel kernel splits: a table from export name to a planner that turns one call's
// arguments into several calls over disjoint parts of the output, by offsetting pointers and
// shrinking a size — from the arguments alone, so the ops above stay unchanged.
//
// Bit identity at any thread count: every output element must come from the same instruction
// sequence as in one call over everything. So splits are aligned to what the kernels' loops depend on
// (16 floats for elementwise tails, the GEMM micro-tile 4×8, whole rows for row kernels), no split
// changes a reduction's order, and where a kernel returns a sum over rows (cross-entropy) the rows
// are cut into chunks that depend only on the row count — and cut the same way on one thread.
//
// Kernels whose own arguments cannot express a part (layernorm and embedding backward, whose sums
// run over every row) name a range variant in `runs`: the split calls go to it, and a call that stays
// whole keeps the original kernel, which gives the same bits (tests/threads-attention.test.ts).
// Attention and the row/column balancing live in plans-attention.ts and plans-backward.ts.

import type { Kernels } from "../kernels.js";
import { fixedChunks, offsetCall, partsFor, PARTS_PER_THREAD, splitAligned, type Stride } from "./partition.js";
import { attentionBackwardPlan, attentionForwardPlan } from "./plans-attention.js";
import { embeddingBackwardPlan, layernormBackwardPlan } from "./plans-backward.js";

/** Which threshold applies: kernels of a family have similar cost per unit of `work`. */
export type Family = "gemm" | "elementwise" | "rows";

export interface Plan {
  /** Full argument lists, in order; their outputs are disjoint. */
  calls: number[][];
  /** An argument that is a scratch pointer: thread t > 0 gets its own region of `bytes`. */
  scratch?: { arg: number; bytes: number };
  /** Combine the calls' return values into the kernel's (else the first call's value is returned). */
  combine?: (results: number[]) => number;
}

export interface KernelPlan {
  family: Family;
  /** Work of one call, in the family's unit (multiply-adds for GEMM, elements otherwise). */
  work(args: readonly number[]): number;
  /** The calls for `threads` threads, or undefined to make the single original call. */
  split(args: readonly number[], threads: number, raw: Kernels): Plan | undefined;
  /** The split is a fixed partition whose results are combined: use it on one thread too. */
  fixed?: boolean;
  /** The kernel the split calls run, when it is not the planned one (a range variant with more arguments). */
  runs?: keyof Kernels;
}

/** Cost weight of exp/tanh-based elementwise kernels relative to an add (single-thread timings: gelu ≈ 8 × add). */
const TRANSCENDENTAL = 8;
/** Elementwise splits start at multiples of 16 floats (64 bytes): every tail stays where it was. */
const ELEMENT_UNIT = 16;
/** GEMM micro-tile: rows of C in steps of MR = 4, columns in steps of NR = 8 (assembly/gemm.ts). */
const GEMM_MR = 4;
const GEMM_NR = 8;
/**
 * GEMM parts per thread. Threads claim parts as they come, so more parts would rebalance when a core is
 * taken by something else, but every part packs the op(A) rows and op(B) columns it uses and costs a
 * claim. On a quiet 2-core machine (bench/tools/gemm-split-ab.ts, docs/PERFORMANCE.md "Threads"), one part
 * per thread was fastest below 2²⁴ multiply-adds (the MLP's 128×784·784×128: 1.77–1.93× vs 1.81–1.87×
 * with two; 128×128·128×64: 1.70× vs 1.57–1.60×), two at n = 512 and 1024 (4 and 8 were no faster).
 */
const GEMM_PARTS_PER_THREAD = 2;
const GEMM_SMALL_WORK = 1 << 24;
/** assembly/gemm.ts NC: a part packs its rows of op(A) once per NC columns of C it covers. */
const GEMM_NC = 512;

/**
 * n at argument 0; the listed pointers advance one float per element. `cost` weighs an element against
 * a plain add (exp/tanh-based activations cost ~8 adds, Adam ~4), so one threshold fits the family.
 */
function elementwise(cost: number, ...pointerArgs: number[]): KernelPlan {
  const ptrs = pointerArgs.map((arg) => ({ arg, per: 1 }));
  return {
    family: "elementwise",
    work: (a) => a[0]! * cost,
    split: (a, threads) => {
      const ranges = splitAligned(a[0]!, partsFor(threads, PARTS_PER_THREAD), ELEMENT_UNIT);
      if (ranges.length < 2) return undefined;
      return { calls: ranges.map(([s, e]) => offsetCall(a, 0, s, e, ptrs)) };
    },
  };
}

const arg = (i: number) => (a: readonly number[]) => a[i]!;

/** rows at argument `rowsArg`, row length at `colsArg`; pointers advance by their stride per row. */
function rowwise(rowsArg: number, colsArg: number, ptrs: Stride[], when?: (a: readonly number[]) => boolean): KernelPlan {
  return {
    family: "rows",
    work: (a) => a[rowsArg]! * a[colsArg]!,
    split: (a, threads) => {
      if (when && !when(a)) return undefined;
      const ranges = splitAligned(a[rowsArg]!, partsFor(threads, PARTS_PER_THREAD), 1);
      if (ranges.length < 2) return undefined;
      return { calls: ranges.map(([s, e]) => offsetCall(a, rowsArg, s, e, ptrs)) };
    },
  };
}

/**
 * Cross-entropy returns a sum over rows, which a split would reorder. Rows are cut into chunks that
 * depend only on the row count (at most 64 of them), on any number of threads, and the chunk sums are
 * added in order in float64.
 */
function chunkedRowSum(ptrs: Stride[]): KernelPlan {
  return {
    family: "rows",
    fixed: true,
    work: (a) => a[0]! * a[1]!,
    split: (a) => {
      const rows = a[0]!;
      const chunks = fixedChunks(rows, Math.max(32, Math.ceil(rows / 64)));
      if (chunks.length < 2) return undefined;
      return {
        calls: chunks.map(([s, e]) => offsetCall(a, 0, s, e, ptrs)),
        combine: (results) => {
          let total = 0;
          for (const r of results) total += r;
          return Math.fround(total);
        },
      };
    },
  };
}

/**
 * The grid of C tiles for one GEMM split: row ranges (starts in steps of MR = 4) × column ranges (steps
 * of NR = 8), every range at least 2 long so each part takes the same packed path as the whole call.
 * Among grids of `parts` tiles (fewer only when C has no more), the one whose parts pack the fewest
 * floats: a part packs its op(A) rows once per NC columns it covers and its op(B) columns once, so a tall
 * C is cut by rows, a wide one by columns and a square one into squares (n = 1024 on 2 threads: 2×2
 * tiles of 512², where row slices packed all of B in each of 4 parts).
 */
export function gemmGrid(
  m: number, n: number, k: number, threads: number, perThread = GEMM_PARTS_PER_THREAD,
): { rows: [number, number][]; cols: [number, number][] } {
  const parts = partsFor(threads, perThread);
  let best = { rows: [[0, m]] as [number, number][], cols: [[0, n]] as [number, number][] };
  let bestTiles = 1, bestCost = Infinity;
  for (let pr = 1; pr <= parts; pr++) {
    const rows = splitAligned(m, pr, GEMM_MR, 2);
    const cols = splitAligned(n, Math.ceil(parts / pr), GEMM_NR, 2);
    const tiles = Math.min(parts, rows.length * cols.length);
    let cost = rows.length * k * n; // op(B): each row range packs every column
    for (const [c0, c1] of cols) cost += Math.ceil((c1 - c0) / GEMM_NC) * m * k; // op(A): each column range packs every row
    if (tiles > bestTiles || (tiles === bestTiles && cost < bestCost)) [best, bestTiles, bestCost] = [{ rows, cols }, tiles, cost];
  }
  return best;
}

/**
 * GEMM (gemm_f32 and gemm_bias_act_f32 share the first five arguments: transA, transB, m, n, k).
 * C is cut into the tiles of gemmGrid; every tile keeps at least 2 rows and columns, so it takes the
 * same packed path (m == 1 or n == 1 use matrix-vector code with other rounding: those, k == 0 and
 * alpha == 0 stay whole). Each output element gets the same k-blocks (they depend on k alone) and the
 * same micro-kernel wherever its tile starts. Each thread packs into its own scratch. `ptr` names the
 * argument positions of a, lda, b, ldb, c, ldc, scratch (and bias, pre).
 */
function gemm(ptr: { a: number; lda: number; b: number; ldb: number; c: number; ldc: number; scratch: number; bias?: number; pre?: number; alpha?: number }): KernelPlan {
  return {
    family: "gemm",
    work: (a) => a[2]! * a[3]! * a[4]!,
    split: (a, threads, raw) => {
      const transA = a[0]!, transB = a[1]!, m = a[2]!, n = a[3]!, k = a[4]!;
      if (m < 2 || n < 2 || k < 1 || (ptr.alpha !== undefined && a[ptr.alpha] === 0)) return undefined;
      const { rows, cols } = gemmGrid(m, n, k, threads, m * n * k < GEMM_SMALL_WORK ? 1 : GEMM_PARTS_PER_THREAD);
      if (rows.length * cols.length < 2) return undefined;
      const rowPtrs: Stride[] = [{ arg: ptr.a, per: transA ? 1 : arg(ptr.lda) }, { arg: ptr.c, per: arg(ptr.ldc) }];
      const colPtrs: Stride[] = [{ arg: ptr.b, per: transB ? arg(ptr.ldb) : 1 }, { arg: ptr.c, per: 1 }];
      if (ptr.bias !== undefined) colPtrs.push({ arg: ptr.bias, per: 1 });
      // The saved pre-activation (GELU's backward needs it) has C's layout: it moves with C.
      if (ptr.pre !== undefined) {
        rowPtrs.push({ arg: ptr.pre, per: arg(ptr.ldc) });
        colPtrs.push({ arg: ptr.pre, per: 1 });
      }
      const calls: number[][] = [];
      for (const [r0, r1] of rows) {
        const rowCall = offsetCall(a, 2, r0, r1, rowPtrs);
        for (const [c0, c1] of cols) calls.push(offsetCall(rowCall, 3, c0, c1, colPtrs));
      }
      return { calls, scratch: { arg: ptr.scratch, bytes: raw.gemm_scratch_bytes() } };
    },
  };
}

/** The parallel kernels. Everything else (full reductions, scores for inspection) runs on the calling thread. */
export const PLANS: Partial<Record<keyof Kernels, KernelPlan>> = {
  gemm_f32: gemm({ alpha: 5, a: 6, lda: 7, b: 8, ldb: 9, c: 11, ldc: 12, scratch: 13 }),
  gemm_bias_act_f32: gemm({ a: 5, lda: 6, b: 7, ldb: 8, bias: 9, c: 11, ldc: 12, scratch: 13, pre: 14 }),

  relu_f32: elementwise(1, 1, 2),
  relu_backward_f32: elementwise(1, 1, 2, 3),
  sigmoid_f32: elementwise(TRANSCENDENTAL, 1, 2),
  sigmoid_backward_f32: elementwise(1, 1, 2, 3),
  tanh_backward_f32: elementwise(1, 1, 2, 3),
  gelu_f32: elementwise(TRANSCENDENTAL, 1, 2),
  gelu_backward_f32: elementwise(TRANSCENDENTAL, 1, 2, 3),
  exp_f32: elementwise(TRANSCENDENTAL, 1, 2),
  tanh_f32: elementwise(TRANSCENDENTAL, 1, 2),
  add_f32: elementwise(1, 1, 2, 3),
  sub_f32: elementwise(1, 1, 2, 3),
  mul_f32: elementwise(1, 1, 2, 3),
  scale_f32: elementwise(1, 2, 3),
  fill_f32: elementwise(1, 2),
  mse_backward_f32: elementwise(1, 1, 2, 4),
  sgd_f32: elementwise(1, 2, 3),
  sgd_momentum_f32: elementwise(2, 3, 4, 5),
  adam_f32: elementwise(4, 8, 9, 10, 11),

  // Causal softmax masks by the row's index within the call: split only unmasked calls.
  softmax_f32: rowwise(0, 1, [{ arg: 2, per: arg(3) }, { arg: 4, per: arg(5) }], (a) => a[7] === 0),
  log_softmax_f32: rowwise(0, 1, [{ arg: 2, per: arg(3) }, { arg: 4, per: arg(5) }], (a) => a[7] === 0),
  softmax_backward_f32: rowwise(0, 1, [{ arg: 2, per: arg(3) }, { arg: 4, per: arg(5) }, { arg: 6, per: arg(7) }]),
  layernorm_f32: rowwise(0, 1, [{ arg: 2, per: arg(1) }, { arg: 5, per: arg(1) }, { arg: 6, per: 1 }, { arg: 7, per: 1 }]),
  add_row_f32: rowwise(0, 1, [{ arg: 2, per: arg(3) }, { arg: 5, per: arg(6) }]),
  bias_relu_f32: rowwise(0, 1, [{ arg: 2, per: arg(3) }, { arg: 5, per: arg(6) }]),
  bias_sigmoid_f32: rowwise(0, 1, [{ arg: 2, per: arg(3) }, { arg: 5, per: arg(6) }]),
  argmax_rows_f32: rowwise(0, 1, [{ arg: 2, per: arg(1) }, { arg: 3, per: 1 }]),
  embedding_f32: rowwise(0, 3, [{ arg: 1, per: 1 }, { arg: 5, per: arg(3) }]),

  // Bias gradient: column sums split by columns, so each column's sum keeps its order.
  sum_rows_f32: {
    family: "rows",
    work: (a) => a[0]! * a[1]!,
    split: (a, threads) => {
      const ranges = splitAligned(a[1]!, partsFor(threads, PARTS_PER_THREAD), ELEMENT_UNIT);
      if (ranges.length < 2) return undefined;
      return { calls: ranges.map(([s, e]) => offsetCall(a, 1, s, e, [{ arg: 2, per: 1 }, { arg: 4, per: 1 }])) };
    },
  },

  softmax_xent_f32: chunkedRowSum([{ arg: 2, per: arg(1) }, { arg: 3, per: arg(1) }, { arg: 4, per: arg(1) }]),
  softmax_xent_index_f32: chunkedRowSum([{ arg: 2, per: arg(1) }, { arg: 3, per: 1 }, { arg: 4, per: arg(1) }]),

  layernorm_backward_f32: layernormBackwardPlan,
  embedding_backward_f32: embeddingBackwardPlan,
  attention_rows_f32: attentionForwardPlan,
  attention_rows_backward_f32: attentionBackwardPlan,
};
