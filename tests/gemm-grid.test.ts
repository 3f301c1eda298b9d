// How the thread pool cuts one GEMM into tiles of C (runtime/pool/plans.ts gemmGrid). Bit identity of
// the split results is tests/threads.test.ts; this checks the partition itself: every element of C in
// exactly one tile, tile starts on the micro-tile grid, no range shorter than 2, and the grid shapes.
import { describe, expect, it } from "vitest";
import { gemmGrid } from "../src/runtime/pool/plans.js";

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
      expect(tiles).toBeLessThanOrEqual(Math.min(64, threads * 8));
      // Enough tiles for every thread whenever C has that many micro-tile rows or columns to give.
      if (Math.floor(m / 4) * Math.floor(n / 8) >= threads * 2) expect(tiles).toBeGreaterThanOrEqual(threads);
    }
  });

  it("cuts a big square C into squares, a tall one by rows and a wide one by columns", () => {
    const square = gemmGrid(1024, 1024, 1024, 2);
    expect([square.rows.length, square.cols.length]).toEqual([4, 4]);
    expect(square.rows[1]).toEqual([256, 512]);
    const tall = gemmGrid(784, 128, 128, 2);
    expect(tall.cols).toEqual([[0, 128]]);
    expect(tall.rows.length).toBe(6);
    const wide = gemmGrid(32, 784, 128, 2);
    expect(wide.rows).toEqual([[0, 32]]);
    expect(wide.cols.length).toBe(4);
  });

  it("gives a small C two tiles per thread", () => {
    const g = gemmGrid(128, 128, 784, 2);
    expect(g.rows.length * g.cols.length).toBe(4);
  });
});
