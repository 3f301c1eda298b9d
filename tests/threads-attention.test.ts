// Bit identity across thread counts for the kernels split by plans-attention.ts and plans-backward.ts:
// fused attention forward (causal, decoding tq < tk, queries that see no key, partial pair/row ranges)
// and backward, LayerNorm backward (dx by rows, dgamma/dbeta by columns) and embedding backward (by
// vocabulary rows). One thread runs the original kernel whole; 2–4 threads run the split calls (range
// variants for the two backward sums), so equal bytes also prove the range kernels match the originals.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cachedAttention, createBackend, layerNorm, layerNormBackward, tensorOn, type Backend, type BuildName,
} from "../src/index.js";
import { balancedRows } from "../src/runtime/pool/plans-attention.js";
import { BUILDS } from "./helpers/backends.js";
import { EDGE_SIZES } from "./helpers/shapes.js";
import { run, type Case } from "./helpers/thread-cases.js";

const THREADS = [1, 2, 3, 4] as const;
const ZERO = { gemm: 0, elementwise: 0, rows: 0 };

/** [b, h, tq, tk, d, causal]: pairs fewer and more than the parts, the direct (tq < 16) and tiled paths. */
const ATTENTION: [number, number, number, number, number, number][] = [
  [1, 1, 1, 1, 1, 1], [1, 2, 3, 3, 3, 0], [2, 3, 17, 17, 5, 1], [1, 2, 65, 65, 16, 1], [1, 1, 65, 65, 17, 0],
  [3, 1, 129, 129, 17, 1], [1, 4, 5, 37, 8, 1], [1, 3, 1, 64, 16, 1], [1, 1, 40, 20, 7, 1], [4, 4, 16, 16, 16, 1],
  [1, 1, 200, 200, 32, 1], [2, 2, 33, 31, 64, 0],
];

function attentionBuffers(b: number, h: number, tq: number, tk: number, d: number) {
  const hd = h * d, ldk = hd + 1; // K and V rows padded: strides other than h·d
  return {
    hd, ldk,
    buffers: {
      q: { n: b * tq * hd, kind: "rand" as const }, k: { n: b * tk * ldk, kind: "rand" as const },
      v: { n: b * tk * ldk, kind: "rand" as const }, o: { n: b * tq * hd, kind: "rand" as const },
      lse: { n: b * h * tq, kind: "rand" as const },
    },
  };
}

function attentionCases(): Case[] {
  const cases: Case[] = [];
  for (const [b, h, tq, tk, d, causal] of ATTENTION) {
    const { hd, ldk, buffers } = attentionBuffers(b, h, tq, tk, d);
    const scale = 1 / Math.sqrt(d);
    const fwd = (p: Record<string, number>, lse: number, p0: number, p1: number, i0: number, i1: number) =>
      [b, h, tq, tk, d, p.q!, hd, p.k!, ldk, p.v!, ldk, p.o!, hd, scale, causal, lse, p.scratch!, p0, p1, i0, i1];
    const scratchBytes = (be: Backend) => be.rawKernels.attention_rows_scratch_bytes(tk, d);
    cases.push({
      name: `attention ${b}×${h} tq=${tq} tk=${tk} d=${d} causal=${causal}`, kernel: "attention_rows_f32", buffers,
      outputs: ["o", "lse"], scratchBytes, args: (p) => fwd(p, p.lse!, 0, b * h, 0, tq),
    });
    if (b * h > 2 && tq > 4) {
      cases.push({
        name: `attention ${b}×${h} tq=${tq} part of the pairs and rows, no lse`, kernel: "attention_rows_f32", buffers,
        outputs: ["o"], scratchBytes, args: (p) => fwd(p, 0, 1, b * h - 1, 2, tq - 1),
      });
    }
    const grads = {
      ...buffers, dout: { n: b * tq * hd, kind: "rand" as const }, dq: { n: b * tq * hd, kind: "rand" as const },
      dk: { n: b * tk * ldk, kind: "rand" as const }, dv: { n: b * tk * ldk, kind: "rand" as const },
    };
    cases.push({
      name: `attention backward ${b}×${h} tq=${tq} tk=${tk} d=${d} causal=${causal}`, kernel: "attention_rows_backward_f32",
      buffers: grads, outputs: ["dq", "dk", "dv"],
      scratchBytes: (be) => Math.max(scratchBytes(be), be.rawKernels.attention_rows_backward_scratch_bytes(tq, tk, d)),
      // The saved output and log-sum-exp come from the forward, on the calling thread.
      before: (be, p) => be.rawKernels.attention_rows_f32(...(fwd(p, p.lse!, 0, b * h, 0, tq) as Parameters<Backend["rawKernels"]["attention_rows_f32"]>)),
      args: (p) => [
        b, h, tq, tk, d, p.q!, hd, p.k!, ldk, p.v!, ldk, p.o!, hd, p.dout!, hd, p.lse!,
        p.dq!, hd, p.dk!, ldk, p.dv!, ldk, scale, causal, p.scratch!, 0, b * h,
      ],
    });
  }
  return cases;
}

function backwardSumCases(): Case[] {
  const cases: Case[] = [];
  const shapes: [number, number][] = EDGE_SIZES.map((s, i) => [s, [1, 3, 17, 65, 129][i % 5]!]);
  shapes.push([129, 65], [65, 129], [300, 10], [2, 1000], [3, 67]);
  for (const [rows, cols] of shapes) {
    const mat = { n: rows * cols, kind: "rand" as const };
    cases.push({
      name: `layernorm_backward ${rows}×${cols}`, kernel: "layernorm_backward_f32", outputs: ["dx", "dg", "db"],
      buffers: {
        dy: mat, x: mat, g: { n: cols, kind: "rand" }, mean: { n: rows, kind: "rand" }, rstd: { n: rows, kind: "pos" },
        dx: mat, dg: { n: cols, kind: "rand" }, db: { n: cols, kind: "rand" },
      },
      args: (p) => [rows, cols, p.dy!, p.x!, p.g!, p.mean!, p.rstd!, p.dx!, p.dg!, p.db!],
    });
    // Ids up to 40 over a vocabulary of 37: repeats, and a few out of range (skipped).
    for (const vocab of [37, 1]) {
      cases.push({
        name: `embedding_backward n=${rows} d=${cols} vocab=${vocab}`, kernel: "embedding_backward_f32", outputs: ["dt"],
        buffers: { ids: { n: rows, kind: "ids", limit: 40 }, dout: mat, dt: { n: vocab * cols, kind: "rand" } },
        args: (p) => [rows, p.ids!, p.dout!, cols, vocab, p.dt!],
      });
    }
  }
  return cases;
}

describe.each([...BUILDS] as BuildName[])("attention and backward sums across threads (%s build)", (build) => {
  const backends = new Map<number, Backend>();
  beforeAll(async () => {
    for (const t of THREADS) backends.set(t, await createBackend({ build, threads: t, parallelThresholds: ZERO }));
  });
  afterAll(() => {
    for (const b of backends.values()) b.dispose();
  });

  it.each(["attention", "backward sums"])("%s kernels give the same bits on 1–4 threads", (family) => {
    const cases = family === "attention" ? attentionCases() : backwardSumCases();
    const mismatches: string[] = [];
    let split = 0;
    for (const c of cases) {
      const one = run(backends.get(1)!, c);
      for (const t of THREADS.slice(1)) {
        const b = backends.get(t)!;
        const before = b.workerPool!.jobs;
        const got = run(b, c);
        if (b.workerPool!.jobs > before) split++;
        got.out.forEach((o, i) => {
          const j = o.findIndex((v, k) => v !== one.out[i]![k]);
          if (j >= 0) mismatches.push(`${c.name} on ${t} threads: ${c.outputs[i]}[${j}] differs`);
        });
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // Most cases split (1×1 attention, vocabulary 1 and single short rows stay whole by design).
    expect(split).toBeGreaterThan(cases.length * 1.5);
  });

  it("cachedAttention (decoding one token, a short and a long prompt) gives the same bits on 1–4 threads", () => {
    const heads = 3, dh = 16, width = heads * dh, capacity = 80;
    for (const [n, length] of [[1, 1], [1, 57], [7, 30], [40, 80]] as const) {
      const results = THREADS.map((t) => {
        const b = backends.get(t)!;
        let s = 11;
        const rand = (len: number) => Float32Array.from({ length: len }, () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296 - 0.5) * 4);
        const q = tensorOn(b, rand(n * 3 * width), [n, 3 * width]);
        const k = tensorOn(b, rand(capacity * width), [capacity, width]), v = tensorOn(b, rand(capacity * width), [capacity, width]);
        const jobs = b.workerPool?.jobs ?? 0;
        const out = cachedAttention(q, k, v, length, heads);
        if (t > 1) expect(b.workerPool!.jobs, `n=${n} length=${length} on ${t} threads split`).toBeGreaterThan(jobs);
        const bits = new Uint32Array(out.toFloat32Array().buffer.slice(0));
        for (const x of [q, k, v, out]) x.dispose();
        return bits;
      });
      results.slice(1).forEach((r, i) => expect(r, `n=${n} length=${length} on ${i + 2} threads`).toEqual(results[0]));
    }
  });

  it("layerNormBackward split over threads matches float64 within the summation bound", () => {
    const b = backends.get(3)!;
    const rows = 301, cols = 67;
    let s = 7;
    const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296 - 0.5) * 4;
    const x = Float32Array.from({ length: rows * cols }, rand), dy = Float32Array.from({ length: rows * cols }, rand);
    const gamma = Float32Array.from({ length: cols }, () => 1 + rand() / 4), beta = new Float32Array(cols);
    const xT = tensorOn(b, x, [rows, cols]), dyT = tensorOn(b, dy, [rows, cols]), gT = tensorOn(b, gamma, [cols]);
    const bT = tensorOn(b, beta, [cols]);
    const stats = { mean: tensorOn(b, new Float32Array(rows), [rows]), rstd: tensorOn(b, new Float32Array(rows), [rows]) };
    layerNorm(xT, gT, bT, { stats }).dispose();
    const jobs = b.workerPool!.jobs;
    const g = layerNormBackward(dyT, xT, gT, stats);
    expect(b.workerPool!.jobs).toBeGreaterThan(jobs);
    // float64 reference from the same saved statistics.
    const mean = stats.mean.toFloat32Array(), rstd = stats.rstd.toFloat32Array();
    const dg = g.dgamma.toFloat32Array(), db = g.dbeta.toFloat32Array();
    for (let j = 0; j < cols; j++) {
      let wantG = 0, wantB = 0, absG = 0, absB = 0;
      for (let i = 0; i < rows; i++) {
        const t = dy[i * cols + j]! * (x[i * cols + j]! - mean[i]!) * rstd[i]!;
        wantG += t;
        absG += Math.abs(t);
        wantB += dy[i * cols + j]!;
        absB += Math.abs(dy[i * cols + j]!);
      }
      // Recursive f32 summation of `rows` terms (each with a few roundings of its own): |err| <= (rows + 4)·u·Σ|t|.
      const u = 2 ** -24;
      expect(Math.abs(dg[j]! - wantG), `dgamma[${j}]`).toBeLessThanOrEqual((rows + 4) * u * absG);
      expect(Math.abs(db[j]! - wantB), `dbeta[${j}]`).toBeLessThanOrEqual((rows + 4) * u * absB);
    }
    for (const t of [xT, dyT, gT, bT, stats.mean, stats.rstd, g.dx, g.dgamma, g.dbeta]) t.dispose();
  });
});

describe("the causal row split", () => {
  it("covers the rows once, cuts at multiples of 4, and balances the visible keys", () => {
    for (const [r0, r1, tq, tk, parts] of [[0, 256, 256, 256, 8], [0, 129, 129, 129, 5], [3, 61, 64, 80, 4], [0, 7, 7, 7, 4]] as const) {
      const blocks = balancedRows(r0, r1, tq, tk, true, parts);
      expect(blocks[0]![0]).toBe(r0);
      expect(blocks[blocks.length - 1]![1]).toBe(r1);
      expect(blocks.length).toBeLessThanOrEqual(parts);
      for (let i = 1; i < blocks.length; i++) {
        expect(blocks[i]![0]).toBe(blocks[i - 1]![1]);
        expect(blocks[i]![0] % 4).toBe(0);
      }
    }
    // T = 256 in 8 parts: equal row counts would give the last block 15× the first's keys; these are within 25%.
    const cost = ([a, e]: [number, number]) => { let s = 0; for (let i = a; i < e; i++) s += i + 1 + 8; return s; };
    const costs = balancedRows(0, 256, 256, 256, true, 8).map(cost);
    expect(costs.length).toBe(8);
    expect(Math.max(...costs) / Math.min(...costs)).toBeLessThan(1.25);
  });
});
