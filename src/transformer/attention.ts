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
// One layout end to end: the forward pass reads Q, K, V of every head straight out of that projection's rows and
// writes the concatenated heads in one kernel call (qkvAttention); the backward reads them in the same place and
// writes dQ, dK, dV into the columns of one dqkv [B·T, 3·h·dh] (qkvAttentionBackward), which the projection's
// backward takes as it is. The KV cache is token-major too ([capacity, h·dh] for K and for V, the layout of the
// projection's K and V columns): a new token's key and value are one row copy each, and its query attends over
// every head's cache in one kernel call (cachedAttention). No head split or merge anywhere.
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
import { qkvAttention, qkvAttentionScores } from "../ops/attention.js";
import { qkvAttentionBackward } from "../ops/attention-backward.js";
import { cachedAttention } from "../ops/attention-cache.js";
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

/**
 * One sequence's cached keys and values for one attention layer: [capacity, h·d_head] each, token-major (row t holds
 * every head's key, or value, of position t, head i at columns [i·d_head, (i+1)·d_head)).
 */
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
   * [B·T, 3·h·dh] (the Dense layer's output buffer), the merged heads [B·T, h·dh] and the log-sum-exps [B·h, T].
   */
  private saved: { batch: number; seq: number; qkv: Tensor; merged: Tensor; lse: Tensor } | undefined;

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

  backward(dout: Tensor, needInputGrad = true): Tensor | undefined {
    const s = this.saved;
    if (!s) throw new ShapeError(`${this.name}: backward called before forward`);
    const { heads: h, headDim: dh } = this;
    const dmerged = this.wo ? this.wo.backward(dout)! : dout;
    const dqkv = qkvAttentionBackward(s.qkv, s.merged, dmerged, s.lse, h, {
      batch: s.batch, headDim: dh, causal: this.causal,
      dqkv: this.buffers.get(this.backend, "dqkv", [s.batch * s.seq, 3 * h * dh]),
    });
    return this.qkv.backward(dqkv, needInputGrad);
  }

  /** Attention weights of the last forward pass, [B·h, T, T] (softmax of the masked scaled scores). */
  attentionWeights(): Tensor {
    const s = this.saved;
    if (!s) throw new ShapeError(`${this.name}: attentionWeights needs a forward pass first`);
    const scores = qkvAttentionScores(s.qkv, this.heads, { batch: s.batch, headDim: this.headDim, causal: this.causal });
    try {
      return softmax(scores);
    } finally {
      scores.dispose();
    }
  }

  /** A KV cache for one sequence of up to `capacity` tokens; the caller owns (disposes) k and v. */
  createCache(capacity: number): KvCache {
    const shape = [capacity, this.heads * this.headDim];
    return untracked(() => {
      const k = empty(shape, this.backend, "kv-cache");
      try {
        return { k, v: empty(shape, this.backend, "kv-cache"), capacity };
      } catch (e) {
        k.dispose(); // the second allocation failed: leave nothing behind
        throw e;
      }
    });
  }

  /**
   * Store the keys and values of the last forward pass (batch 1, T tokens) as cache positions
   * [0, T): the prompt's prefill.
   */
  fillCache(cache: KvCache): void {
    const s = this.saved;
    if (!s || s.batch !== 1) throw new ShapeError(`${this.name}: fillCache needs a forward pass of one sequence first`);
    this.checkCache(cache);
    if (s.seq > cache.capacity) throw new ArgumentError(`${this.name}: ${s.seq} tokens do not fit a cache of ${cache.capacity}`);
    this.copyIntoCache(s.qkv, cache, 0, s.seq);
  }

  /**
   * One new token at `position` (0-based), x [1, d_model]: its key and value join the cache, its
   * query attends to positions [0, position] of every head in one kernel call. Cost O(position·d)
   * instead of a full recompute.
   */
  forwardCached(x: Tensor, cache: KvCache, position: number): Tensor {
    this.checkCache(cache);
    if (!Number.isInteger(position) || position < 0 || position >= cache.capacity) {
      throw new ArgumentError(`${this.name}: position ${position} is outside the cache [0, ${cache.capacity})`);
    }
    this.checkInput(x, 1);
    if (x.shape[0] !== 1) throw new ShapeError(`${this.name}: forwardCached takes one token [1,${this.dModel}], got ${formatShape(x.shape)}`);
    const { heads: h, headDim: dh } = this;
    const qkv = this.qkv.forward(x);
    // A forward pass of one token saved this same projection buffer, now overwritten: it can no longer be used.
    if (this.saved?.qkv === qkv) this.saved = undefined;
    this.copyIntoCache(qkv, cache, position, 1);
    const merged = cachedAttention(qkv, cache.k, cache.v, position + 1, h, {
      headDim: dh, out: this.buffers.get(this.backend, "cmerged", [1, h * dh]),
    });
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

  /** Rows [0, count) of a fused projection's K and V columns → cache rows [start, start + count). */
  private copyIntoCache(qkv: Tensor, cache: KvCache, start: number, count: number): void {
    const width = this.heads * this.headDim;
    const cols = 3 * width;
    const mem = this.backend.f32;
    const q0 = qkv.ptr >>> 2, k0 = cache.k.ptr >>> 2, v0 = cache.v.ptr >>> 2;
    for (let r = 0; r < count; r++) {
      const from = q0 + r * cols + width;
      mem.copyWithin(k0 + (start + r) * width, from, from + width);
      mem.copyWithin(v0 + (start + r) * width, from + width, from + 2 * width);
    }
  }

  private checkCache(cache: KvCache): void {
    const width = this.heads * this.headDim;
    for (const t of [cache.k, cache.v]) {
      void t.ptr; // DisposedTensorError for a disposed cache
      if (t.backend !== this.backend || t.rank !== 2 || t.shape[0] !== cache.capacity || t.shape[1] !== width) {
        throw new ShapeError(`${this.name}: a KV cache tensor ${formatShape(t.shape)} must be [${cache.capacity},${width}] on this layer's backend (createCache makes one)`);
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
