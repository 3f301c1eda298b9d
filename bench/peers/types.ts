// The contract between the benchmark (bench/main.ts, bench/workloads/) and the peer adapters (one file per peer in this folder).
// An adapter turns the benchmark's plain Float32Array inputs into its library's objects once, outside
// the timed function, and returns a PeerImpl per workload; a workload it cannot run is reported with
// the reason (`unsupported`), and an adapter whose setup throws is reported with its error.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export interface PeerImpl {
  /** One call of the workload (one product, one softmax, one attention forward, one training step). */
  run: () => void | Promise<void>;
  /** True when run returns a Promise (timed with the await inside the measured window). */
  async?: boolean;
  /**
   * The output of the last call as float32: the product / softmax / attention output; for training,
   * [loss of the first step, then every parameter after it, layer by layer, W then b].
   */
  result: () => Float32Array | Promise<Float32Array>;
  /** Called before each batch of calls (tfjs: make this backend the current one). */
  before?: () => Promise<void>;
  dispose?: () => void;
}

/** x [T, d] (one sequence), W_q, W_k, W_v, W_o [d, d], h heads of d/h; causal; no biases. */
export interface AttentionInputs {
  x: Float32Array;
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  T: number;
  d: number;
  h: number;
}

/**
 * One SGD step of a ReLU MLP with a linear output and loss mean((a − y)²) over all elements, from
 * the given initial weights ([inputs, outputs] row-major) and biases; x [batch, sizes[0]], y one-hot.
 */
export interface MlpInputs {
  sizes: number[];
  weights: Float32Array[];
  biases: Float32Array[];
  x: Float32Array;
  y: Float32Array;
  batch: number;
  lr: number;
}

export type WorkloadKind = "gemm" | "softmax" | "attention" | "train" | "gpt-train" | "gpt-generate";

/** simdnet's GPT rebuilt in a peer library (bench/peers/tfjs-gpt.ts), started from simdnet's weights. */
export interface GptPeerModel {
  /** Loss and gradients (by simdnet parameter name) for one batch; nothing is updated. */
  lossAndGrads(ids: Int32Array, targets: Int32Array, batch: number): { loss: number; grads: Map<string, Float32Array> };
  /** Clip + AdamW from the given gradients (the check feeds simdnet's, so both take the same step). */
  stepWith(grads: Map<string, Float32Array>, lr: number, o: { clipNorm: number; weightDecay: number }): void;
  /** Forward, loss, backward, clip + AdamW; returns the loss. */
  trainStep(ids: Int32Array, targets: Int32Array, batch: number, lr: number, o: { clipNorm: number; weightDecay: number }): number;
  /** Reset to these weights and clear the optimizer state. */
  load(params: GptParam[]): void;
  values(): Map<string, Float32Array>;
  /** Greedy generation with simdnet's window rule; prompt + new ids. */
  generate(prompt: Int32Array, maxNewTokens: number, useCache: boolean): Int32Array;
  dispose(): void;
}

export interface GptParam {
  name: string;
  data: Float32Array;
  decays: boolean;
}

export interface GptModelConfig {
  vocabSize: number;
  contextLength: number;
  dModel: number;
  heads: number;
  layers: number;
  positional: "sinusoidal" | "learned";
  tieEmbeddings: boolean;
}

export interface Peer {
  /** Column name in the tables. */
  name: string;
  /** Library and version, and how it is set up (threads, SIMD, backend). */
  setup: string;
  /** C [m, n] = A [m, k] · B [k, n], row-major. */
  gemm?(a: Float32Array, b: Float32Array, m: number, k: number, n: number): PeerImpl;
  softmax?(x: Float32Array, rows: number, cols: number): PeerImpl;
  attention?(inputs: AttentionInputs): PeerImpl;
  train?(inputs: MlpInputs): PeerImpl;
  /** simdnet's GPT built from the peer's ops on its backend (created while the peer is active). */
  gptModel?(config: GptModelConfig, params: GptParam[], options?: { explicitTransposes?: boolean }): GptPeerModel;
  /** Tuned variants of the GPT model worth a row of their own (tfjs-wasm: explicit transposes). */
  gptVariants?: { label: string; options: { explicitTransposes?: boolean }; note: string }[];
  /** Makes this peer's backend current before its inputs are created (tfjs: several backends share one engine). */
  activate?: () => Promise<void>;
  /** Why a workload is not run by this peer. */
  unsupported?: Partial<Record<WorkloadKind, string>>;
}

/** The installed version of a package (walks up from its resolved entry; works without an exported package.json). */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? "?";
    } catch {
      // no package.json here
    }
    const up = dirname(dir);
    if (up === dir) return "?";
    dir = up;
  }
}
