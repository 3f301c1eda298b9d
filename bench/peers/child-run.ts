// The peers that run in a child process of their own (numpy, PyTorch, onnxruntime-web with 2 threads):
// the benchmark writes each task's float32 inputs to files in a temporary folder with a manifest, the
// child computes and times every task and prints JSON; each task's first output comes back as a file
// and is checked against simdnet best's by bench/harness/numpy-column.ts.
//
// Sampling is the in-process rows' rule (bench/harness/timing.ts), so the medians mean the same thing:
// every sample is one call; `rounds` rounds of (warm-up of warmup_ms, at least 2 calls, then samples
// until budget_ms has passed, at least 2); a first call slower than slow_call_ms gets no warm-up and
// one sample per round until the samples add up to slow_cap_ms; one slower than reuse_check_call_ms
// is not repeated: its first call is its one sample. The child implements it (bench_timing.py, or
// timeTask below for the Node child).

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";

export interface ChildTask {
  id: string;
  kind: "gemm" | "softmax" | "attention" | "train" | "gpt-train";
  /** Scalar parameters (n, rows, cols, T, d, h, sizes, batch, lr). */
  params: Record<string, number | number[] | string>;
  /** Named float32 (or int32, by name) inputs, written to files for the child. */
  inputs: Record<string, Float32Array | Int32Array>;
}

export interface Sampling {
  rounds: number;
  budget_ms: number;
  warmup_ms: number;
  slow_call_ms: number;
  slow_cap_ms: number;
  reuse_check_call_ms: number;
}

export interface ChildResult {
  id: string;
  label?: string;
  samplesMs?: number[];
  output?: Float32Array;
  error?: string;
  note?: string;
}

export interface ChildRun {
  /** What the child printed about itself (versions, threads). */
  info: Record<string, unknown>;
  results: ChildResult[];
  /** Set when the whole child failed (not installed, crashed, unreadable output). */
  error?: string;
}

/** Sampling as described above, in words for the report. */
export function samplingText(s: Sampling): string {
  return `single calls, as the in-process rows: ${s.rounds} rounds × (warm-up ${s.warmup_ms} ms, then samples for ${s.budget_ms} ms); calls over ${s.slow_call_ms} ms: no warm-up, one per round up to ${s.slow_cap_ms} ms${Number.isFinite(s.reuse_check_call_ms) ? `; over ${s.reuse_check_call_ms} ms: the first call is the sample` : ""}`;
}

export function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, tasks: ChildTask[], sampling: Sampling, timeoutS: number): ChildRun {
  const dir = mkdtempSync(join(os.tmpdir(), "simdnet-peer-"));
  try {
    const manifest = {
      // JSON has no Infinity: a huge number instead.
      sampling: { ...sampling, reuse_check_call_ms: Number.isFinite(sampling.reuse_check_call_ms) ? sampling.reuse_check_call_ms : 1e12 },
      tasks: tasks.map((t, i) => {
        const files: Record<string, string> = {};
        for (const [name, data] of Object.entries(t.inputs)) {
          const f = join(dir, `t${i}_${name}.${data instanceof Int32Array ? "i32" : "f32"}`);
          writeFileSync(f, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
          files[name] = f;
        }
        return { id: t.id, kind: t.kind, ...t.params, ...files, output: join(dir, `t${i}_out`) };
      }),
    };
    const manifestPath = join(dir, "manifest.json");
    writeFileSync(manifestPath, JSON.stringify(manifest));
    const p = spawnSync(command, [...args, manifestPath], { env, encoding: "utf8", timeout: timeoutS * 1000, maxBuffer: 64 << 20 });
    const fail = (error: string): ChildRun => ({ info: {}, results: [], error });
    if (p.error) return fail(`${command} could not run: ${p.error.message}`);
    if (p.status !== 0) return fail(`${command} exited ${p.status ?? p.signal}: ${(p.stderr || "").trim().split("\n").slice(-3).join(" | ")}`);
    let out: { info?: Record<string, unknown>; error?: string; tasks: { id: string; label?: string; output?: string; samples_ms?: number[]; error?: string; note?: string }[] };
    try {
      out = JSON.parse(p.stdout.trim().split("\n").pop()!);
    } catch (e) {
      return fail(`unreadable output from the child: ${(e as Error).message}`);
    }
    if (out.error) return fail(out.error);
    const results = out.tasks.map((t): ChildResult => {
      const r: ChildResult = { id: t.id, label: t.label, samplesMs: t.samples_ms, error: t.error, note: t.note };
      if (!t.error && t.output) {
        const b = readFileSync(t.output);
        r.output = new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
      }
      return r;
    });
    return { info: out.info ?? {}, results };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The sampling rule for a Node child (the same as bench_timing.py's); `first` is the first call's time. */
export async function timeTask(run: () => unknown, first: number, s: Sampling): Promise<{ samples: number[]; note?: string }> {
  if (first > s.reuse_check_call_ms) return { samples: [first], note: "1 sample: the first call, no warm-up" };
  const samples: number[] = [];
  const slow = first > s.slow_call_ms;
  for (let r = 0; r < s.rounds; r++) {
    if (slow) {
      if (samples.reduce((a, b) => a + b, 0) >= s.slow_cap_ms && samples.length > 0) break;
      const t0 = performance.now();
      await run();
      samples.push(performance.now() - t0);
      continue;
    }
    const warmEnd = performance.now() + s.warmup_ms;
    for (let i = 0; i < 2 || performance.now() < warmEnd; i++) await run();
    const end = performance.now() + s.budget_ms;
    for (let i = 0; i < 2 || performance.now() < end; i++) {
      const t0 = performance.now();
      await run();
      samples.push(performance.now() - t0);
    }
  }
  return { samples };
}
