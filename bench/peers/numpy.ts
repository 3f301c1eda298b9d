// numpy peer: bench/peers/numpy_bench.py in a child python3 process, float32, one BLAS thread
// (OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = MKL_NUM_THREADS = 1; OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE removed from that child's environment only, so OpenBLAS picks its kernels for this
// CPU itself). It gets the very inputs the Node implementations get (raw float32 files in a temporary
// folder), times itself with time.perf_counter and reports per-call samples; its first output comes
// back as a file and is checked against simdnet best's in bench/harness/numpy-column.ts. It runs after the Node workloads,
// so it is not interleaved with them: its column is reported separately.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface NumpyTask {
  id: string;
  kind: "gemm" | "softmax" | "attention" | "train";
  /** Scalar parameters (n, rows, cols, T, d, h, sizes, batch, lr). */
  params: Record<string, number | number[]>;
  /** Named float32 inputs, written to files for the script. */
  inputs: Record<string, Float32Array>;
}

export interface NumpyResult {
  id: string;
  samplesMs?: number[];
  reps?: number;
  output?: Float32Array;
  error?: string;
}

export interface NumpyRun {
  setup: string;
  results: Map<string, NumpyResult>;
  /** Set when the whole peer failed (no python3, no numpy, the script crashed). */
  error?: string;
}

export function runNumpy(tasks: NumpyTask[], o: { budgetS: number; minSamples: number; sampleMs: number; timeoutS: number }): NumpyRun {
  const dir = mkdtempSync(join(os.tmpdir(), "simdnet-numpy-"));
  try {
    const manifest = {
      tasks: tasks.map((t, i) => {
        const files: Record<string, string> = {};
        for (const [name, data] of Object.entries(t.inputs)) {
          const f = join(dir, `t${i}_${name}.f32`);
          writeFileSync(f, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          files[name] = f;
        }
        return { id: t.id, kind: t.kind, ...t.params, ...files, output: join(dir, `t${i}_out.f32`), budget_s: o.budgetS, min_samples: o.minSamples, sample_ms: o.sampleMs };
      }),
    };
    const manifestPath = join(dir, "manifest.json");
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    delete env.OPENBLAS_CORETYPE;
    delete env.OPENBLAS_L2_SIZE;
    const script = join(dirname(fileURLToPath(import.meta.url)), "numpy_bench.py");
    const p = spawnSync("python3", [script, manifestPath], { env, encoding: "utf8", timeout: o.timeoutS * 1000, maxBuffer: 64 << 20 });
    const fail = (error: string): NumpyRun => ({ setup: "numpy via python3", results: new Map(), error });
    if (p.error) return fail(`python3 could not run: ${p.error.message}`);
    if (p.status !== 0) return fail(`python3 exited ${p.status ?? p.signal}: ${(p.stderr || "").trim().split("\n").slice(-3).join(" | ")}`);
    let out: { numpy: string; python: string; blas: string; threadpools?: { num_threads?: number; internal_api?: string }[] | null; tasks: { id: string; samples_ms?: number[]; reps?: number; error?: string }[] };
    try {
      out = JSON.parse(p.stdout);
    } catch (e) {
      return fail(`unreadable output from numpy_bench.py: ${(e as Error).message}`);
    }
    const threads = out.threadpools?.map((t) => `${t.internal_api}: ${t.num_threads} thread(s)`).join(", ");
    const results = new Map<string, NumpyResult>();
    out.tasks.forEach((t, i) => {
      const r: NumpyResult = { id: t.id, samplesMs: t.samples_ms, reps: t.reps, error: t.error };
      if (!t.error) {
        const b = readFileSync(manifest.tasks[i]!.output);
        r.output = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      results.set(t.id, r);
    });
    return {
      setup: `numpy ${out.numpy} (python ${out.python}, BLAS ${out.blas.trim()}, OPENBLAS_NUM_THREADS=1${threads ? `; threadpoolctl: ${threads}` : ""}), float32, timed with time.perf_counter in its own process`,
      results,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
