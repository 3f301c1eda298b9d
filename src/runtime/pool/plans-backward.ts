// Thread plans for the two backward kernels whose outputs are sums over every row: LayerNorm's
// dgamma/dbeta and the embedding table's gradient. Their own arguments cannot express a part without
// reordering a sum, so the split calls run range variants (assembly/norm.ts, assembly/embedding.ts)
// that keep each output element's terms, their order and their instructions as in one whole call.

import type { KernelPlan } from "./plans.js";
import { partsFor, PARTS_PER_THREAD, splitAligned } from "./partition.js";

/** dgamma/dbeta column ranges start at multiples of 16 (the range kernel needs 4): a column keeps its SIMD lane or tail. */
const COLUMN_UNIT = 16;

/**
 * layernorm_backward_f32(rows, cols, dy, x, gamma, mean, rstd, dx, dgamma, dbeta): part i computes the
 * dx rows of row range i and the dgamma/dbeta columns of column range i (each summed over all rows),
 * so one job does both and no column sum depends on the thread count.
 */
export const layernormBackwardPlan: KernelPlan = {
  family: "rows",
  runs: "layernorm_backward_range_f32",
  // One thread: 128×256 in ~20 µs (bench:threads), like softmax's 30 µs at the same size: weight 1.
  work: (a) => a[0]! * a[1]!,
  split: (a, threads) => {
    const parts = partsFor(threads, PARTS_PER_THREAD);
    const rows = splitAligned(a[0]!, parts, 1), cols = splitAligned(a[1]!, parts, COLUMN_UNIT);
    const n = Math.max(rows.length, cols.length);
    if (n < 2) return undefined;
    const calls: number[][] = [];
    for (let i = 0; i < n; i++) {
      const [r0, r1] = rows[i] ?? [0, 0], [c0, c1] = cols[i] ?? [0, 0];
      calls.push([...a.slice(0, 10), r0, r1, c0, c1]);
    }
    return { calls };
  },
};

/**
 * embedding_backward_f32(n, ids, dout, d, vocab, dtable): part i owns a range of table rows; it zeroes
 * them and adds the positions whose id falls there, in position order (each part scans all n ids,
 * which is cheap next to the d-wide adds).
 */
export const embeddingBackwardPlan: KernelPlan = {
  family: "rows",
  runs: "embedding_backward_range_f32",
  // Memory-bound adds: one thread does (n + vocab)·d = 70 k in ~10 µs (bench:threads), a quarter of
  // softmax's cost per element, so the row threshold (2¹⁵) is met from ~130 k, ~20 µs.
  work: (a) => ((a[0]! + a[4]!) * a[3]!) / 4,
  split: (a, threads) => {
    if (a[3]! <= 0) return undefined;
    const ranges = splitAligned(a[4]!, partsFor(threads, PARTS_PER_THREAD), 1);
    if (ranges.length < 2) return undefined;
    return { calls: ranges.map(([v0, v1]) => [...a.slice(0, 6), v0, v1]) };
  },
};
