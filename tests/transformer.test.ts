import { beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, FormatError, LayerNorm, ShapeError, createLoss, gradCheck, init, memory, tensor, tidy, type Layer, type Tensor,
} from "../src/index.js";
import { MultiHeadAttention, SelfAttention } from "../src/transformer/attention.js";
import { Block } from "../src/transformer/block.js";
import { GPT } from "../src/transformer/gpt.js";
import { Embedding, Unembedding } from "../src/transformer/embedding.js";
import { FeedForward } from "../src/transformer/mlp.js";
import { generate } from "../src/transformer/generate.js";
import { Tokenizer } from "../src/transformer/tokenizer.js";
import { loadCheckpoint, saveCheckpoint } from "../src/transformer/checkpoint.js";
import { Random } from "../src/runtime/random.js";
import { expectClose, randomFloats } from "./helpers/compare.js";

beforeAll(async () => {
  await init();
});

// ---- the tutorial's equations in float64, as the oracle ----

function matmul64(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) for (let p = 0; p < k; p++) for (let j = 0; j < n; j++) out[i * n + j] += a[i * k + p]! * b[p * n + j]!;
  return out;
}

/** One head: softmax(mask(Q·Kᵀ/√dh))·V with Q = X·Wq, K = X·Wk, V = X·Wv. */
function headRef(x: Float32Array, t: number, d: number, wq: Float32Array, wk: Float32Array, wv: Float32Array, dh: number, causal: boolean): Float64Array {
  const q = matmul64(x, wq, t, d, dh), k = matmul64(x, wk, t, d, dh), v = matmul64(x, wv, t, d, dh);
  const out = new Float64Array(t * dh);
  for (let i = 0; i < t; i++) {
    const scores = new Float64Array(t);
    let max = -Infinity;
    for (let j = 0; j < t; j++) {
      let s = 0;
      for (let c = 0; c < dh; c++) s += q[i * dh + c]! * k[j * dh + c]!;
      scores[j] = causal && j > i ? -Infinity : s / Math.sqrt(dh); // masking: the future is −∞
      max = Math.max(max, scores[j]!);
    }
    let sum = 0;
    for (let j = 0; j < t; j++) sum += (scores[j] = Math.exp(scores[j]! - max));
    for (let j = 0; j < t; j++) for (let c = 0; c < dh; c++) out[i * dh + c] += (scores[j]! / sum) * v[j * dh + c]!;
  }
  return out;
}

describe("SelfAttention and MultiHeadAttention follow the tutorial's equations", () => {
  for (const [t, d] of [[1, 5], [3, 5], [17, 17], [33, 8]] as const) {
    for (const causal of [true, false]) {
      it(`SelfAttention T=${t} d=${d} causal=${causal}`, () => {
        const att = new SelfAttention(d, { causal, seed: t + d });
        const w = { wq: randomFloats(d * d, 1), wk: randomFloats(d * d, 2), wv: randomFloats(d * d, 3) };
        att.setHead(0, w);
        const x = randomFloats(t * d, 4);
        tidy(() => {
          const out = att.forward(tensor(x, [t, d])).toFloat32Array();
          expectClose(out, headRef(x, t, d, w.wq, w.wk, w.wv, d, causal), 1e-5, 1e-5, "self-attention");
        });
        expect(att.head(0).wk).toEqual(w.wk);
        att.dispose();
      });
    }
  }

  for (const [t, d, h] of [[5, 6, 3], [17, 12, 4], [9, 5, 1]] as const) {
    it(`MultiHeadAttention T=${t} d=${d} h=${h}: heads concatenated, then W_o`, () => {
      const mha = new MultiHeadAttention(d, h, { seed: 9 });
      const dh = d / h;
      const heads = Array.from({ length: h }, (_, i) => ({ wq: randomFloats(d * dh, 10 + i), wk: randomFloats(d * dh, 20 + i), wv: randomFloats(d * dh, 30 + i) }));
      heads.forEach((w, i) => mha.setHead(i, w));
      const wo = randomFloats(d * d, 40);
      mha.outputProjection!.weights = wo;
      const x = randomFloats(t * d, 5);
      tidy(() => {
        const out = mha.forward(tensor(x, [t, d])).toFloat32Array();
        const concat = new Float64Array(t * d);
        heads.forEach((w, i) => {
          const y = headRef(x, t, d, w.wq, w.wk, w.wv, dh, true);
          for (let r = 0; r < t; r++) for (let c = 0; c < dh; c++) concat[r * d + i * dh + c] = y[r * dh + c]!;
        });
        expectClose(out, matmul64(concat, wo, t, d, d), 1e-5, 1e-5, "multi-head");
      });
      mha.dispose();
    });
  }
});

/** Wrap a layer whose forward takes a batch count, for gradCheck. */
function batched(layer: MultiHeadAttention | Block, batch: number): Layer {
  return { kind: layer.kind, forward: (x: Tensor) => layer.forward(x, batch), backward: (dy, need) => layer.backward(dy, need), parameters: () => layer.parameters(), dispose: () => layer.dispose() };
}

describe("gradient checks (central differences)", () => {
  const check = (layer: Layer, rows: number, inCols: number, outCols: number, what: string, tol = 2e-2) => {
    const loss = createLoss("mse");
    tidy(() => {
      const x = tensor(randomFloats(rows * inCols, 7), [rows, inCols]);
      const y = tensor(randomFloats(rows * outCols, 8), [rows, outCols]);
      const r = gradCheck({ layer, loss }, x, y, { checkInput: true, samplesPerParameter: 12 });
      for (const e of r.entries) expect(e.maxRelativeError, `${what} ${e.name}: ${JSON.stringify(e.worst)}`).toBeLessThan(tol);
    });
    loss.dispose();
  };

  it("LayerNorm", () => {
    const ln = new LayerNorm(17);
    ln.gamma.view().set(randomFloats(17, 3));
    ln.beta.view().set(randomFloats(17, 4));
    check(ln, 5, 17, 17, "layernorm");
    ln.dispose();
  });

  it("FeedForward (Linear → GELU → Linear)", () => {
    const ff = new FeedForward(7, { seed: 2 });
    check(ff, 3, 7, 7, "mlp");
    ff.dispose();
  });

  for (const causal of [true, false]) {
    it(`SelfAttention and MultiHeadAttention, causal=${causal}, two sequences`, () => {
      const sa = new SelfAttention(5, { causal, seed: 1 });
      sa.projection.weights = randomFloats(5 * 15, 11).map((v) => v * 0.8); // larger than init, so attention is not uniform
      check(batched(sa, 2), 2 * 4, 5, 5, "self-attention");
      sa.dispose();
      const mha = new MultiHeadAttention(6, 3, { causal, seed: 2 });
      mha.projection.weights = randomFloats(6 * 18, 12).map((v) => v * 0.8);
      check(batched(mha, 2), 2 * 5, 6, 6, "multi-head");
      mha.dispose();
    });
  }

  it("a whole Block (LayerNorm, attention, residuals, MLP)", () => {
    const block = new Block(8, 2, { rng: new Random(3), name: "b" });
    block.attn.projection.weights = randomFloats(8 * 24, 13).map((v) => v * 0.6);
    check(batched(block, 2), 2 * 3, 8, 8, "block");
    block.dispose();
  });

  for (const config of [
    { positional: "sinusoidal", tieEmbeddings: true },
    { positional: "learned", tieEmbeddings: false },
  ] as const) {
    it(`a whole GPT (${config.positional} positions, ${config.tieEmbeddings ? "tied" : "separate"} unembedding): embedding, blocks, unembedding, cross-entropy`, () => {
      const model = new GPT({ vocabSize: 11, contextLength: 8, dModel: 8, heads: 2, layers: 2, seed: 5, ...config });
      // GPT-2's init (std 0.02) leaves activations ~0.02, where the LayerNorms make the loss so curved
      // that a finite-difference step measures curvature; std 0.2 gives a well-conditioned check.
      // (With sinusoidal positions W_E already starts at N(0, 1/d).)
      for (const p of model.parameters()) if (p.value.rank === 2 && (p.name.startsWith("blocks.") || config.positional === "learned")) p.value.view().forEach((v, i, a) => (a[i] = v * 10));
      const rng = new Random(1);
      const ids = Int32Array.from({ length: 2 * 6 }, () => rng.int(11));
      const targets = Int32Array.from({ length: 2 * 6 }, () => rng.int(11));
      model.loss(ids, targets, 2);
      model.backward();
      for (const p of model.parameters()) {
        const analytic = p.grad.toFloat32Array();
        let worst = 0;
        for (let s = 0; s < 6; s++) {
          const i = rng.int(p.value.size);
          const original = p.value.view()[i]!;
          const eps = 1e-2;
          p.value.view()[i] = original + eps;
          const plus = model.loss(ids, targets, 2);
          p.value.view()[i] = original - eps;
          const minus = model.loss(ids, targets, 2);
          p.value.view()[i] = original;
          const numeric = (plus - minus) / (Math.fround(original + eps) - Math.fround(original - eps));
          worst = Math.max(worst, Math.abs(analytic[i]! - numeric) / Math.max(Math.abs(analytic[i]!), Math.abs(numeric), 1e-3));
        }
        expect(worst, p.name).toBeLessThan(3e-2);
      }
      model.dispose();
    });
  }
});

describe("Embedding (W_E) and Unembedding (W_U)", () => {
  it("look up rows of W_E (scaled), and score vectors against W_U or the tied W_E", () => {
    const [vocab, d] = [5, 3];
    const w = randomFloats(vocab * d, 1);
    const emb = new Embedding(vocab, d, w, 2);
    const out = emb.forward(Int32Array.of(4, 0, 4)).toFloat32Array();
    expect(Array.from(out)).toEqual([...w.subarray(12, 15), ...w.subarray(0, 3), ...w.subarray(12, 15)].map((v) => Math.fround(2 * v)));
    const h = randomFloats(2 * d, 2);
    tidy(() => {
      const tied = new Unembedding(d, vocab, { tiedTo: emb });
      const logits = tied.forward(tensor(h, [2, d])).toFloat32Array();
      const own = randomFloats(d * vocab, 3);
      const untied = new Unembedding(d, vocab, { weights: own });
      const logits2 = untied.forward(tensor(h, [2, d])).toFloat32Array();
      for (let r = 0; r < 2; r++) {
        for (let t = 0; t < vocab; t++) {
          let a = 0, b = 0;
          for (let c = 0; c < d; c++) { a += h[r * d + c]! * w[t * d + c]!; b += h[r * d + c]! * own[c * vocab + t]!; }
          expect(logits[r * vocab + t]).toBeCloseTo(a, 5);
          expect(logits2[r * vocab + t]).toBeCloseTo(b, 5);
        }
      }
      expect(tied.parameters()).toHaveLength(0);
      expect(untied.parameters().map((p) => p.name)).toEqual(["wu"]);
      untied.dispose();
    });
    expect(() => new Embedding(2, 2, new Float32Array(3))).toThrow(ShapeError);
    emb.dispose();
  });
});

describe("GPT", () => {
  const tiny = () => new GPT({ vocabSize: 13, contextLength: 32, dModel: 16, heads: 4, layers: 2, seed: 7 });

  it("is causal: changing token t+1 leaves every output at positions ≤ t unchanged, bit for bit", () => {
    const model = tiny();
    const ids = Int32Array.from({ length: 20 }, (_, i) => (i * 5) % 13);
    const base = model.forward(ids).toFloat32Array();
    const t = 11;
    const changed = ids.slice();
    for (let i = t + 1; i < ids.length; i++) changed[i] = (changed[i]! + 3) % 13;
    const after = model.forward(changed).toFloat32Array();
    expect(after.subarray(0, (t + 1) * 13)).toEqual(base.subarray(0, (t + 1) * 13));
    expect(after.subarray((t + 1) * 13)).not.toEqual(base.subarray((t + 1) * 13));
    model.dispose();
  });

  it("KV-cache steps give the logits of a full recompute (within 1e-4) for every step of a 64-token generation", () => {
    const model = new GPT({ vocabSize: 13, contextLength: 80, dModel: 16, heads: 4, layers: 2, seed: 8 });
    const caches = model.createCaches();
    const ids = new Int32Array(80);
    ids.set([1, 2, 3]);
    let logits = model.prefill(ids.subarray(0, 3), caches);
    let length = 3;
    for (let step = 0; step < 64; step++) {
      const full = model.forward(ids.subarray(0, length)).toFloat32Array().slice((length - 1) * 13, length * 13);
      expectClose(logits, full, 1e-4, 1e-4, `step ${step}`);
      let next = 0;
      for (let j = 1; j < 13; j++) if (logits[j]! > logits[next]!) next = j;
      ids[length++] = next;
      logits = model.step(next, length - 1, caches);
    }
    for (const c of caches) { c.k.dispose(); c.v.dispose(); }
    model.dispose();
  });

  it("training lowers the loss, allocates nothing after the first step, and the same seed repeats it exactly", async () => {
    const { GptTrainer } = await import("../src/transformer/train.js");
    const text = "the cat sat on the mat. the dog sat on the log. ".repeat(20);
    const tok = Tokenizer.characters(text);
    const tokens = tok.encode(text);
    const run = () => {
      const model = new GPT({ vocabSize: tok.vocabSize, contextLength: 16, dModel: 16, heads: 2, layers: 1, seed: 3 });
      const trainer = new GptTrainer(model, tokens, tokens, { batchSize: 4, learningRate: 1e-2, warmupSteps: 2, totalSteps: 200, weightDecay: 0.1, clipNorm: 1, evalSequences: 4, seed: 1 });
      const losses: number[] = [];
      losses.push(trainer.trainStep().loss);
      const before = memory();
      for (let i = 1; i < 200; i++) losses.push(trainer.trainStep().loss);
      expect(memory()).toEqual(before);
      const evalLoss = trainer.evaluate();
      const sample = generate(model, tok, "the ", { maxNewTokens: 20, temperature: 0.8, topK: 5, seed: 4 }).text;
      trainer.dispose();
      model.dispose();
      return { losses, evalLoss, sample };
    };
    const a = run();
    const b = run();
    const mean = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;
    expect(mean(a.losses.slice(-10))).toBeLessThan(mean(a.losses.slice(0, 10)) * 0.6);
    expect(a).toEqual(b);
  });

  it("rejects bad input with clear errors", () => {
    const model = tiny();
    const tok = Tokenizer.characters("abcdefghijklm");
    expect(() => model.forward(Int32Array.of(1, 13))).toThrow("GPT: token id 13 at position 1 is outside the vocabulary [0, 13)");
    expect(() => model.forward(new Int32Array(33))).toThrow(/exceed the context length 32/);
    expect(() => generate(model, tok, "a".repeat(40), { maxNewTokens: 1 })).toThrow("generate: the prompt has 40 tokens, more than the context length 32; shorten it");
    expect(() => generate(model, tok, "", { maxNewTokens: 1 })).toThrow(/prompt is empty/);
    expect(() => generate(model, tok, "abc", { maxNewTokens: 1, temperature: 0 })).toThrow(ArgumentError);
    expect(() => generate(model, tok, "abc", { maxNewTokens: 1, topK: 0 })).toThrow(/topK/);
    expect(() => generate(model, tok, "abz", { maxNewTokens: 1 })).toThrow(/"z"/);
    expect(() => new GPT({ vocabSize: 10, contextLength: 8, dModel: 10, heads: 3, layers: 1 })).toThrow("GPT: dModel 10 is not divisible by heads 3");
    const bytes = saveCheckpoint(model, { tokenizer: JSON.stringify(tok.toJSON()), step: 0 });
    expect(() => loadCheckpoint(bytes, { dModel: 32 })).toThrow(FormatError);
    expect(() => loadCheckpoint(bytes, { dModel: 32 })).toThrow("GPT checkpoint: it was saved with dModel = 16, but dModel = 32 was asked for");
    const loaded = loadCheckpoint(bytes);
    expect(loaded.model.forward(Int32Array.of(1, 2, 3)).toFloat32Array()).toEqual(model.forward(Int32Array.of(1, 2, 3)).toFloat32Array());
    loaded.model.dispose();
    expect(() => new MultiHeadAttention(6, 4)).toThrow(ShapeError);
    model.dispose();
  });
});
