// The GPT the benchmarks time: the default model of `simdnet train-gpt` (also used by the kernel suite).

import * as sd from "../../src/index.js";
import type { GptModelConfig, GptParam } from "../peers/types.js";

// Tied W_U (the default until 2026-12-04, now an option): keeps the figures comparable with the earlier
// ones and matches bench/lib/plain-gpt.ts; the logits cost the same either way ([B·T, d]·[d, V]).
export const GPT_CONFIG = { vocabSize: 62, contextLength: 64, dModel: 128, heads: 4, layers: 2, tieEmbeddings: true } as const;
export const GPT_BATCH = 32;
export const GPT_TRAIN_OPTIONS = {
  batchSize: GPT_BATCH, learningRate: 3e-3, warmupSteps: 10, totalSteps: 1e9, weightDecay: 0.1, clipNorm: 1, evalSequences: 8, seed: 0,
};
/** 62 distinct characters: the vocabulary of the generation benchmark's tokenizer. */
export const GPT_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
export const GPT_PROMPT = "Thequick";

/** The model's full config (simdnet's defaults filled in), as the peer models take it. */
export function fullConfig(model: sd.GPT): GptModelConfig {
  const c = model.config;
  return { vocabSize: c.vocabSize, contextLength: c.contextLength, dModel: c.dModel, heads: c.heads, layers: c.layers, positional: c.positional, tieEmbeddings: c.tieEmbeddings };
}

/** Names, values and AdamW decay flags of a simdnet model's parameters (its backend must be current). */
export function paramsOf(model: sd.GPT): GptParam[] {
  return model.parameters().map((p) => ({ name: p.name, data: p.value.toFloat32Array(), decays: sd.decaysWeight(p) }));
}

/**
 * Multiply-adds × 2 of one forward per token: per layer W_qkv 3d², W_o d², W_fc 4d², W_proj 4d²,
 * plus the unembedding V·d (attention's own products left out: ≈ 5 % here).
 */
export function gptForwardFlopsPerToken(): number {
  const { dModel: d, layers, vocabSize: V } = GPT_CONFIG;
  return 2 * (layers * 12 * d * d + V * d);
}
