// Where splitting pays: the cost of an empty parallel op, and 1-thread vs 2-thread time per kernel
// family over sizes, interleaved in one process. The crossovers set DEFAULT_THRESHOLDS in
// src/runtime/pool/dispatch.ts. Run: npm run bench:threads [-- THREADS] [--only=TEXT] (default 2 threads;
// --only keeps the rows whose label contains TEXT, e.g. --only=attention).

import { createBackend, type Backend } from "../../src/index.js";

const threads = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 2);
const only = process.argv.slice(2).find((a) => a.startsWith("--only="))?.slice("--only=".length);
const ZERO = { gemm: 0, elementwise: 0, rows: 0 };
const NEVER = { gemm: Infinity, elementwise: Infinity, rows: Infinity };

/** Median µs per call of fn over `rounds` rounds of `reps` calls. */
function time(fn: () => void, reps: number, rounds = 9): number {
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / reps);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1]!;
}

function buffers(b: Backend, floats: number, count: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const p = b.allocator.alloc(floats * 4);
    const f = b.f32;
    for (let j = 0; j < floats; j++) f[p / 4 + j] = Math.sin(j + i);
    out.push(p);
  }
  return out;
}

const one = await createBackend({ threads: 1 });
const many = await createBackend({ threads, parallelThresholds: ZERO });
const manyOff = await createBackend({ threads, parallelThresholds: NEVER });
console.log(`threads: ${many.info().threads} (${many.info().build}); machine shared with other jobs: figures are noisy`);

{
  // An empty parallel op: fill 16 floats per thread, so the kernel itself costs ~nothing.
  const [x] = buffers(many, 16 * threads, 1);
  const [y] = buffers(manyOff, 16 * threads, 1);
  for (let i = 0; i < 3; i++) {
    const par = time(() => many.kernels.fill_f32(16 * threads, 1, x!), 2000);
    const seq = time(() => manyOff.kernels.fill_f32(16 * threads, 1, y!), 2000);
    console.log(`empty parallel op: ${par.toFixed(2)} µs (same call on one thread ${seq.toFixed(2)} µs)`);
  }
}

function compare(label: string, run: (b: Backend) => () => void, reps: number): void {
  if (only !== undefined && !label.includes(only)) return;
  const f1 = run(one), f2 = run(many);
  const t1: number[] = [], t2: number[] = [];
  for (let i = 0; i < 3; i++) {
    t1.push(time(f1, reps, 5));
    t2.push(time(f2, reps, 5));
  }
  const a = Math.min(...t1), b = Math.min(...t2);
  console.log(`${label.padEnd(28)} 1 thread ${a.toFixed(1).padStart(8)} µs   ${threads} threads ${b.toFixed(1).padStart(8)} µs   ×${(a / b).toFixed(2)}`);
}

for (const n of [16, 24, 32, 40, 48, 64, 96, 128, 256]) {
  compare(`gemm n=${n} (m·n·k=${n ** 3})`, (b) => {
    const [a, bb, c] = buffers(b, n * n, 3);
    const s = b.scratch(b.rawKernels.gemm_scratch_bytes());
    return () => b.kernels.gemm_f32(0, 0, n, n, n, 1, a!, n, bb!, n, 0, c!, n, s);
  }, Math.max(2, Math.floor(2e6 / n ** 3)));
}
for (const n of [2048, 8192, 16384, 32768, 65536, 262144]) {
  compare(`add n=${n}`, (b) => {
    const [x, y, z] = buffers(b, n, 3);
    return () => b.kernels.add_f32(n, x!, y!, z!);
  }, Math.max(5, Math.floor(2e6 / n)));
  compare(`gelu n=${n}`, (b) => {
    const [x, y] = buffers(b, n, 2);
    return () => b.kernels.gelu_f32(n, x!, y!);
  }, Math.max(5, Math.floor(2e6 / n)));
}
for (const [rows, cols] of [[16, 256], [32, 256], [64, 256], [128, 256], [256, 256], [64, 1024]] as const) {
  compare(`softmax ${rows}×${cols}`, (b) => {
    const [x, y] = buffers(b, rows * cols, 2);
    return () => b.kernels.softmax_f32(rows, cols, x!, cols, y!, cols, 1, 0);
  }, Math.max(5, Math.floor(2e6 / (rows * cols))));
  compare(`layernorm ${rows}×${cols}`, (b) => {
    const [x, g, bb, y, m, r] = buffers(b, rows * cols, 6);
    return () => b.kernels.layernorm_f32(rows, cols, x!, g!, bb!, y!, m!, r!, 1e-5);
  }, Math.max(5, Math.floor(2e6 / (rows * cols))));
}
// Attention: causal, 4 heads of 16 (the GPT bench's shape), one sequence; work in multiply-adds as
// plans-attention.ts counts it (2·d per visible key forward, 5·d backward), against the GEMM threshold.
for (const t of [16, 32, 48, 64, 96, 128, 256]) {
  const h = 4, d = 16, hd = h * d, vis = (t * (t + 1)) / 2;
  const setup = (b: Backend) => {
    const [qkv, out, dout, dqkv] = buffers(b, t * 3 * hd, 4);
    const lse = b.allocator.alloc(h * t * 4);
    const fs = b.allocator.alloc(b.rawKernels.attention_rows_scratch_bytes(t, d));
    const bs = b.allocator.alloc(b.rawKernels.attention_rows_backward_scratch_bytes(t, t, d));
    const fwd = () => b.kernels.attention_rows_f32(1, h, t, t, d, qkv!, 3 * hd, qkv! + hd * 4, 3 * hd, qkv! + 2 * hd * 4, 3 * hd, out!, hd, 0.25, 1, lse, fs, 0, h, 0, t);
    fwd();
    const bwd = () => b.kernels.attention_rows_backward_f32(
      1, h, t, t, d, qkv!, 3 * hd, qkv! + hd * 4, 3 * hd, qkv! + 2 * hd * 4, 3 * hd, out!, hd, dout!, hd, lse,
      dqkv!, 3 * hd, dqkv! + hd * 4, 3 * hd, dqkv! + 2 * hd * 4, 3 * hd, 0.25, 1, bs, 0, h);
    return { fwd, bwd };
  };
  compare(`attention T=${t} (${h * 2 * d * vis} MACs)`, (b) => setup(b).fwd, Math.max(3, Math.floor(4e6 / (h * 2 * d * vis))));
  compare(`attention bwd T=${t} (${h * 5 * d * vis})`, (b) => setup(b).bwd, Math.max(3, Math.floor(4e6 / (h * 5 * d * vis))));
}
// LayerNorm backward (work 3·rows·cols) and embedding backward (work (n + vocab)·d), "rows" family.
for (const rows of [16, 32, 64, 128, 256]) {
  compare(`layernorm bwd ${rows}×256`, (b) => {
    const [dy, x, g, m, r, dx, dg, db] = buffers(b, rows * 256, 8);
    return () => b.kernels.layernorm_backward_f32(rows, 256, dy!, x!, g!, m!, r!, dx!, dg!, db!);
  }, Math.max(5, Math.floor(2e6 / (rows * 256))));
  compare(`embedding bwd n=${rows * 4} d=64 vocab=65`, (b) => {
    const [ids, dout, dt] = buffers(b, rows * 4 * 64, 3);
    const i32 = new Int32Array(b.memory.buffer, ids!, rows * 4);
    for (let i = 0; i < rows * 4; i++) i32[i] = (i * 7) % 65;
    return () => b.kernels.embedding_backward_f32(rows * 4, ids!, dout!, 64, 65, dt!);
  }, Math.max(5, Math.floor(2e6 / (rows * 256))));
}
many.dispose();
manyOff.dispose();
