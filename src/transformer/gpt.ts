// GPT: a decoder-only transformer built from the tutorial's parts.
//
//   ids [B·T] ──W_E──▶ token vectors + positions ──▶ N × Block ──▶ LayerNorm ──W_U──▶ logits [B·T, vocab]
//
// W_E [vocab, d] is the embedding matrix (one row per token; the tutorial draws it as one column
// per word); positions are sinusoidal (fixed, as in the tutorial) or learned [context, d]; W_U maps
// each final vector to one score per vocabulary token — its own [d, vocab] matrix by default, as in the
// tutorial, or tied to W_E (logits = h·W_Eᵀ) with tieEmbeddings. Untied, W_U starts at GPT-2's 0.02, so the
// first logits are small and the initial loss is ≈ ln V; tied, the final vector still carries its own token's
// W_E row at scale √d and scores it ≈ 0.8·√d above the rest (9.7 nats instead of ln 62 = 4.1 for d = 128;
// docs/TRANSFORMER.md has both training curves).
//
// Scale: sinusoidal positions have entries of size ~1. Token vectors drawn at GPT-2's 0.02 would be
// drowned by them (the model then sees where a token is but hardly which one, and learns little
// beyond letter frequencies), so with sinusoidal positions W_E starts at N(0, 1/d) and looked-up
// rows are multiplied by √d, as in "Attention Is All You Need". Learned positions follow GPT-2
// (both tables at ~0.02, no scaling).
// Training predicts every position at once: the causal mask lets position t see only tokens ≤ t, so
// one sequence of T tokens is T training examples (the tutorial's "every subsequence").

import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { tensor } from "../runtime/creation.js";
import { ArgumentError, ShapeError } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { disposeOnThrow, requireRoomFor } from "../runtime/dispose-on-throw.js";
import { softmaxCrossEntropyIndex } from "../ops/loss.js";
import { addPositions, sinusoidalPositions, sumPositions } from "../ops/positional.js";
import { BufferCache } from "../nn/buffers.js";
import { initWeights } from "../nn/init.js";
import { LayerNorm } from "../nn/layer-norm.js";
import type { Parameter } from "../nn/module.js";
import { Block } from "./block.js";
import { Embedding, Unembedding } from "./embedding.js";
import type { KvCache } from "./attention.js";
import { DecodeStep } from "./decode-step.js";

export interface GptConfig {
  vocabSize: number;
  /** Longest sequence the model sees (T). */
  contextLength: number;
  dModel: number;
  heads: number;
  layers: number;
  /** "sinusoidal" (fixed, the tutorial's) or "learned" (a trained [context, d] table). Default sinusoidal. */
  positional?: "sinusoidal" | "learned";
  /** Use W_E for the unembedding too (logits = h·W_Eᵀ). Default false (see the top comment). */
  tieEmbeddings?: boolean;
  seed?: number;
}

/** Largest vocabSize, contextLength, dModel, heads or layers a config may give (sizes must stay int32). */
const MAX_DIMENSION = 2 ** 31 - 1;

/**
 * Float32 values the constructor allocates: parameters and their gradients (per block: LayerNorms
 * 2·2d, W_qkv 3d² + 3d, W_o d² + d, FFN 4d² + 4d + 4d² + d), plus a fixed position table.
 */
function gptTensorValues(c: Required<GptConfig>): number {
  const d = c.dModel;
  const block = 12 * d * d + 13 * d;
  const trained = c.vocabSize * d + c.layers * block + 2 * d + (c.tieEmbeddings ? 0 : d * c.vocabSize) + (c.positional === "learned" ? c.contextLength * d : 0);
  return 2 * trained + (c.positional === "sinusoidal" ? c.contextLength * d : 0);
}

function param(name: string, value: Tensor): Parameter {
  return { name, value, grad: untracked(() => tensor(new Float32Array(value.size), value.shape)) };
}

export class GPT {
  readonly config: Readonly<Required<GptConfig>>;
  readonly blocks: Block[];
  readonly lnF: LayerNorm;
  readonly embedding: Embedding;
  readonly unembedding: Unembedding;
  private readonly backend: Backend;
  private readonly wpe: Parameter | undefined;
  private readonly fixedPositions: Tensor | undefined;
  private readonly buffers = new BufferCache();
  private saved: { batch: number; seq: number } | undefined;
  /** The decode fast path, built on the first step(). */
  private decoder: DecodeStep | undefined;

  constructor(config: GptConfig) {
    const c = { positional: "sinusoidal" as const, tieEmbeddings: false, seed: 0, ...config };
    for (const key of ["vocabSize", "contextLength", "dModel", "heads", "layers"] as const) {
      if (!Number.isInteger(c[key]) || c[key] < 1 || c[key] > MAX_DIMENSION) {
        throw new ArgumentError(`GPT: ${key} must be an integer from 1 to ${MAX_DIMENSION}, got ${c[key]}`);
      }
    }
    if (c.dModel % c.heads !== 0) throw new ArgumentError(`GPT: dModel ${c.dModel} is not divisible by heads ${c.heads}`);
    if (c.positional !== "sinusoidal" && c.positional !== "learned") throw new ArgumentError(`GPT: positional must be "sinusoidal" or "learned", got "${c.positional}"`);
    this.config = Object.freeze(c);
    this.backend = getBackend();
    // Refuse a model that can never fit before building any of it (see gptTensorValues).
    requireRoomFor(`GPT (vocabSize ${c.vocabSize}, contextLength ${c.contextLength}, dModel ${c.dModel}, layers ${c.layers})`, gptTensorValues(c), this.backend.allocator.maxBytes);
    const rng = new Random(c.seed);
    const d = c.dModel;
    // All or nothing: an OutOfMemoryError in the last block frees everything built before it.
    const parts = disposeOnThrow(() => {
      // Sinusoidal positions: W_E ~ N(0, 1/d) and rows scaled by √d (see the top comment).
      const wteData = initWeights("gpt2", c.vocabSize, d, rng);
      if (c.positional === "sinusoidal") wteData.forEach((v, i, a) => (a[i] = v / 0.02 / Math.sqrt(d)));
      const embedding = new Embedding(c.vocabSize, d, wteData, c.positional === "sinusoidal" ? Math.sqrt(d) : 1);
      const wpe = c.positional === "learned"
        ? untracked(() => param("wpe", tensor(initWeights("gpt2", c.contextLength, d, rng).map((v) => v / 2), [c.contextLength, d])))
        : undefined;
      const fixedPositions = c.positional === "sinusoidal"
        ? untracked(() => tensor(sinusoidalPositions(c.contextLength, d), [c.contextLength, d]))
        : undefined;
      const blocks = Array.from({ length: c.layers }, (_, i) => new Block(d, c.heads, { init: "gpt2", rng, name: `blocks.${i}` }));
      const lnF = new LayerNorm(d, { name: "ln_f" });
      const unembedding = new Unembedding(d, c.vocabSize, c.tieEmbeddings ? { tiedTo: embedding } : { weights: initWeights("gpt2", d, c.vocabSize, rng) });
      return { embedding, wpe, fixedPositions, blocks, lnF, unembedding };
    });
    this.embedding = parts.embedding;
    this.wpe = parts.wpe;
    this.fixedPositions = parts.fixedPositions;
    this.blocks = parts.blocks;
    this.lnF = parts.lnF;
    this.unembedding = parts.unembedding;
  }

  /** W_E [vocab, d]. */
  get embeddingMatrix(): Tensor {
    return this.embedding.table.value;
  }

  /** The position table added to the embeddings, [context, d]. */
  get positionTable(): Tensor {
    return this.wpe?.value ?? this.fixedPositions!;
  }

  parameters(): Parameter[] {
    return [
      this.embedding.table,
      ...(this.wpe ? [this.wpe] : []),
      ...this.blocks.flatMap((b) => b.parameters()),
      ...this.lnF.parameters(),
      ...this.unembedding.parameters(),
    ];
  }

  /** Number of trained scalars. */
  get parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.value.size, 0);
  }

  /**
   * Logits [B·T, vocab] for B sequences of T token ids laid out row after row in `ids`
   * (a buffer owned by the model, valid until its next call).
   */
  forward(ids: Int32Array, batch = 1): Tensor {
    const seq = this.checkIds(ids, batch);
    const d = this.config.dModel;
    const rows = batch * seq;
    let x = addPositions(this.embedding.forward(ids), this.positionTable, seq, { out: this.buffers.get(this.backend, "x0", [rows, d]) });
    for (const block of this.blocks) x = block.forward(x, batch);
    this.saved = { batch, seq };
    return this.unembedding.forward(this.lnF.forward(x));
  }

  /**
   * Mean cross-entropy of predicting targets[i] from ids[0..i] within each sequence (targets are the
   * ids shifted by one), and the gradient of it with respect to the logits, ready for backward().
   */
  loss(ids: Int32Array, targets: Int32Array, batch = 1): number {
    const logits = this.forward(ids, batch);
    if (targets.length !== ids.length) throw new ShapeError(`GPT.loss: ${targets.length} targets for ${ids.length} ids`);
    return softmaxCrossEntropyIndex(logits, targets, { grad: this.buffers.get(this.backend, "dlogits", logits.shape) });
  }

  /** Gradients of every parameter for the last loss() call (overwritten, not accumulated). */
  backward(): void {
    const s = this.saved;
    if (!s) throw new ShapeError("GPT.backward: call loss() first");
    const rows = s.batch * s.seq;
    const d = this.config.dModel;
    const dlogits = this.buffers.get(this.backend, "dlogits", [rows, this.config.vocabSize]);
    let dx = this.lnF.backward(this.unembedding.backward(dlogits))!;
    for (let i = this.blocks.length - 1; i >= 0; i--) dx = this.blocks[i]!.backward(dx)!;
    if (this.wpe) {
      // Only the first `seq` positions were used; the rest of the table gets no gradient.
      this.wpe.grad.view().fill(0);
      sumPositions(dx, s.seq, { out: this.wpe.grad.slice(0, [s.seq, d]) });
    }
    // Tied: the unembedding already wrote its part of W_E's gradient; the lookup's part adds to it.
    this.embedding.backward(dx, { accumulate: this.config.tieEmbeddings });
  }

  /** Per-layer KV caches for generating one sequence of up to `capacity` tokens (caller disposes). */
  createCaches(capacity = this.config.contextLength): KvCache[] {
    if (capacity > this.config.contextLength) throw new ArgumentError(`GPT: a cache of ${capacity} exceeds the context length ${this.config.contextLength}`);
    // All or nothing: an OutOfMemoryError at layer i frees the caches of layers 0..i−1.
    return disposeOnThrow(() => this.blocks.map((b) => b.attn.createCache(capacity)));
  }

  /** Run the prompt (one sequence) through the model, fill the caches, return the last position's logits. */
  prefill(ids: Int32Array, caches: KvCache[]): Float32Array {
    const logits = this.forward(ids, 1);
    this.blocks.forEach((b, i) => b.attn.fillCache(caches[i]!));
    const v = this.config.vocabSize;
    return logits.view().slice((ids.length - 1) * v, ids.length * v);
  }

  /**
   * Logits for the token `id` at `position`, using and extending the caches: O(position·d) per layer. Runs the
   * decode fast path (decode-step.ts: the layers' kernel calls with the checks done once), whose logits are those
   * of the layer path, `stepThroughLayers`, bit for bit.
   */
  step(id: number, position: number, caches: KvCache[]): Float32Array {
    if (position >= this.config.contextLength) throw new ArgumentError(`GPT.step: position ${position} is past the context length ${this.config.contextLength}`);
    this.decoder ??= new DecodeStep(this, this.backend);
    return this.decoder.run(id, position, caches);
  }

  /** What step() computes, through the layers (Block.forwardCached): the reference the fast path is tested against. */
  stepThroughLayers(id: number, position: number, caches: KvCache[]): Float32Array {
    if (position >= this.config.contextLength) throw new ArgumentError(`GPT.step: position ${position} is past the context length ${this.config.contextLength}`);
    const one = Int32Array.of(id);
    this.checkIds(one, 1);
    const d = this.config.dModel;
    let x = addPositions(this.embedding.forward(one), this.positionTable, 1, { start: position, out: this.buffers.get(this.backend, "x1", [1, d]) });
    this.blocks.forEach((b, i) => (x = b.forwardCached(x, caches[i]!, position)));
    return this.unembedding.forward(this.lnF.forward(x)).view().slice();
  }

  dispose(): void {
    this.embedding.dispose();
    this.unembedding.dispose();
    if (this.wpe) {
      this.wpe.value.dispose();
      this.wpe.grad.dispose();
    }
    this.fixedPositions?.dispose();
    for (const b of this.blocks) b.dispose();
    this.lnF.dispose();
    this.buffers.dispose();
    this.decoder?.dispose();
    this.decoder = undefined;
  }

  private checkIds(ids: Int32Array, batch: number): number {
    if (!(ids instanceof Int32Array)) throw new ArgumentError("GPT: token ids must be an Int32Array");
    if (!Number.isInteger(batch) || batch < 1 || ids.length % batch !== 0 || ids.length === 0) {
      throw new ShapeError(`GPT: ${ids.length} ids are not ${batch} equal non-empty sequences`);
    }
    const seq = ids.length / batch;
    if (seq > this.config.contextLength) {
      throw new ArgumentError(`GPT: sequences of ${seq} tokens exceed the context length ${this.config.contextLength}`);
    }
    const v = this.config.vocabSize;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      if (!(id >= 0 && id < v)) throw new ArgumentError(`GPT: token id ${id} at position ${i} is outside the vocabulary [0, ${v})`);
    }
    return seq;
  }
}
