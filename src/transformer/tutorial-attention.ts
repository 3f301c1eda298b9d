// The tutorial's multi-head attention, in its own form: the embedding of width d is cut into h slices of
// d_head = d/h features, and head i attends over its own slice only, with its own [d_head, d_head] W_q, W_k,
// W_v ("each head operates on a different part of the embedding (head_dim)"). The heads' outputs are
// concatenated back to width d and mixed by one [d, d] weight matrix W_o. No biases, as in the tutorial.
//
//   X_i = x[:, i·dh : (i+1)·dh]            Q_i = X_i·W_q,i   K_i = X_i·W_k,i   V_i = X_i·W_v,i
//   O_i = softmax(Q_i·K_iᵀ/√dh, causal) · V_i          y = [O_0 … O_{h−1}] · W_o
//
// MultiHeadAttention (attention.ts) is the other common form: every head projects the WHOLE embedding
// ([d, d_head] per head, fused into one [d, 3·h·dh] GEMM). This form has h times fewer projection weights.
//
// Layout: slicing the columns of x [B·T, d] per head is splitHeads with one "sequence" of B·T rows, which
// gives [h, B·T, dh]; then each projection is one batched matmul with W [h, dh, dh]. The same memory read as
// [h·B, T, dh] is every (head, sequence) pair as its own [T, dh] block, which is what the attention kernels
// take; mergeHeads puts the outputs back into token rows.

import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { tensorOn } from "../runtime/creation.js";
import { ShapeError, formatShape } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { attention } from "../ops/attention.js";
import { attentionBackward } from "../ops/attention-backward.js";
import { add } from "../ops/elementwise.js";
import { mergeHeads, splitHeads } from "../ops/layout.js";
import { matmul } from "../ops/matmul.js";
import { BufferCache } from "../nn/buffers.js";
import { initWeights } from "../nn/init.js";
import type { Layer, Parameter } from "../nn/module.js";

export interface TutorialAttentionOptions {
  /** Mask the future (default true, as MultiHeadAttention: a language model must not see what it predicts). */
  causal?: boolean;
  seed?: number;
  rng?: Random;
  name?: string;
}

/** One head's matrices, each [d_head, d_head] row-major. */
export interface SliceHeadWeights {
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
}

const PROJECTIONS = ["wq", "wk", "wv"] as const;

export class TutorialMultiHeadAttention implements Layer {
  readonly kind = "TutorialMultiHeadAttention";
  readonly headDim: number;
  readonly causal: boolean;
  readonly name: string;
  private readonly backend: Backend;
  /** W_q, W_k, W_v as [h, dh, dh] (head i's matrix at block i), then W_o [d, d]. */
  private readonly params: Record<"wq" | "wk" | "wv" | "wo", Parameter>;
  private readonly buffers = new BufferCache();
  private saved: { batch: number; seq: number; xs: Tensor; q: Tensor; k: Tensor; v: Tensor; o: Tensor; lse: Tensor; concat: Tensor } | undefined;

  constructor(readonly dModel: number, readonly heads: number, options: TutorialAttentionOptions = {}) {
    for (const [what, v] of [["d_model", dModel], ["heads", heads]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`TutorialMultiHeadAttention: ${what} must be a positive integer, got ${v}`);
    }
    if (dModel % heads !== 0) throw new ShapeError(`TutorialMultiHeadAttention: d_model ${dModel} cannot be cut into ${heads} equal head slices`);
    this.headDim = dModel / heads;
    this.causal = options.causal ?? true;
    this.name = options.name ?? "attn";
    this.backend = getBackend();
    const rng = options.rng ?? new Random(options.seed ?? 0);
    const dh = this.headDim;
    const data = {
      wq: new Float32Array(heads * dh * dh),
      wk: new Float32Array(heads * dh * dh),
      wv: new Float32Array(heads * dh * dh),
      wo: initWeights("xavier", dModel, dModel, rng),
    };
    for (let i = 0; i < heads; i++) for (const key of PROJECTIONS) data[key].set(initWeights("xavier", dh, dh, rng), i * dh * dh);
    const make = (key: keyof typeof data, shape: number[]): Parameter => ({
      name: `${this.name}.${key}`,
      value: tensorOn(this.backend, data[key], shape),
      grad: tensorOn(this.backend, new Float32Array(data[key].length), shape),
    });
    const made: Parameter[] = [];
    try {
      // Built one by one so that a failure (out of memory) frees the ones already made.
      this.params = untracked(() => {
        const p = {} as Record<"wq" | "wk" | "wv" | "wo", Parameter>;
        for (const key of PROJECTIONS) made.push((p[key] = make(key, [heads, dh, dh])));
        made.push((p.wo = make("wo", [dModel, dModel])));
        return p;
      });
    } catch (error) {
      for (const p of made) for (const t of [p.value, p.grad]) t.dispose();
      throw error;
    }
  }

  /** Head i's W_q, W_k, W_v, each [d_head, d_head] (copies). */
  head(i: number): SliceHeadWeights {
    this.checkHead(i);
    const n = this.headDim * this.headDim;
    const take = (key: "wq" | "wk" | "wv") => this.params[key].value.view().slice(i * n, (i + 1) * n);
    return { wq: take("wq"), wk: take("wk"), wv: take("wv") };
  }

  /** Set head i's W_q, W_k, W_v from [d_head, d_head] row-major arrays. */
  setHead(i: number, weights: SliceHeadWeights): void {
    this.checkHead(i);
    const n = this.headDim * this.headDim;
    for (const key of PROJECTIONS) {
      if (weights[key].length !== n) {
        throw new ShapeError(`${this.name}.setHead(${i}): ${key} has ${weights[key].length} values, [${this.headDim},${this.headDim}] needs ${n}`);
      }
    }
    for (const key of PROJECTIONS) this.params[key].value.view().set(weights[key], i * n);
  }

  /** W_o [d, d]: mixes the concatenated heads. */
  get outputWeights(): Tensor {
    return this.params.wo.value;
  }

  set outputWeights(value: Float32Array) {
    if (value.length !== this.dModel * this.dModel) {
      throw new ShapeError(`${this.name}.outputWeights: ${value.length} values given, [${this.dModel},${this.dModel}] needs ${this.dModel * this.dModel}`);
    }
    this.params.wo.value.view().set(value);
  }

  /** x [B·T, d] (B sequences of T tokens) → [B·T, d], a buffer owned by the layer (valid until its next call). */
  forward(x: Tensor, batch = 1): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.dModel) throw new ShapeError(`${this.name}: input ${formatShape(x.shape)} must be [B·T,${this.dModel}]`);
    const rows = x.shape[0]!;
    if (!Number.isInteger(batch) || batch < 1 || rows % batch !== 0) throw new ShapeError(`${this.name}: ${rows} rows are not ${batch} equal sequences`);
    const seq = rows / batch;
    const { heads: h, headDim: dh, dModel: d } = this;
    const buf = (name: string, shape: number[]) => this.buffers.get(this.backend, name, shape);
    const sliced = [h, rows, dh];
    const blocks = [h * batch, seq, dh];
    const xs = splitHeads(x, 1, h, dh, { out: buf("xs", sliced) });
    const q = matmul(xs, this.params.wq.value, { out: buf("q", sliced) });
    const k = matmul(xs, this.params.wk.value, { out: buf("k", sliced) });
    const v = matmul(xs, this.params.wv.value, { out: buf("v", sliced) });
    const lse = buf("lse", [h * batch, seq]);
    const o = attention(q.slice(0, blocks), k.slice(0, blocks), v.slice(0, blocks), { causal: this.causal, lse, out: buf("o", blocks) });
    const concat = mergeHeads(o.slice(0, sliced), 1, { out: buf("concat", [rows, d]) });
    this.saved = { batch, seq, xs, q, k, v, o, lse, concat };
    return matmul(concat, this.params.wo.value, { out: buf("y", [rows, d]) });
  }

  /** Writes every parameter's gradient from dL/dy and returns dL/dx [B·T, d] (unless needInputGrad is false). */
  backward(dy: Tensor, needInputGrad = true): Tensor | undefined {
    const s = this.saved;
    if (!s) throw new ShapeError(`${this.name}: backward called before forward`);
    const rows = s.batch * s.seq;
    if (dy.rank !== 2 || dy.shape[0] !== rows || dy.shape[1] !== this.dModel) {
      throw new ShapeError(`${this.name}: gradient ${formatShape(dy.shape)} does not match the output [${rows},${this.dModel}]`);
    }
    const { heads: h, headDim: dh, dModel: d } = this;
    const buf = (name: string, shape: number[]) => this.buffers.get(this.backend, name, shape);
    const sliced = [h, rows, dh];
    const blocks = [h * s.batch, s.seq, dh];
    const p = this.params;
    matmul(s.concat, dy, { transposeA: true, out: p.wo.grad });
    const dconcat = matmul(dy, p.wo.value, { transposeB: true, out: buf("dconcat", [rows, d]) });
    const dout = splitHeads(dconcat, 1, h, dh, { out: buf("do", sliced) });
    const grads = attentionBackward(s.q.slice(0, blocks), s.k.slice(0, blocks), s.v.slice(0, blocks), s.o, dout.slice(0, blocks), s.lse, {
      causal: this.causal,
      dq: buf("dq", blocks),
      dk: buf("dk", blocks),
      dv: buf("dv", blocks),
    });
    const dProj = { wq: grads.dq.slice(0, sliced), wk: grads.dk.slice(0, sliced), wv: grads.dv.slice(0, sliced) };
    // dW_i = X_iᵀ·dQ_i for every head at once: [h, B·T, dh]ᵀ × [h, B·T, dh] → [h, dh, dh].
    for (const key of PROJECTIONS) matmul(s.xs, dProj[key], { transposeA: true, out: p[key].grad });
    if (!needInputGrad) return undefined;
    // dX_i = dQ_i·W_q,iᵀ + dK_i·W_k,iᵀ + dV_i·W_v,iᵀ, then the slices back into token rows.
    const dxs = matmul(dProj.wq, p.wq.value, { transposeB: true, out: buf("dxs", sliced) });
    const part = buf("dxs-part", sliced);
    for (const key of ["wk", "wv"] as const) add(dxs, matmul(dProj[key], p[key].value, { transposeB: true, out: part }), { out: dxs });
    return mergeHeads(dxs, 1, { out: buf("dx", [rows, d]) });
  }

  parameters(): Parameter[] {
    return [this.params.wq, this.params.wk, this.params.wv, this.params.wo];
  }

  dispose(): void {
    for (const p of this.parameters()) {
      p.value.dispose();
      p.grad.dispose();
    }
    this.buffers.dispose();
    this.saved = undefined;
  }

  private checkHead(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.heads) throw new ShapeError(`${this.name}: head ${i} out of range [0, ${this.heads})`);
  }
}
