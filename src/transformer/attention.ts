// Self-attention as the tutorial teaches it — queries, keys and values from per-head weight matrices,
// scores QKᵀ/√d, a causal mask, softmax, a weighted sum of the values — and multi-head attention
// (h heads side by side, outputs concatenated and mixed by W_o).
//
// Layout. All heads' W_q, W_k, W_v live in one fused Dense layer W_qkv [d_model, 3·h·d_head], so a
// forward pass is one GEMM for every projection of every head:
//   columns [0, h·dh)          Q: head i at [i·dh, (i+1)·dh)
//   columns [h·dh, 2·h·dh)     K: head i at h·dh + [i·dh, (i+1)·dh)
//   columns [2·h·dh, 3·h·dh)   V: head i at 2·h·dh + [i·dh, (i+1)·dh)
// head(i) / setHead(i, …) read and write one head's three [d_model, d_head] matrices, so the
// tutorial's per-head classes map one to one. W_o [h·dh, d_model] mixes the concatenated heads.
// Biases (zero at start) follow the same column layout; the tutorial's equations have none.
// The forward pass reads Q, K, V of every head straight out of that projection's rows and writes the
// concatenated heads in one kernel call (qkvAttention); the head-major copies the backward kernels and the
// KV cache take are made from the saved projection only when those need them.
//
// Shapes: input x [B·T, d_model] (B sequences of T tokens, row-major) → output [B·T, d_model]
// (or [B·T, d_head] for SelfAttention, which has no W_o).

import { empty } from "../runtime/creation.js";
import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import { attention, attentionScores, qkvAttention } from "../ops/attention.js";
import { attentionBackward } from "../ops/attention-backward.js";
import { mergeHeads, splitHeads } from "../ops/layout.js";
import { softmax } from "../ops/softmax.js";
import { BufferCache } from "../nn/buffers.js";
import { Dense } from "../nn/dense.js";
import type { InitScheme } from "../nn/init.js";
import type { Layer, Parameter } from "../nn/module.js";

export interface AttentionLayerOptions {
  /** Mask the future (default true: a language model must not see the token it predicts). */
  causal?: boolean;
  /** Per-head width (default d_model / heads). */
  headDim?: number;
  init?: InitScheme;
  seed?: number;
  rng?: Random;
  name?: string;
}

export interface HeadWeights {
  /** [d_model, d_head] each, row-major. */
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
}

/** One sequence's cached keys and values for one attention layer: [h, capacity, d_head] each. */
export interface KvCache {
  k: Tensor;
  v: Tensor;
  capacity: number;
}

export class MultiHeadAttention implements Layer {
  readonly kind: string = "MultiHeadAttention";
  readonly headDim: number;
  readonly causal: boolean;
  readonly name: string;
  protected readonly backend: Backend;
  protected readonly qkv: Dense;
  protected readonly wo: Dense | undefined;
  private readonly buffers = new BufferCache();
  /**
   * What the last forward pass keeps for backward, attentionWeights and fillCache: the fused projection qkv
   * [B·T, 3·h·dh] (the Dense layer's output buffer), the merged heads [B·T, h·dh] and the log-sum-exps. The
   * head-major copies the backward kernels read are made from them on first use (`headMajor`).
   */
  private saved: {
    batch: number; seq: number; qkv: Tensor; merged: Tensor; lse: Tensor;
    heads?: { q: Tensor; k: Tensor; v: Tensor; y: Tensor };
  } | undefined;

  constructor(readonly dModel: number, readonly heads: number, options: AttentionLayerOptions & { outputProjection?: boolean } = {}) {
    if (!Number.isInteger(heads) || heads < 1) throw new ShapeError(`MultiHeadAttention: heads must be a positive integer, got ${heads}`);
    this.headDim = options.headDim ?? dModel / heads;
    if (!Number.isInteger(this.headDim) || this.headDim < 1) {
      throw new ShapeError(`MultiHeadAttention: d_model ${dModel} is not divisible into ${heads} heads (pass headDim)`);
    }
    this.causal = options.causal ?? true;
    this.name = options.name ?? "attn";
    this.backend = getBackend();
    const rng = options.rng ?? new Random(options.seed ?? 0);
    const init = options.init ?? "xavier";
    [this.qkv, this.wo] = disposeOnThrow(() => [
      new Dense(dModel, 3 * heads * this.headDim, { init, rng, name: `${this.name}.qkv` }),
      options.outputProjection === false ? undefined : new Dense(heads * this.headDim, dModel, { init, rng, name: `${this.name}.out` }),
    ] as const);
  }

  get outputWidth(): number {
    return this.wo ? this.dModel : this.heads * this.headDim;
  }

  /** Head i's W_q, W_k, W_v, each [d_model, d_head] (copies). */
  head(i: number): HeadWeights {
    this.checkHead(i);
    const w = this.qkv.weights.toFloat32Array();
    const cols = 3 * this.heads * this.headDim;
    const take = (block: number) => {
      const m = new Float32Array(this.dModel * this.headDim);
      const c0 = block * this.heads * this.headDim + i * this.headDim;
      for (let r = 0; r < this.dModel; r++) m.set(w.subarray(r * cols + c0, r * cols + c0 + this.headDim), r * this.headDim);
      return m;
    };
    return { wq: take(0), wk: take(1), wv: take(2) };
  }

  /** Set head i's W_q, W_k, W_v from [d_model, d_head] row-major arrays. */
  setHead(i: number, weights: HeadWeights): void {
    this.checkHead(i);
    const cols = 3 * this.heads * this.headDim;
    const w = this.qkv.weights.toFloat32Array();
    (["wq", "wk", "wv"] as const).forEach((key, block) => {
      const m = weights[key];
      if (m.length !== this.dModel * this.headDim) {
        throw new ShapeError(`${this.name}.setHead(${i}): ${key} has ${m.length} values, [${this.dModel},${this.headDim}] needs ${this.dModel * this.headDim}`);
      }
      const c0 = block * this.heads * this.headDim + i * this.headDim;
      for (let r = 0; r < this.dModel; r++) w.set(m.subarray(r * this.headDim, (r + 1) * this.headDim), r * cols + c0);
    });
    this.qkv.weights = w;
  }

  /** W_o [h·d_head, d_model] — mixes the concatenated heads (MultiHeadAttention only). */
  get outputProjection(): Dense | undefined {
    return this.wo;
  }

  /** The fused projection W_qkv (see the layout comment at the top of this file). */
  get projection(): Dense {
    return this.qkv;
  }

  forward(x: Tensor, batch = 1): Tensor {
    const rows = this.checkInput(x, batch);
    const seq = rows / batch;
    const { heads: h, headDim: dh } = this;
    const qkv = this.qkv.forward(x);
    const b = this.buffers;
    // One kernel call for every head: Q, K, V are read straight out of the fused projection's rows and each
    // head's output lands in its columns of the merged rows (no split/merge copies, no per-head calls).
    const lse = b.get(this.backend, "lse", [batch * h, seq]);
    const merged = qkvAttention(qkv, h, {
      batch, headDim: dh, causal: this.causal, lse, out: b.get(this.backend, "merged", [rows, h * dh]),
    });
    this.saved = { batch, seq, qkv, merged, lse };
    return this.wo ? this.wo.forward(merged) : merged;
  }

  /** Head-major [B·h, T, dh] copies of the last forward's Q, K, V and output, made once per forward pass. */
  private headMajor(): { q: Tensor; k: Tensor; v: Tensor; y: Tensor } {
    const s = this.saved!;
    if (!s.heads) {
      const { heads: h, headDim: dh } = this;
      const b = this.buffers;
      const headShape = [s.batch * h, s.seq, dh];
      s.heads = {
        q: splitHeads(s.qkv, s.batch, h, dh, { columnOffset: 0, out: b.get(this.backend, "q", headShape) }),
        k: splitHeads(s.qkv, s.batch, h, dh, { columnOffset: h * dh, out: b.get(this.backend, "k", headShape) }),
        v: splitHeads(s.qkv, s.batch, h, dh, { columnOffset: 2 * h * dh, out: b.get(this.backend, "v", headShape) }),
        y: splitHeads(s.merged, s.batch, h, dh, { out: b.get(this.backend, "y", headShape) }),
      };
    }
    return s.heads;
  }

  backward(dout: Tensor, needInputGrad = true): Tensor | undefined {
    const s = this.saved;
    if (!s) throw new ShapeError(`${this.name}: backward called before forward`);
    const { heads: h, headDim: dh } = this;
    const rows = s.batch * s.seq;
    const b = this.buffers;
    const dmerged = this.wo ? this.wo.backward(dout)! : dout;
    const headShape = [s.batch * h, s.seq, dh];
    const dy = splitHeads(dmerged, s.batch, h, dh, { out: b.get(this.backend, "dy", headShape) });
    const { q, k, v, y } = this.headMajor();
    const { dq, dk, dv } = attentionBackward(q, k, v, y, dy, s.lse, {
      causal: this.causal,
      dq: b.get(this.backend, "dq", headShape),
      dk: b.get(this.backend, "dk", headShape),
      dv: b.get(this.backend, "dv", headShape),
    });
    const dqkv = b.get(this.backend, "dqkv", [rows, 3 * h * dh]);
    mergeHeads(dq, s.batch, { out: dqkv, columnOffset: 0 });
    mergeHeads(dk, s.batch, { out: dqkv, columnOffset: h * dh });
    mergeHeads(dv, s.batch, { out: dqkv, columnOffset: 2 * h * dh });
    return this.qkv.backward(dqkv, needInputGrad);
  }

  /** Attention weights of the last forward pass, [B·h, T, T] (softmax of the masked scaled scores). */
  attentionWeights(): Tensor {
    const s = this.saved;
    if (!s) throw new ShapeError(`${this.name}: attentionWeights needs a forward pass first`);
    const { q, k } = this.headMajor();
    return softmax(attentionScores(q, k, { causal: this.causal }));
  }

  /** A KV cache for one sequence of up to `capacity` tokens; the caller owns (disposes) k and v. */
  createCache(capacity: number): KvCache {
    const shape = [this.heads, capacity, this.headDim];
    return untracked(() => ({ k: empty(shape, this.backend, "kv-cache"), v: empty(shape, this.backend, "kv-cache"), capacity }));
  }

  /**
   * Store the keys and values of the last forward pass (batch 1, T tokens) as cache positions
   * [0, T): the prompt's prefill.
   */
  fillCache(cache: KvCache): void {
    const s = this.saved;
    if (!s || s.batch !== 1) throw new ShapeError(`${this.name}: fillCache needs a forward pass of one sequence first`);
    if (s.seq > cache.capacity) throw new ArgumentError(`${this.name}: ${s.seq} tokens do not fit a cache of ${cache.capacity}`);
    const { k, v } = this.headMajor();
    this.copyIntoCache(k, v, cache, 0, s.seq);
  }

  /**
   * One new token at `position` (0-based), x [1, d_model]: its key and value join the cache, its
   * query attends to positions [0, position]. Cost O(position·d) instead of a full recompute.
   */
  forwardCached(x: Tensor, cache: KvCache, position: number): Tensor {
    if (position < 0 || position >= cache.capacity) throw new ArgumentError(`${this.name}: position ${position} is outside the cache [0, ${cache.capacity})`);
    this.checkInput(x, 1);
    if (x.shape[0] !== 1) throw new ShapeError(`${this.name}: forwardCached takes one token [1,${this.dModel}], got ${formatShape(x.shape)}`);
    const { heads: h, headDim: dh } = this;
    const b = this.buffers;
    // A forward pass of one token used the projection buffer this one overwrites: keep its heads first.
    if (this.saved && this.saved.batch * this.saved.seq === 1) this.headMajor();
    const qkv = this.qkv.forward(x);
    const one = [h, 1, dh];
    const q = splitHeads(qkv, 1, h, dh, { columnOffset: 0, out: b.get(this.backend, "cq", one) });
    const k = splitHeads(qkv, 1, h, dh, { columnOffset: h * dh, out: b.get(this.backend, "ck", one) });
    const v = splitHeads(qkv, 1, h, dh, { columnOffset: 2 * h * dh, out: b.get(this.backend, "cv", one) });
    this.copyIntoCache(k, v, cache, position, 1);
    const y = b.get(this.backend, "cy", one);
    const seen = position + 1;
    for (let i = 0; i < h; i++) {
      // Each head's cached rows [0, seen) are contiguous inside its [capacity, dh] block.
      const kv = (t: Tensor) => t.slice(i * cache.capacity * dh, [seen, dh]);
      attention(q.slice(i * dh, [1, dh]), kv(cache.k), kv(cache.v), { causal: false, out: y.slice(i * dh, [1, dh]) });
    }
    const merged = mergeHeads(y, 1, { out: b.get(this.backend, "cmerged", [1, h * dh]) });
    return this.wo ? this.wo.forward(merged) : merged;
  }

  parameters(): Parameter[] {
    return [...this.qkv.parameters(), ...(this.wo ? this.wo.parameters() : [])];
  }

  dispose(): void {
    this.qkv.dispose();
    this.wo?.dispose();
    this.buffers.dispose();
    this.saved = undefined;
  }

  private copyIntoCache(k: Tensor, v: Tensor, cache: KvCache, start: number, count: number): void {
    // k, v: [h, count, dh] → rows [start, start + count) of each head's block in the cache.
    const { heads: h, headDim: dh } = this;
    const mem = this.backend.f32;
    for (const [src, dst] of [[k, cache.k], [v, cache.v]] as const) {
      for (let i = 0; i < h; i++) {
        const from = (src.ptr >>> 2) + i * count * dh;
        mem.copyWithin((dst.ptr >>> 2) + (i * cache.capacity + start) * dh, from, from + count * dh);
      }
    }
  }

  private checkHead(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.heads) throw new ShapeError(`${this.name}: head ${i} out of range [0, ${this.heads})`);
  }

  private checkInput(x: Tensor, batch: number): number {
    if (x.rank !== 2 || x.shape[1] !== this.dModel) {
      throw new ShapeError(`${this.name}: input ${formatShape(x.shape)} must be [B·T,${this.dModel}]`);
    }
    const rows = x.shape[0]!;
    if (!Number.isInteger(batch) || batch < 1 || rows % batch !== 0) {
      throw new ShapeError(`${this.name}: ${rows} rows are not ${batch} equal sequences`);
    }
    return rows;
  }
}

/**
 * The tutorial's single attention head: W_q, W_k, W_v [d_model, d_head] (d_head defaults to
 * d_model, as in the tutorial), output softmax(QKᵀ/√d_head)·V of width d_head, no W_o.
 */
export class SelfAttention extends MultiHeadAttention {
  override readonly kind = "SelfAttention";

  constructor(dModel: number, options: AttentionLayerOptions = {}) {
    super(dModel, 1, { ...options, headDim: options.headDim ?? dModel, outputProjection: false, name: options.name ?? "self_attn" });
  }
}
