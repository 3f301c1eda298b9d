// How the kernel bench measures, as the bullet list of kernels.json's "method" and of kernels.md.

import { GPT_BATCH, GPT_CONFIG, GPT_PROMPT } from "../workloads/gpt-config.js";
import { GPT_TOL } from "./gpt-train.js";
import { MLP_SIZES, TRAIN_TOL } from "./mlp-config.js";

export function methodText(): string[] {
  return [
    "Each workload: every implementation runs once and its output is checked (tolerance per check) before any timing.",
    "simdnet ops write into preallocated output tensors (`out` option): timed calls allocate nothing; inputs are created once.",
    "SIMD and scalar are two backends in one process; rounds alternate the implementations (order rotated per round).",
    "GFLOP/s: 2·m·n·k for GEMM; for causal attention only the unmasked half, 2·2·d per visible (i, j) pair per head.",
    "× vs JS and × vs scalar are speedups (other median / this median); MLP variants also give time relative to the untransposed product.",
    "Training rows: each timed sample is a run of consecutive steps lasting about 50 ms or more (one plain-JS step at B = 128 takes 70–100 ms), so that every implementation is similarly exposed to interference; times are per step (samples×steps = timed samples × steps per sample).",
    "Training table: besides the ratio of medians, \"per round\" is the median over rounds of the ratio of that round's medians (robust to load that drifts during the run) and \"mins\" the ratio of the fastest samples; the 40× verdict needs all three on the same side of 40× and a clean run (median ≤ 1.25× the fastest sample for both SIMD and plain JS at B = 128, load average ≤ cores), else it says inconclusive.",
    `Training step: \`net.trainBatch(xb, yb, lr)\` on a ${MLP_SIZES.join("-")} NeuralNetwork built on each backend (same seed, so the same initial weights), inputs uniform in [0, 1), one-hot targets, both made once; plain JS is bench/lib/plain-mlp.ts started from the same weights. samples/s = B / median step time. GEMM GFLOP/s counts the step's eight products only (forward and dW per layer, dx for layers 1 and 2).`,
    "Attention backward: `attentionBackward(q, k, v, out, dout, lse, { causal, dq, dk, dv })` from the out/lse of one `attention(..., { lse })` made before timing; plain JS (bench/lib/plain-attention-backward.ts) recomputes the weights row by row from the scores. The forward+backward row runs both. GFLOP/s counts 2·d per visible (i, j) pair and head for each of 5 products in the backward (QKᵀ again, dO·Vᵀ, dQ, dK, dV), 7 with the forward. Checked: dq, dk, dv concatenated, each impl against plain JS (tolerance 1e-3).",
    `GPT train step: \`GptTrainer.trainStep()\` (batch ${GPT_BATCH}×${GPT_CONFIG.contextLength} random tokens, AdamW lr 3e-3 with warm-up, clip 1, weight decay 0.1) on a seed-0 model per backend; plain JS is bench/lib/plain-gpt.ts (forward, cross-entropy, backward, clip + AdamW) from the same weights on a fixed batch. tokens/s = ${GPT_BATCH * GPT_CONFIG.contextLength} / median step time. Checked before timing on the trainer's first batch: loss (rel. tol ${GPT_TOL.loss}) and all gradients (${GPT_TOL.grads}) of both backends against plain JS, then the parameters after the trainer's first step against a plain-JS clip + AdamW step from the same weights and that backend's gradients (${GPT_TOL.params}), as |x − y| ≤ tol · max(|y|, 0.01 · max|y|) per tensor.`,
    `GPT generate: \`generate(model, Tokenizer.characters(62 characters), "${GPT_PROMPT}", { maxNewTokens: 64, greedy: true, useCache })\` on seed-0 random weights; a call = the prompt's prefill + 64 new tokens (the window slides once, at 64 tokens, re-running its last 32). No cache re-runs the forward over the whole window (≤ 64 tokens) for every token; plain JS does the same with bench/lib/plain-gpt.ts. tokens/s = 64 / median call time. Checked: all impls generate the same ids.`,
    "Transformer rows: a plain-JS call takes seconds, so it is timed once per round (capped: in quick mode a single timed call).",
    `Training checks, before timing: one step of each network vs one plain-JS step from the same weights and batch: loss (rel. tol ${TRAIN_TOL.loss}), gradients (${TRAIN_TOL.grads}), updated parameters (${TRAIN_TOL.params}), as |x − y| ≤ tol · max(|y|, 0.01 · max|y|) per tensor; Adam has no plain-JS twin and is only checked for finite loss and parameters.`,
  ];
}
