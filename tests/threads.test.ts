// Bit identity across thread counts: every kernel the pool splits (runtime/pool/plans.ts) gives the
// same bytes on 1, 2, 3 and 4 threads, on the edge shapes, on the relaxed and SIMD builds (and scalar).
// Thresholds are 0 so every splittable call is split; each case also checks that the pool ran a job,
// so a dispatcher that silently stopped splitting fails here.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBackend, type Backend, type BuildName } from "../src/index.js";
import { BUILDS } from "./helpers/backends.js";
import { EDGE_SIZES, gemmShapes } from "./helpers/shapes.js";
import { run, type Buf, type Case, type Kind } from "./helpers/thread-cases.js";

const THREADS = [1, 2, 3, 4] as const;
const ZERO = { gemm: 0, elementwise: 0, rows: 0 };

function gemmCases(): Case[] {
  const cases: Case[] = [];
  // Plus shapes big enough for 2-D grids of tiles (runtime/pool/plans.ts gemmGrid) with ragged edges.
  const grids: [number, number, number][] = [[1025, 263, 9], [129, 1023, 17], [65, 1023, 3], [257, 263, 65]];
  for (const [m, n, k] of [...gemmShapes(), ...grids]) {
    for (let t = 0; t < 4; t++) {
      const tA = t & 1, tB = t >> 1;
      const buffers = { a: { n: m * k, kind: "rand" as Kind }, b: { n: k * n, kind: "rand" as Kind }, c: { n: m * n, kind: "rand" as Kind } };
      const lda = tA ? m : k, ldb = tB ? k : n;
      for (const beta of [0, 0.75]) {
        cases.push({
          name: `gemm ${tA}${tB} ${m}×${n}×${k} β=${beta}`, kernel: "gemm_f32", buffers, outputs: ["c"],
          args: (p) => [tA, tB, m, n, k, 1.25, p.a!, lda, p.b!, ldb, beta, p.c!, n, p.scratch!],
        });
      }
      // Every activation code (0 linear … 4 gelu); GELU also writes the pre-activation, which must split with C.
      const act = (m + n + k + t) % 5;
      const gelu = act === 4;
      cases.push({
        name: `gemm_bias_act ${tA}${tB} ${m}×${n}×${k} act=${act}`, kernel: "gemm_bias_act_f32",
        buffers: { ...buffers, bias: { n, kind: "rand" }, ...(gelu ? { pre: { n: m * n, kind: "rand" as Kind } } : {}) },
        outputs: gelu ? ["c", "pre"] : ["c"],
        args: (p) => [tA, tB, m, n, k, p.a!, lda, p.b!, ldb, p.bias!, act, p.c!, n, p.scratch!, gelu ? p.pre! : 0],
      });
      // GELU keeping its derivative instead (EPILOGUE_SAVE_GRAD = 16, what Dense's forward asks for).
      if (gelu) {
        cases.push({
          name: `gemm_bias_act ${tA}${tB} ${m}×${n}×${k} act=gelu|save-grad`, kernel: "gemm_bias_act_f32",
          buffers: { ...buffers, bias: { n, kind: "rand" }, pre: { n: m * n, kind: "rand" as Kind } },
          outputs: ["c", "pre"],
          args: (p) => [tA, tB, m, n, k, p.a!, lda, p.b!, ldb, p.bias!, 4 | 16, p.c!, n, p.scratch!, p.pre!],
        });
      }
    }
  }
  return cases;
}

const ELEMENTWISE: [string, number, (p: Record<string, number>, n: number) => number[], string[]][] = [
  ["relu_f32", 2, (p, n) => [n, p.x!, p.y!], ["y"]],
  ["relu_backward_f32", 3, (p, n) => [n, p.x!, p.y!, p.z!], ["z"]],
  ["sigmoid_f32", 2, (p, n) => [n, p.x!, p.y!], ["y"]],
  ["sigmoid_backward_f32", 3, (p, n) => [n, p.x!, p.y!, p.z!], ["z"]],
  ["tanh_backward_f32", 3, (p, n) => [n, p.x!, p.y!, p.z!], ["z"]],
  ["gelu_f32", 2, (p, n) => [n, p.x!, p.y!], ["y"]],
  ["gelu_backward_f32", 3, (p, n) => [n, p.x!, p.y!, p.z!], ["z"]],
  ["exp_f32", 2, (p, n) => [n, p.x!, p.y!], ["y"]],
  ["tanh_f32", 2, (p, n) => [n, p.x!, p.y!], ["y"]],
  ["add_f32", 3, (p, n) => [n, p.x!, p.y!, p.z!], ["z"]],
  ["sub_f32", 3, (p, n) => [n, p.x!, p.y!, p.z!], ["z"]],
  ["mul_f32", 3, (p, n) => [n, p.x!, p.y!, p.y!], ["y"]],
  ["scale_f32", 2, (p, n) => [n, 0.3, p.x!, p.y!], ["y"]],
  ["fill_f32", 1, (p, n) => [n, 0.7, p.x!], ["x"]],
  ["mse_backward_f32", 3, (p, n) => [n, p.x!, p.y!, 0.01, p.z!], ["z"]],
  ["sgd_f32", 2, (p, n) => [n, 0.1, p.x!, p.y!], ["y"]],
  ["sgd_momentum_f32", 3, (p, n) => [n, 0.1, 0.9, p.x!, p.y!, p.z!], ["y", "z"]],
];

function elementwiseCases(): Case[] {
  const sizes = [...EDGE_SIZES, 255, 1000, 4099];
  const cases: Case[] = [];
  for (const n of sizes) {
    for (const [kernel, count, args, outputs] of ELEMENTWISE) {
      const buffers: Record<string, Buf> = {};
      for (const name of ["x", "y", "z"].slice(0, count)) buffers[name] = { n, kind: "rand" };
      cases.push({ name: `${kernel} n=${n}`, kernel, buffers, args: (p) => args(p, n), outputs });
    }
    cases.push({
      name: `adam_f32 n=${n}`, kernel: "adam_f32",
      buffers: { g: { n, kind: "rand" }, m: { n, kind: "rand" }, v: { n, kind: "pos" }, w: { n, kind: "rand" } },
      args: (p) => [n, 1e-3, 0.1, 0.001, 1e-8, 0.01, 0.19, 0.0199, p.g!, p.m!, p.v!, p.w!], outputs: ["m", "v", "w"],
    });
  }
  return cases;
}

function rowCases(): Case[] {
  const cases: Case[] = [];
  const shapes: [number, number][] = EDGE_SIZES.map((s, i) => [s, [1, 3, 17, 65, 129][i % 5]!]);
  shapes.push([129, 65], [65, 129], [300, 10], [2, 1000]);
  for (const [rows, cols] of shapes) {
    const mat = { n: rows * cols, kind: "rand" as Kind };
    const ld = cols;
    for (const kernel of ["softmax_f32", "log_softmax_f32"]) {
      cases.push({
        name: `${kernel} ${rows}×${cols}`, kernel, buffers: { x: mat, y: mat }, outputs: ["y"],
        args: (p) => [rows, cols, p.x!, ld, p.y!, ld, 1.3, 0],
      });
    }
    cases.push({
      name: `softmax_backward ${rows}×${cols}`, kernel: "softmax_backward_f32", buffers: { y: mat, dy: mat, dx: mat }, outputs: ["dx"],
      args: (p) => [rows, cols, p.y!, ld, p.dy!, ld, p.dx!, ld],
    });
    cases.push({
      name: `layernorm ${rows}×${cols}`, kernel: "layernorm_f32", outputs: ["y", "mean", "rstd"],
      buffers: { x: mat, g: { n: cols, kind: "rand" }, b: { n: cols, kind: "rand" }, y: mat, mean: { n: rows, kind: "zero" }, rstd: { n: rows, kind: "zero" } },
      args: (p) => [rows, cols, p.x!, p.g!, p.b!, p.y!, p.mean!, p.rstd!, 1e-5],
    });
    for (const kernel of ["add_row_f32", "bias_relu_f32", "bias_sigmoid_f32"]) {
      cases.push({
        name: `${kernel} ${rows}×${cols}`, kernel, buffers: { x: mat, r: { n: cols, kind: "rand" }, y: mat }, outputs: ["y"],
        args: (p) => [rows, cols, p.x!, ld, p.r!, p.y!, ld],
      });
    }
    cases.push({
      name: `argmax ${rows}×${cols}`, kernel: "argmax_rows_f32", buffers: { x: mat, o: { n: rows, kind: "zero" } }, outputs: ["o"],
      args: (p) => [rows, cols, p.x!, p.o!],
    });
    cases.push({
      name: `sum_rows ${rows}×${cols}`, kernel: "sum_rows_f32", buffers: { x: mat, o: { n: cols, kind: "zero" } }, outputs: ["o"],
      args: (p) => [rows, cols, p.x!, ld, p.o!],
    });
    cases.push({
      name: `embedding ${rows}×${cols}`, kernel: "embedding_f32", outputs: ["o"],
      buffers: { ids: { n: rows, kind: "ids", limit: 40 }, t: { n: 37 * cols, kind: "rand" }, o: mat },
      args: (p) => [rows, p.ids!, p.t!, cols, 37, p.o!],
    });
    cases.push({
      name: `softmax_xent ${rows}×${cols}`, kernel: "softmax_xent_f32", buffers: { x: mat, t: { n: rows * cols, kind: "pos" }, d: mat }, outputs: ["d"],
      args: (p) => [rows, cols, p.x!, p.t!, p.d!, 0.5],
    });
    cases.push({
      name: `softmax_xent_index ${rows}×${cols}`, kernel: "softmax_xent_index_f32", outputs: ["d"],
      buffers: { x: mat, l: { n: rows, kind: "labels", limit: cols }, d: mat },
      args: (p) => [rows, cols, p.x!, p.l!, p.d!, 0.5, -1],
    });
  }
  // Cross-entropy over many rows: several fixed chunks, and their sum must not depend on the thread count.
  for (const rows of [100, 2049, 5000]) {
    cases.push({
      name: `softmax_xent_index ${rows}×7 (chunked)`, kernel: "softmax_xent_index_f32", outputs: ["d"],
      buffers: { x: { n: rows * 7, kind: "rand" }, l: { n: rows, kind: "labels", limit: 7 }, d: { n: rows * 7, kind: "rand" } },
      args: (p) => [rows, 7, p.x!, p.l!, p.d!, 1 / rows, -1],
    });
  }
  return cases;
}

const builds: BuildName[] = [...BUILDS];

describe.each(builds)("bit identity across threads (%s build)", (build) => {
  const backends = new Map<number, Backend>();
  beforeAll(async () => {
    for (const t of THREADS) backends.set(t, await createBackend({ build, threads: t, parallelThresholds: ZERO }));
  });
  afterAll(() => {
    for (const b of backends.values()) b.dispose();
  });

  it("starts the asked number of threads", () => {
    for (const t of THREADS) expect(backends.get(t)!.info().threads).toBe(t);
  });

  it.each(["gemm", "elementwise", "rows"])("%s kernels give the same bits on 1–4 threads", (family) => {
    const cases = family === "gemm" ? gemmCases() : family === "elementwise" ? elementwiseCases() : rowCases();
    const mismatches: string[] = [];
    let split = 0;
    for (const c of cases) {
      const one = run(backends.get(1)!, c);
      for (const t of THREADS.slice(1)) {
        const b = backends.get(t)!;
        const before = b.workerPool!.jobs;
        const got = run(b, c);
        if (b.workerPool!.jobs > before) split++;
        if (!Object.is(got.ret, one.ret)) {
          mismatches.push(`${c.name} on ${t} threads: returned ${got.ret}, 1 thread ${one.ret}`);
        }
        got.out.forEach((o, i) => {
          const j = o.findIndex((v, k) => v !== one.out[i]![k]);
          if (j >= 0) mismatches.push(`${c.name} on ${t} threads: ${c.outputs[i]}[${j}] differs`);
        });
      }
    }
    expect(mismatches.slice(0, 20)).toEqual([]);
    // Most cases are big enough to split (a few, like 1×1 GEMMs, stay whole by design).
    expect(split).toBeGreaterThan(cases.length);
  });
});
