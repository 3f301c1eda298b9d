// A GPT's initial held-out loss: a model that knows nothing should guess about uniformly, ln V nats per
// token. The default (its own W_U at 0.02) starts within 10% of that; W_U tied to the √d-scaled W_E starts
// far above it (the current token's own row dominates its logits), which is why the default is untied.

import { beforeAll, describe, expect, it } from "vitest";
import { GPT, GptTrainer, Tokenizer, init, loadEmbeddedCorpus, splitText } from "../src/index.js";

let train: Int32Array;
let validation: Int32Array;
let vocab: number;

beforeAll(async () => {
  await init();
  const text = await loadEmbeddedCorpus();
  const tokenizer = Tokenizer.characters(text);
  const parts = splitText(text, 0.1);
  train = tokenizer.encode(parts.train);
  validation = tokenizer.encode(parts.validation);
  vocab = tokenizer.vocabSize;
});

/** Held-out loss before any step, measured as train-gpt measures it (128 fixed windows). */
function initialLoss(config: { dModel: number; heads: number; layers: number; tieEmbeddings?: boolean; seed?: number }): number {
  const model = new GPT({ vocabSize: vocab, contextLength: 64, ...config });
  const trainer = new GptTrainer(model, train, validation, {
    batchSize: 32, learningRate: 3e-3, warmupSteps: 60, totalSteps: 800, weightDecay: 0.1, clipNorm: 1, evalSequences: 128, seed: 0,
  });
  const loss = trainer.evaluate();
  trainer.dispose();
  model.dispose();
  return loss;
}

describe("GPT initial held-out loss", () => {
  it("train-gpt's default model (d 128, 4 heads, 2 layers) starts within 10% of ln V, for three seeds", () => {
    expect(vocab).toBe(62);
    for (const seed of [0, 1, 2]) {
      const loss = initialLoss({ dModel: 128, heads: 4, layers: 2, seed });
      expect(Math.abs(loss - Math.log(vocab)) / Math.log(vocab), `seed ${seed}: ${loss} nats vs ln ${vocab} = ${Math.log(vocab)}`).toBeLessThan(0.1);
    }
  });

  it("so does a wider, deeper one (d 256, 8 heads, 4 layers)", () => {
    const loss = initialLoss({ dModel: 256, heads: 8, layers: 4 });
    expect(Math.abs(loss - Math.log(vocab)) / Math.log(vocab), `${loss} nats`).toBeLessThan(0.1);
  });

  it("tied to the √d-scaled W_E it would start far above ln V (the reason for the default)", () => {
    const loss = initialLoss({ dModel: 128, heads: 4, layers: 2, tieEmbeddings: true });
    expect(loss, `${loss} nats`).toBeGreaterThan(2 * Math.log(vocab));
  });
});
