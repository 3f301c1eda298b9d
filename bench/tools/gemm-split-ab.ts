// A/B of GEMM partitions on 2 threads, interleaved in one process: one thread, the old split (C cut by
// rows or columns into 2 parts per thread) and the current plan (runtime/pool/plans.ts gemmGrid). Each
// round runs every variant back to back; medians and minima over the rounds. Timing is noisy while
// other jobs share the machine: read the ratios within one run; the 10th percentile and the minimum show
// the rounds that had both cores. Run:
// node --conditions=source --experimental-wasm-relaxed-simd --no-liftoff --import tsx bench/tools/gemm-split-ab.ts M K N [transA] [rounds]
import { createBackend } from "../../src/index.js";
import { splitAligned } from "../../src/runtime/pool/partition.js";
import { gemmGrid, PLANS } from "../../src/runtime/pool/plans.js";

const [M, K, N, TA] = [2, 3, 4, 5].map((i, j) => Number(process.argv[i] ?? (j < 3 ? 1024 : 0)));
const rounds = Number(process.argv[6] ?? 9);
const be = await createBackend({ threads: 2, build: "relaxed" });
const pool = be.workerPool!;
const k = be.rawKernels;
const A = be.allocator.alloc(M * K * 4), B = be.allocator.alloc(K * N * 4), C = be.allocator.alloc(M * N * 4);
const S0 = be.allocator.alloc(k.gemm_scratch_bytes()), S1 = be.allocator.alloc(k.gemm_scratch_bytes());
const f = be.f32;
for (let i = 0; i < M * K; i++) f[A / 4 + i] = Math.sin(i);
for (let i = 0; i < K * N; i++) f[B / 4 + i] = Math.cos(i * 0.7);
const lda = TA ? M : K;
const whole = [TA, 0, M, N, K, 1, A, lda, B, N, 0, C, N, S0];
const fn = k.gemm_f32 as unknown as (...a: number[]) => number;

// The split before this change: rows (steps of 4) or columns (steps of 8), whichever has more tiles, 2 parts per thread.
function oldCalls(): number[][] {
  const byRows = Math.ceil(M / 4) >= Math.ceil(N / 8);
  return (byRows ? splitAligned(M, 4, 4, 2) : splitAligned(N, 4, 8, 2)).map(([s, e]) => {
    const c = whole.slice();
    if (byRows) [c[2], c[6], c[11]] = [e - s, A + s * (TA ? 1 : lda) * 4, C + s * N * 4];
    else [c[3], c[8], c[11]] = [e - s, B + s * 4, C + s * 4];
    return c;
  });
}
// gemmGrid with 1, 2, 4 and 8 parts per thread (the plan uses 2: GEMM_PARTS_PER_THREAD).
function gridCalls(maxPerThread: number): number[][] {
  const g = gemmGrid(M, N, K, 2, maxPerThread);
  return g.rows.flatMap(([r0, r1]) => g.cols.map(([c0, c1]) => {
    const c = whole.slice();
    [c[2], c[3], c[6], c[8], c[11]] = [r1 - r0, c1 - c0, A + r0 * (TA ? 1 : lda) * 4, B + c0 * 4, C + (r0 * N + c0) * 4];
    return c;
  }));
}
const planParts = PLANS.gemm_f32!.split(whole, 2, k)!.calls.length;
const variants: Record<string, () => void> = {
  "1 thread": () => void fn(...whole),
  [`old split (${oldCalls().length} parts)`]: () => void pool.run("gemm_f32", fn, oldCalls(), 13, [0, S1]),
};
for (const per of [1, 2, 4, 8]) {
  const calls = gridCalls(per);
  const label = `grid ≤ ${per}/thread (${calls.length}${calls.length === planParts ? ", the plan" : ""})`;
  variants[label] = () => void pool.run("gemm_f32", fn, calls, 13, [0, S1]);
}
const names = Object.keys(variants);
const ms: Record<string, number[]> = Object.fromEntries(names.map((x) => [x, []]));
const reps = Math.max(1, Math.round(1e8 / (M * N * K)));
for (let r = 0; r <= rounds; r++) {
  for (const v of r % 2 ? names : [...names].reverse()) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) variants[v]!();
    if (r > 0) ms[v]!.push((performance.now() - t0) / reps);
  }
}
const q = (x: number[], f: number) => [...x].sort((a, b) => a - b)[Math.floor((x.length - 1) * f)]!;
const med = (x: number[]) => q(x, 0.5);
const [bm, bl, bp] = [med(ms["1 thread"]!), Math.min(...ms["1 thread"]!), q(ms["1 thread"]!, 0.1)];
console.log(`GEMM ${M}×${K}·${K}×${N} transA=${TA}, ${rounds} rounds × ${reps} calls`);
for (const v of names) {
  const m = med(ms[v]!), lo = Math.min(...ms[v]!), p = q(ms[v]!, 0.1);
  console.log(`  ${v.padEnd(24)} median ${m.toFixed(3)} ms (${(bm / m).toFixed(2)}× 1 thread)  10th pct ${p.toFixed(3)} ms (${(bp / p).toFixed(2)}×)  min ${lo.toFixed(3)} ms (${(bl / lo).toFixed(2)}×)`);
}
be.dispose();
