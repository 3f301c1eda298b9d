// Thread plans for fused attention (assembly/attention_forward.ts, attention_backward.ts). Both kernels
// take a (sequence·head) pair range [p0, p1); the forward also a query-row range [i0, i1). Every row
// of every pair is computed whole by one call whatever the ranges (the kernels' headers), so any split
// gives the bits of one call; the splits below only decide the balance.
//
// Forward: by pairs when there are at least as many as parts, else every pair is cut into query-row
// blocks (aligned to the kernel's 4-row groups). Under the causal mask row i sees i + tk − tq + 1 keys,
// so equal row counts would be unequal work: the cuts follow the cumulative cost instead. They depend
// only on the arguments and the part count.
// Backward: by pairs only, since dK and dV sum over every query row of a pair.
// Work is counted in multiply-adds (the GEMM family's unit), over the keys each row actually sees.

import type { KernelPlan } from "./plans.js";
import { MAX_PARTS, partsFor, PARTS_PER_THREAD, splitAligned } from "./partition.js";

/** Query rows go 4 at a time through the forward's tiles: row blocks start at multiples of 4. */
const ROW_UNIT = 4;
/** Per-row work besides the visible keys (packing the row's Q, normalizing, the log-sum-exp), in keys. */
const ROW_OVERHEAD = 8;

/** Keys query row i sees (the kernels' visible_cols). */
function visible(i: number, tq: number, tk: number, causal: boolean): number {
  return causal ? Math.max(0, Math.min(tk, i + tk - tq + 1)) : tk;
}

function visibleSum(r0: number, r1: number, tq: number, tk: number, causal: boolean): number {
  if (!causal) return (r1 - r0) * tk;
  let s = 0;
  for (let i = r0; i < r1; i++) s += visible(i, tq, tk, causal);
  return s;
}

/**
 * Cut the rows [r0, r1) into at most `parts` blocks of about equal cost (visible keys + ROW_OVERHEAD
 * per row), every cut at a multiple of ROW_UNIT.
 */
export function balancedRows(r0: number, r1: number, tq: number, tk: number, causal: boolean, parts: number): [number, number][] {
  let total = 0;
  for (let i = r0; i < r1; i++) total += visible(i, tq, tk, causal) + ROW_OVERHEAD;
  const out: [number, number][] = [];
  let start = r0, acc = 0, k = 1;
  for (let i = r0; i < r1 && k < parts; i++) {
    acc += visible(i, tq, tk, causal) + ROW_OVERHEAD;
    if (acc < (total * k) / parts) continue;
    while (k < parts && acc >= (total * k) / parts) k++;
    const cut = Math.round((i + 1) / ROW_UNIT) * ROW_UNIT;
    if (cut > start && cut < r1) {
      out.push([start, cut]);
      start = cut;
    }
  }
  out.push([start, r1]);
  return out;
}

/**
 * attention_rows_f32(b, h, tq, tk, d, q, ldq, k, ldk, v, ldv, out, ldo, scale, causal, lse, scratch,
 * p0, p1, i0, i1).
 */
export const attentionForwardPlan: KernelPlan = {
  family: "gemm",
  work: (a) => {
    const pairs = Math.min(a[18]!, a[0]! * a[1]!) - Math.max(a[17]!, 0);
    const r0 = Math.max(a[19]!, 0), r1 = Math.min(a[20]!, a[2]!);
    if (pairs <= 0 || r1 <= r0) return 0;
    // Q·Kᵀ and P·V: 2·d multiply-adds per visible key.
    return pairs * 2 * a[4]! * visibleSum(r0, r1, a[2]!, a[3]!, a[14]! !== 0);
  },
  split: (a, threads, raw) => {
    const tq = a[2]!, tk = a[3]!, causal = a[14]! !== 0;
    const p0 = Math.max(a[17]!, 0), p1 = Math.min(a[18]!, a[0]! * a[1]!);
    const r0 = Math.max(a[19]!, 0), r1 = Math.min(a[20]!, tq);
    const pairs = p1 - p0;
    if (pairs <= 0 || r1 <= r0 || a[4]! <= 0) return undefined;
    const parts = partsFor(threads, PARTS_PER_THREAD);
    const calls: number[][] = [];
    const call = (q0: number, q1: number, i0: number, i1: number) => {
      const c = a.slice();
      c[17] = q0; c[18] = q1; c[19] = i0; c[20] = i1;
      calls.push(c);
    };
    if (pairs >= parts) {
      for (const [s, e] of splitAligned(pairs, parts, 1)) call(p0 + s, p0 + e, r0, r1);
    } else {
      const rowParts = Math.min(Math.ceil(parts / pairs), Math.floor(MAX_PARTS / pairs));
      const blocks = balancedRows(r0, r1, tq, tk, causal, rowParts);
      for (let p = p0; p < p1; p++) for (const [i0, i1] of blocks) call(p, p + 1, i0, i1);
    }
    if (calls.length < 2) return undefined;
    return { calls, scratch: { arg: 16, bytes: raw.attention_rows_scratch_bytes(tk, a[4]!) } };
  },
};

/**
 * attention_rows_backward_f32(b, h, tq, tk, d, q, ldq, k, ldk, v, ldv, out, ldo, dout, lddo, lse, dq,
 * lddq, dk, lddk, dv, lddv, scale, causal, scratch, p0, p1).
 */
export const attentionBackwardPlan: KernelPlan = {
  family: "gemm",
  work: (a) => {
    const pairs = Math.min(a[26]!, a[0]! * a[1]!) - Math.max(a[25]!, 0);
    if (pairs <= 0) return 0;
    // S, dP, dQ, dK, dV: 5·d multiply-adds per visible (row, key).
    return pairs * 5 * a[4]! * visibleSum(0, a[2]!, a[2]!, a[3]!, a[23]! !== 0);
  },
  split: (a, threads, raw) => {
    const p0 = Math.max(a[25]!, 0), p1 = Math.min(a[26]!, a[0]! * a[1]!);
    const ranges = splitAligned(p1 - p0, partsFor(threads, PARTS_PER_THREAD), 1);
    if (ranges.length < 2) return undefined;
    return {
      calls: ranges.map(([s, e]) => {
        const c = a.slice();
        c[25] = p0 + s;
        c[26] = p0 + e;
        return c;
      }),
      scratch: { arg: 24, bytes: raw.attention_rows_backward_scratch_bytes(a[2]!, a[3]!, a[4]!) },
    };
  },
};
