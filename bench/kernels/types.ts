// The shapes of the kernel bench: an implementation (Impl) of a workload, the workload, the result
// rows and the output checks. They differ from bench/harness/types.ts: two backends and plain JS
// only, training variants (a step's configurations and parts), per-workload rounds and calls per
// sample, and rows that carry the kernel tables' own ratios.

import type { Summary } from "../lib/stats.js";

export type ImplName = "simd" | "scalar" | "js" | "ceiling";
/**
 * Training impls: "main", "tutorial", "default" = a step (forward + loss + backward + update) of that
 * configuration (TRAIN_CONFIGS); "gemms" = the step's eight matrix products alone; "rest" = the
 * step's other kernels alone.
 */
export type TrainVariant = "main" | "tutorial" | "default" | "gemms" | "rest";

export interface Impl {
  impl: ImplName;
  label: string;
  run: () => void;
  result?: () => Float32Array;
  /** Training workloads: which configuration (or part of a step) this impl times. */
  variant?: TrainVariant;
  /** Calls of `run` per timed sample (set by runWorkload when the workload asks for sampleMs). */
  reps?: number;
  /** Transformer workloads: what this impl does when the workload has several ways (e.g. "KV cache"). */
  mode?: string;
}

export interface Workload {
  id: string;
  group: "gemm" | "mlp" | "softmax" | "attention" | "ceiling" | "train" | "transformer";
  /** Transformer workloads: tokens processed (trained on or generated) per call. */
  tokens?: number;
  /** Overrides CFG.slowTaskCapMs (total time of a slow impl's samples). */
  slowTaskCapMs?: number;
  flops?: number;
  /** Training workloads: the batch size (samples per call). */
  batch?: number;
  /** Runs before checkWorkload (which only compares `result()` outputs); false = check failed. */
  check?: () => boolean;
  /** Overrides of CFG.rounds / CFG.budgetMs (more, shorter rounds pair the implementations more closely). */
  rounds?: number;
  budgetMs?: number;
  /**
   * Make every timed sample about this long by calling `run` several times per sample (per-call time
   * = sample / reps). Otherwise a 2 ms SIMD call can land between two bursts of interference that a
   * 100 ms plain-JS call cannot avoid, which biases the fastest (and even the median) samples; with
   * samples of similar length every implementation is exposed to interference alike.
   */
  sampleMs?: number;
  /** Tolerance of the output checks: |x − y| ≤ tol · max(|y|, 0.01 · max|y|). */
  tol: number;
  impls: Impl[];
  /** Float64 (or plain-JS) reference for the check; otherwise impls are checked against each other. */
  reference?: () => ArrayLike<number>;
  /** For MLP transpose variants: the id of the untransposed workload. */
  baseId?: string;
  dispose: () => void;
}

export interface Row extends Summary {
  workload: string;
  group: Workload["group"];
  impl: string;
  implKind: ImplName;
  gflops?: number;
  vsJs?: number;
  vsScalar?: number;
  vsUntransposed?: number;
  pctOfCeiling?: number;
  batch?: number;
  variant?: TrainVariant;
  samplesPerSec?: number;
  /** Training step rows: the time of the step's GEMMs alone (same backend) / step time, median over rounds. */
  gemmShare?: number;
  /** Training step rows: the same for the step's other kernels alone ("rest"). */
  restShare?: number;
  /** Non-main step rows: this step time / the main configuration's (same backend), median over rounds. */
  vsMainStep?: number;
  /** Training rows: the median of each round's samples, and speedups that are less sensitive to load drift. */
  roundMedianMs?: number[];
  /** Median over rounds of (plain-JS round median / this round median); same for scalar. */
  vsJsPerRound?: number;
  vsScalarPerRound?: number;
  /** Plain-JS fastest sample / this fastest sample. */
  vsJsMin?: number;
  /** Calls per timed sample (the times are per call). */
  reps?: number;
  mode?: string;
  tokens?: number;
  tokensPerSec?: number;
  /** Generation with the KV cache: the same backend's no-cache time / this time. */
  vsNoCache?: number;
  error?: string;
}

/** An output check before timing: the same record as the peer bench's. */
export type { Check } from "../harness/types.js";
