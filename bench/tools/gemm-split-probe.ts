// Probe: what a partition of one GEMM costs on ONE thread (sum of its parts, each packing what it
// uses, vs one whole call) — the duplicated packing a split adds, measured apart from any 2-thread
// effect. Interleaved rounds, min and median. Run:
// node --experimental-wasm-relaxed-simd --no-liftoff --import tsx bench/tools/gemm-split-probe.ts M K N [rounds]
import { createBackend } from "../../src/index.js";

const [M, K, N] = [2, 3, 4].map((i) => Number(process.argv[i] ?? 1024));
const rounds = Number(process.argv[5] ?? 9);
const be = await createBackend({ threads: 1, build: "relaxed" });
const k = be.rawKernels;
const A = be.allocator.alloc(M * K * 4), B = be.allocator.alloc(K * N * 4), C = be.allocator.alloc(M * N * 4);
const S0 = be.allocator.alloc(k.gemm_scratch_bytes());
const f = be.f32;
for (let i = 0; i < M * K; i++) f[A / 4 + i] = Math.sin(i);
for (let i = 0; i < K * N; i++) f[B / 4 + i] = Math.cos(i * 0.7);

type Part = [r0: number, r1: number, c0: number, c1: number];
const call = ([r0, r1, c0, c1]: Part) => [0, 0, r1 - r0, c1 - c0, K, 1, A + r0 * K * 4, K, B + c0 * 4, N, 0, C + (r0 * N + c0) * 4, N, S0];
const cut = (total: number, p: number, unit: number) => Array.from({ length: p }, (_, i) => [Math.floor((i * total) / p / unit) * unit, i === p - 1 ? total : Math.floor(((i + 1) * total) / p / unit) * unit]);
const tiles = (pr: number, pc: number): Part[] => cut(M, pr, 4).flatMap(([r0, r1]) => cut(N, pc, 8).map(([c0, c1]) => [r0!, r1!, c0!, c1!] as Part));
const fn = k.gemm_f32 as unknown as (...a: number[]) => number;
const variants: Record<string, Part[]> = {
  whole: tiles(1, 1), "rows×4": tiles(4, 1), "rows×8": tiles(8, 1), "rows×16": tiles(16, 1),
  "cols×4": tiles(1, 4), "cols×8": tiles(1, 8), "2×2 tiles": tiles(2, 2), "4×4 tiles": tiles(4, 4),
};
const names = Object.keys(variants);
const ms: Record<string, number[]> = Object.fromEntries(names.map((x) => [x, []]));
const reps = Math.max(1, Math.round(2e8 / (M * N * K)));
for (let r = 0; r <= rounds; r++) {
  for (const v of names) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) for (const p of variants[v]!) fn(...call(p));
    if (r > 0) ms[v]!.push((performance.now() - t0) / reps);
  }
}
const med = (x: number[]) => [...x].sort((a, b) => a - b)[x.length >> 1]!;
const [bm, bl] = [med(ms.whole!), Math.min(...ms.whole!)];
for (const v of names) {
  const m = med(ms[v]!), lo = Math.min(...ms[v]!);
  console.log(`${v.padEnd(10)} median ${m.toFixed(3)} ms (×${(m / bm).toFixed(3)})  min ${lo.toFixed(3)} ms (×${(lo / bl).toFixed(3)})`);
}
