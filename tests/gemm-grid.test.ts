// How the thread pool cuts one GEMM into tiles of C (runtime/pool/plans.ts gemmGrid). Bit identity of
// the split results is tests/threads.test.ts; this checks the partition itself: every element of C in
// exactly one tile, tile starts on the micro-tile grid, no range shorter than 2, 2 tiles per thread, and
// the grid's shape (the one that packs the fewest floats).
import { describe, expect, it } from "vitest";
import type { Kernels } from "../src/runtime/kernels.js";
import { gemmGrid, PLANS } from "../src/runtime/pool/plans.js";

const SIZES = [2, 3, 17, 65, 129, 1023, 1025];

function checkRanges(ranges: [number, number][], total: number, unit: number): void {
  expect(ranges[0]![0]).toBe(0);
  expect(ranges[ranges.length - 1]![1]).toBe(total);
  ranges.forEach(([s, e], i) => {
    expect(s % unit).toBe(0);
    expect(e - s).toBeGreaterThanOrEqual(2);
    if (i > 0) expect(s).toBe(ranges[i - 1]![1]);
  });
}

describe("gemmGrid", () => {
  it("covers C exactly once with aligned tiles, on odd sizes and 1–4 threads", () => {
    for (const m of SIZES) for (const n of SIZES) for (const threads of [1, 2, 3, 4]) {
      const { rows, cols } = gemmGrid(m, n, 33, threads);
      checkRanges(rows, m, 4);
      checkRanges(cols, n, 8);
      const tiles = rows.length * cols.length;
      expect(tiles).toBeLessThanOrEqual(threads * 2);
      // Enough tiles for every thread whenever C has that many micro-tile rows or columns to give.
      if (Math.floor(m / 4) * Math.floor(n / 8) >= threads * 2) expect(tiles).toBeGreaterThanOrEqual(threads);
    }
  });

  it("cuts a big square C into squares, a tall one by rows and a wide one by columns", () => {
    const square = gemmGrid(1024, 1024, 1024, 2);
    expect(square.rows).toEqual([[0, 512], [512, 1024]]);
    expect(square.cols).toEqual([[0, 512], [512, 1024]]);
    const tall = gemmGrid(784, 128, 128, 2);
    expect(tall.cols).toEqual([[0, 128]]);
    expect(tall.rows).toEqual([[0, 196], [196, 392], [392, 588], [588, 784]]);
    const wide = gemmGrid(32, 784, 128, 2);
    expect(wide.rows).toEqual([[0, 32]]);
    expect(wide.cols.length).toBe(4);
  });

  it("counts the packing of a ragged NC block: a 513-column range packs op(A) twice", () => {
    // 2×2 tiles would pack op(B) twice and op(A) three times (513 > NC = 512); 4 column slices pack less.
    const g = gemmGrid(1023, 1025, 9, 2);
    expect(g.rows).toEqual([[0, 1023]]);
    expect(g.cols.length).toBe(4);
    // The MLP's first layer (B = 128): 2×2 tiles pack A and B twice each, row slices B four times.
    const mlp = gemmGrid(128, 128, 784, 2);
    expect([mlp.rows.length, mlp.cols.length]).toEqual([2, 2]);
  });
});

describe("the GEMM plan's part count", () => {
  const raw = { gemm_scratch_bytes: () => 1024 } as unknown as Kernels;
  const parts = (m: number, n: number, k: number, threads: number) =>
    PLANS.gemm_f32!.split([0, 0, m, n, k, 1, 0, k, 0, n, 0, 0, n, 0], threads, raw)?.calls.length ?? 1;

  it("is one part per thread below 2^24 multiply-adds and two from there on", () => {
    expect(parts(128, 128, 784, 2)).toBe(2);
    expect(parts(128, 64, 128, 3)).toBe(3);
    expect(parts(255, 256, 256, 2)).toBe(2);
    expect(parts(256, 256, 256, 2)).toBe(4);
    expect(parts(1024, 1024, 1024, 4)).toBe(8);
  });
});
