// The Trainer's batch copy (src/nn/gather-rows.ts) writes its batch and nothing else. The batch buffer sits
// in Wasm memory next to other tensors, and a copy that ran one row long (a run of consecutive indices
// continued into the next batch's first sample) would overwrite a neighbour unseen: the mutation run
// found no test that failed on it. Here the destination has canary rows on both sides.

import { describe, expect, it } from "vitest";
import { gatherRows } from "../src/nn/gather-rows.js";

const COLS = 3;
const ROWS = 7; // the data set: row r holds r + 0.1·c in column c
const CANARY = -777.5;

/**
 * Memory laid out as [ROWS data rows][2 canary rows][count destination rows][2 canary rows]; gathers
 * order[start … start + count) and returns the destination rows and both canary blocks.
 */
function gather(order: number[], start: number, count: number) {
  const src = 0;
  const dst = (ROWS + 2) * COLS;
  const mem = new Float32Array(dst + (count + 2) * COLS).fill(CANARY);
  for (let r = 0; r < ROWS; r++) for (let c = 0; c < COLS; c++) mem[src + r * COLS + c] = r + 0.1 * c;
  gatherRows(mem, src, dst, COLS, Int32Array.from(order), start, count);
  const rows = Array.from({ length: count }, (_, i) => Array.from(mem.subarray(dst + i * COLS, dst + (i + 1) * COLS)));
  return { rows, before: Array.from(mem.subarray(dst - 2 * COLS, dst)), after: Array.from(mem.subarray(dst + count * COLS)) };
}

const row = (r: number) => Array.from({ length: COLS }, (_, c) => Math.fround(r + 0.1 * c));
const canaries = Array(2 * COLS).fill(CANARY);

describe("gatherRows (the Trainer's batch copy)", () => {
  const cases: [string, number[], number, number][] = [
    // Unshuffled: the batch's last index is followed by the next batch's first, which continues the run.
    ["unshuffled, a middle batch", [0, 1, 2, 3, 4, 5, 6], 2, 3],
    ["unshuffled, the first batch", [0, 1, 2, 3, 4, 5, 6], 0, 3],
    ["unshuffled, the last (partial) batch", [0, 1, 2, 3, 4, 5, 6], 6, 1],
    ["a run that ends the batch, continued by the next batch", [5, 2, 3, 4, 0, 1, 6], 0, 3],
    ["runs broken by the shuffle", [3, 1, 2, 6, 0, 5, 4], 1, 5],
    ["one row", [4, 5, 6, 0, 1, 2, 3], 0, 1],
    // Only ascending neighbours form a run: a copy that looked backwards or counted down would merge these.
    ["descending neighbours", [6, 5, 4, 3, 2, 1, 0], 0, 4],
    ["a descending pair before a gap", [3, 2, 5, 0, 1, 4, 6], 0, 3],
    ["a run after a single row, then a gap", [2, 6, 0, 4, 5, 1, 3], 2, 4],
  ];
  for (const [name, order, start, count] of cases) {
    it(`${name}: the batch's rows, in order, and no write outside it`, () => {
      const got = gather(order, start, count);
      expect(got.rows).toEqual(order.slice(start, start + count).map(row));
      expect(got.before).toEqual(canaries);
      expect(got.after).toEqual(canaries);
    });
  }

  it("count 0 writes nothing", () => {
    const got = gather([0, 1, 2, 3, 4, 5, 6], 3, 0);
    expect(got.before).toEqual(canaries);
    expect(got.after).toEqual(canaries);
  });
});
