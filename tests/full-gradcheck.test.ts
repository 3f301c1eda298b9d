// Every coordinate of tiny models against float32 central differences, at the per-coordinate bound derived
// in tests/helpers/full-grad-check.ts (the sampled checks in nn.test.ts and transformer.test.ts cover the
// larger models). A backward that forgets a term on one coordinate cannot hide among unsampled ones.

import { beforeAll, describe, expect, it } from "vitest";
import { Dense, LayerNorm, Random, Sequential, Tanh, createLoss, init, tensor, tidy, type Layer, type Tensor } from "../src/index.js";
import { MultiHeadAttention } from "../src/transformer/attention.js";
import { Block } from "../src/transformer/block.js";
import { GPT } from "../src/transformer/gpt.js";
import { FeedForward } from "../src/transformer/mlp.js";
import { randomFloats } from "./helpers/compare.js";
import { fullGradCheck, fullLayerCheck, type FullCheckResult } from "./helpers/full-grad-check.js";

beforeAll(async () => {
  await init();
});

function expectPasses(r: FullCheckResult, what: string, minimum: number): void {
  expect(r.checked, `${what}: coordinates checked`).toBeGreaterThanOrEqual(minimum);
  if (process.env.GRADCHECK_REPORT) console.log(`${what}: ${r.checked} coordinates, worst |a − n|/bound ${r.worstRatio.toFixed(3)}`);
  const f = r.failures[0];
  expect(r.failures.length, f ? `${what}: ${f.name}[${f.index}] analytic ${f.analytic}, numeric ${f.numeric}, bound ${f.bound.toExponential(2)} (${r.failures.length} failures)` : what).toBe(0);
}

/** Sequence-aware layers take the batch size in forward. */
const batched = (layer: MultiHeadAttention | Block, batch: number): Layer => ({
  kind: layer.kind, forward: (x: Tensor) => layer.forward(x, batch), backward: (dy, need) => layer.backward(dy, need), parameters: () => layer.parameters(), dispose: () => layer.dispose(),
});

function check(layer: Layer, lossName: "mse" | "cross-entropy", rows: number, inCols: number, outCols: number, what: string): void {
  const loss = createLoss(lossName);
  tidy(() => {
    const x = tensor(randomFloats(rows * inCols, 7).map((v) => v * 1.5), [rows, inCols]);
    const yData = lossName === "mse" ? randomFloats(rows * outCols, 8) : Float32Array.from({ length: rows * outCols }, (_, i) => (i % outCols === (Math.floor(i / outCols) * 2) % outCols ? 1 : 0));
    const y = tensor(yData, [rows, outCols]);
    expectPasses(fullLayerCheck(layer, loss, x, y), what, rows * inCols);
  });
  loss.dispose();
}

describe("every coordinate of tiny models vs float32 central differences (bound derived per coordinate)", () => {
  it("Dense(3→4, tanh) → Dense(4→3, sigmoid) with MSE", () => {
    const model = new Sequential([new Dense(3, 4, { activation: "tanh", seed: 1, name: "a" }), new Dense(4, 3, { activation: "sigmoid", seed: 2, name: "b" })]);
    check(model, "mse", 5, 3, 3, "dense mse");
    model.dispose();
  });

  it("Dense(3→5) → Tanh → Dense(5→4) with softmax cross-entropy", () => {
    const model = new Sequential([new Dense(3, 5, { seed: 3, name: "a" }), new Tanh(), new Dense(5, 4, { seed: 4, name: "b" })]);
    check(model, "cross-entropy", 5, 3, 4, "dense xent");
    model.dispose();
  });

  it("LayerNorm(5) with non-trivial γ, β", () => {
    const ln = new LayerNorm(5);
    ln.gamma.view().set(randomFloats(5, 3).map((v) => 1 + 0.5 * v));
    ln.beta.view().set(randomFloats(5, 4));
    check(ln, "mse", 3, 5, 5, "layernorm");
    ln.dispose();
  });

  it("FeedForward(4) (Linear → GELU → Linear)", () => {
    const ff = new FeedForward(4, { seed: 2 });
    check(ff, "mse", 3, 4, 4, "mlp");
    ff.dispose();
  });

  it("MultiHeadAttention(d=4, h=2), causal, two sequences of 3", () => {
    const mha = new MultiHeadAttention(4, 2, { causal: true, seed: 2 });
    mha.projection.weights = randomFloats(4 * 12, 12).map((v) => v * 0.8); // larger than init: attention not uniform
    check(batched(mha, 2), "mse", 6, 4, 4, "attention");
    mha.dispose();
  });

  it("a Block (d=4, h=2): LayerNorms, attention, residuals, MLP", () => {
    const block = new Block(4, 2, { rng: new Random(3), name: "b" });
    block.attn.projection.weights = randomFloats(4 * 12, 13).map((v) => v * 0.8);
    check(batched(block, 2), "mse", 6, 4, 4, "block");
    block.dispose();
  });

  it("a whole GPT (vocab 5, d 4, 1 layer, learned positions, separate W_U) with cross-entropy", () => {
    const model = new GPT({ vocabSize: 5, contextLength: 4, dModel: 4, heads: 2, layers: 1, seed: 5, positional: "learned", tieEmbeddings: false });
    // As in transformer.test.ts: GPT-2's 0.02 init makes LayerNorm inputs tiny and the loss very curved; ×10.
    for (const p of model.parameters()) if (p.value.rank === 2) p.value.view().forEach((v, i, a) => (a[i] = v * 10));
    const rng = new Random(1);
    const ids = Int32Array.from({ length: 2 * 4 }, () => rng.int(5));
    const targets = Int32Array.from({ length: 2 * 4 }, () => rng.int(5));
    const params = model.parameters();
    const r = fullGradCheck(() => model.loss(ids, targets, 2), () => (model.backward(), undefined), params.map((p) => ({ name: p.name, value: p.value, grad: p.grad })));
    expectPasses(r, "gpt", params.reduce((s, p) => s + p.value.size, 0));
    model.dispose();
  });
});
