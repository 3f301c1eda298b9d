// The fuzz loop: each mutant is loaded as a plain Uint8Array, as a Node Buffer at an offset, and as a
// view at an odd offset in a fenced buffer. Every outcome must be a typed error (a SimdnetError) or a
// result that the independent check confirms; all three forms must agree; the input must be left
// unchanged; no tensors may be left behind; memory may grow by at most 32 MiB + 16 × the file size;
// a load must finish within the time limit. Afterwards the runtime must still compute correctly.

import { SimdnetError, matmul, memory, tensor, tidy } from "../../src/index.js";
import { inputForms } from "../helpers/input-forms.js";
import type { FuzzFormat, Loaded } from "./formats.js";
import { mutantRandom } from "./random.js";

export interface FuzzFailure {
  format: string;
  index: number;
  form: string;
  problem: string;
}

export interface FormatReport {
  format: string;
  mutants: number;
  accepted: number;
  /** Typed errors by class name. */
  rejected: Record<string, number>;
  failures: FuzzFailure[];
  /** Largest growth seen (Wasm memory + ArrayBuffers, and the JS heap when gc is exposed), in bytes. */
  maxGrowth: number;
  slowestMs: number;
  ms: number;
}

export interface FuzzOptions {
  perFormat: number;
  seed: number;
  /** A load taking longer than this counts as a hang (async loads are abandoned at this point). */
  timeoutMs?: number;
  /** Stop collecting failures after this many per format. */
  maxFailures?: number;
  onProgress?: (format: string, done: number) => void;
}

const MiB = 1 << 20;
const gc = (globalThis as { gc?: () => void }).gc;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`HANG: no result after ${ms} ms`)), ms); }),
  ]);
}

/** A known product, checked against plain JS: the runtime still computes correctly. */
export function runtimeStillComputes(): string | undefined {
  const a = Array.from({ length: 3 * 5 }, (_, i) => (i % 7) - 3);
  const b = Array.from({ length: 5 * 4 }, (_, i) => (i % 5) * 0.5 - 1);
  const got = tidy(() => matmul(tensor(a, [3, 5]), tensor(b, [5, 4])).toFloat32Array());
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      let s = 0;
      for (let k = 0; k < 5; k++) s += a[i * 5 + k]! * b[k * 4 + j]!;
      if (got[i * 4 + j] !== s) return `matmul [${i},${j}] = ${got[i * 4 + j]}, expected ${s}`;
    }
  }
  return undefined;
}

export async function fuzzFormat(format: FuzzFormat, options: FuzzOptions): Promise<FormatReport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const report: FormatReport = { format: format.name, mutants: 0, accepted: 0, rejected: {}, failures: [], maxGrowth: 0, slowestMs: 0, ms: 0 };
  const fail = (index: number, form: string, problem: string) => {
    if (report.failures.length < (options.maxFailures ?? 20)) report.failures.push({ format: format.name, index, form, problem: problem.slice(0, 500) });
  };
  const started = performance.now();
  for (let index = 0; index < options.perFormat; index++) {
    const bytes = format.mutate(mutantRandom(options.seed, index));
    report.mutants++;
    const forms = format.bytes ? inputForms(bytes) : [{ name: "text", bytes, untouched: () => true }];
    const outcomes: string[] = [];
    let accepted = false;
    for (const form of forms) {
      // A full collection costs ~15 ms: measure the JS heap on every 10th mutant's first load only.
      const measureHeap = gc !== undefined && index % 10 === 0 && form === forms[0];
      if (measureHeap) gc!();
      const tensors = memory().numTensors;
      const wasm = memory().wasmBytes;
      const usage = process.memoryUsage();
      const t0 = performance.now();
      let loaded: Loaded | undefined;
      let outcome: string;
      try {
        loaded = await withTimeout(format.load(form.bytes), timeoutMs);
        const problem = loaded.check();
        if (problem !== undefined) fail(index, form.name, `accepted but wrong: ${problem}`);
        outcome = `ok ${loaded.summary}`;
        accepted = true;
      } catch (error) {
        if (!(error instanceof SimdnetError)) {
          fail(index, form.name, `untyped ${(error as Error)?.name}: ${(error as Error)?.message ?? String(error)}`);
        } else {
          report.rejected[error.name] = (report.rejected[error.name] ?? 0) + (form === forms[0] ? 1 : 0);
          if (error.message.length > 1000) fail(index, form.name, `error message of ${error.message.length} characters`);
        }
        outcome = `error ${(error as Error)?.message}`;
      }
      const ms = performance.now() - t0;
      report.slowestMs = Math.max(report.slowestMs, ms);
      if (ms > timeoutMs) fail(index, form.name, `took ${ms.toFixed(0)} ms`);
      const after = process.memoryUsage();
      const growth = Math.max(
        memory().wasmBytes - wasm + Math.max(0, after.arrayBuffers - usage.arrayBuffers),
        measureHeap ? after.heapUsed - usage.heapUsed : 0,
      );
      report.maxGrowth = Math.max(report.maxGrowth, growth);
      if (growth > 32 * MiB + 16 * bytes.length) fail(index, form.name, `memory grew by ${growth} bytes for a ${bytes.length}-byte file`);
      loaded?.dispose();
      if (memory().numTensors !== tensors) fail(index, form.name, `${memory().numTensors - tensors} tensors left behind`);
      if (!form.untouched()) fail(index, form.name, "the loader changed its input or the bytes around it");
      outcomes.push(outcome);
    }
    if (accepted) report.accepted++;
    if (outcomes.some((o) => o !== outcomes[0])) fail(index, "all", `the input forms disagree: ${outcomes.map((o) => o.slice(0, 120)).join(" | ")}`);
    if (index % 100 === 99) {
      const broken = runtimeStillComputes();
      if (broken) fail(index, "all", `runtime broken after this mutant: ${broken}`);
      options.onProgress?.(format.name, index + 1);
    }
  }
  const broken = runtimeStillComputes();
  if (broken) fail(options.perFormat, "all", `runtime broken at the end: ${broken}`);
  report.ms = performance.now() - started;
  return report;
}
