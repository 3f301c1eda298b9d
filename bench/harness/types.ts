// The shapes every part of the benchmark shares, for both suites (the peer comparison and the kernel
// rows): an implementation (Impl) of a workload, with an optional variant (a transpose form, a part of
// a training step, "from JS arrays"), the workload with its implementations, its float64 reference and
// the rows that could not be timed, the result rows and the output checks. Workload modules
// (bench/workloads/) build Workloads; the harness checks, times and reports them without knowing what
// they compute.

import type { Summary } from "../lib/stats.js";
import type { NumpyTask } from "../peers/numpy.js";

/** Who runs an implementation: the three simdnet builds, plain JS, an in-process peer, numpy. */
export type ImplKind = "relaxed" | "simd" | "scalar" | "js" | "peer" | "numpy";

/** What a workload reports: GFLOP/s (gemm), ms (softmax, attention), samples/s (train), tokens/s (gpt). */
export type WorkloadKind = "gemm" | "softmax" | "attention" | "train" | "gpt-train" | "gpt-generate";

export interface Impl {
  /** Row label (and, unless `column` says otherwise, the summary column). */
  label: string;
  kind: ImplKind;
  /**
   * What this impl times when a workload has several forms of the same kind (an MLP step's "gemms" or
   * "rest" alone, its "tutorial" configuration, "from JS arrays"). Ratios compare rows of one variant.
   */
  variant?: string;
  /** Calls of `run` per timed sample (set by the timing when the workload asks for sampleMs). */
  reps?: number;
  /** Summary column when it differs from the label (e.g. "plain JS (i-k-j)" → "plain JS"). */
  column?: string;
  run: () => void | Promise<void>;
  /** True when run returns a Promise (awaited inside the timed window). */
  async?: boolean;
  /** The output of the last call, compared with the workload's float64 reference before timing. */
  result?: () => Float32Array | Promise<Float32Array>;
  /** Before each turn (make this impl's backend current, create a session once). */
  before?: () => Promise<void>;
  dispose?: () => void;
}

export interface ErrorRow {
  label: string;
  kind: ImplKind;
  column?: string;
  variant?: string;
  error: string;
}

export interface Workload {
  id: string;
  kind: WorkloadKind;
  /** GFLOP/s numerator per call. */
  flops?: number;
  /** samples (train) or tokens (gpt) per call. */
  perCall?: number;
  /** Tolerance of the output checks: |x − y| ≤ tol · max(|y|, 0.01·max|y|). */
  tol: number;
  /**
   * The independent oracle every `result()` is checked against (simdnet's builds included): computed in
   * float64 by plain JS from the same float32 inputs. Called once, lazily (harness/check.ts referenceOf).
   */
  reference?: () => ArrayLike<number>;
  /** What the reference is, for the check records (default "float64 plain JS"). */
  referenceName?: string;
  impls: Impl[];
  /** Rows that are not timed: peers that failed or lack the workload, skips, failed checks. */
  errors: ErrorRow[];
  /**
   * A workload-specific check that runs instead of the generic one-call-and-compare (the GPT step:
   * loss, gradients and the optimizer step are compared separately). Returns the impls that passed;
   * it records its own checks and error rows, and may record first-call times via ctx.firstCall.
   */
  check?: () => Promise<Impl[]>;
  /** Overrides of the configured rounds / cap of a slow impl's sample time. */
  rounds?: number;
  budgetMs?: number;
  slowCapMs?: number;
  /**
   * Make every timed sample about this long by calling `run` several times per sample (per-call time =
   * sample / reps), so that a 2 ms call and a 100 ms call are exposed to bursts of interference alike.
   */
  sampleMs?: number;
  numpy?: NumpyTask;
  /**
   * The "too slow to repeat" prediction: an impl whose median on `workload` × factor exceeds
   * CFG.maxPredictedMs is not run here (its row says so). Applied to every impl of the workload alike.
   */
  predictFrom?: { workload: string; factor: number };
  /** Shown in the row notes (e.g. what a peer's model differs in). */
  notes?: Record<string, string>;
  dispose: () => void;
}

export interface Row extends Summary {
  workload: string;
  kind: WorkloadKind;
  impl: string;
  implKind: ImplKind;
  column: string;
  variant?: string;
  /** Calls per timed sample (times are per call). */
  reps?: number;
  gflops?: number;
  /** samples/s (train) or tokens/s (gpt). */
  perSecond?: number;
  /** GEMM rows: % of the Wasm ceiling of this run (the FMA ceiling for the relaxed build). */
  pctOfCeiling?: number;
  /** The median of each round's samples (in-process rows). */
  roundMedianMs?: number[];
  /** This median / simdnet best's median: how many times faster simdnet best is. */
  vsBest?: number;
  /** The same over rounds: median of (this round's median / best's round median). */
  vsBestPerRound?: number;
  /** This median / simdnet SIMD's median (the plain SIMD build, no FMA). */
  vsSimd?: number;
  vsSimdPerRound?: number;
  /** Kernel-suite extras: time / the untransposed product's (same build); the step's parts / the step (per round). */
  vsUntransposed?: number;
  vsMainStep?: number;
  /** Generation with the KV cache: the same build's no-cache time / this time. */
  vsNoCache?: number;
  error?: string;
  note?: string;
  timedBy: "tinybench (in process, interleaved)" | "numpy_bench.py time.perf_counter (own process)" | "child process, own clock";
}

export interface Check {
  workload: string;
  impl: string;
  /** What was compared when not the whole output (loss, gradients, parameters after step 1). */
  what?: string;
  against: string;
  maxRelErr: number;
  tol: number;
  ok: boolean;
}
