// One token through the whole GPT with the KV caches, as a fixed list of kernel calls: the decode fast path
// behind GPT.step().
//
// Why: a decoded token is ~20 kernel calls on vectors of 128–512 floats, each a few microseconds of Wasm. Going
// through the layers and ops costs more than that per call in JavaScript (argument and overlap checks, buffer
// lookups by name, views, error-message plumbing): about half of a cached generate() was JavaScript. Everything
// those checks establish is fixed for the life of the model — the weight tensors never move, the shapes never
// change — so the plan below resolves every pointer and width once, and a step only checks what the caller passes
// (the token id, the position, the caches).
//
// The calls are the ones the layers make (Block.forwardCached through Dense, LayerNorm, cachedAttention, the
// embedding and the unembedding), with the same kernels, arguments and order, so a step's logits are bit for bit
// those of the layer path (tests/decode-step.test.ts). Differences that cannot change a result: LayerNorm does not
// store its row statistics and the GELU layer not its pre-activation (only a backward pass reads them), and the
// layers' saved forward state is left alone, so a step never disturbs a pending backward().
//
// With { packWeights: true } (what generate() uses) the plan also keeps a copy of every Dense weight matrix in
// 32-column panels (assembly/decode.ts) and runs the m = 1 products from them: a token streams its 1.5 MB of
// weights from L3 (they do not fit in L2), and one sequential stream per matrix arrives ≈ 1.3–1.5× faster than
// gemv_t's strided walk down the rows. Same arithmetic, same bits. The copy is taken once, in the constructor, so
// such a plan computes with the weights of that moment: it lives for one generate() call, during which nothing
// trains the model. GPT.step's plan keeps reading the weights themselves.

import type { Backend } from "../runtime/backend.js";
import type { Kernels } from "../runtime/kernels.js";
import { empty } from "../runtime/creation.js";
import { ArgumentError, OutOfMemoryError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { ACT_CODE } from "../ops/activations.js";
import { scaleFor } from "../ops/attention.js";
import type { Dense } from "../nn/dense.js";
import type { LayerNorm } from "../nn/layer-norm.js";
import type { KvCache } from "./attention.js";
import type { GPT } from "./gpt.js";

/** A LayerNorm's parameters as the kernel takes them. */
interface NormPlan { gamma: Tensor; beta: Tensor; eps: number }
/** A Dense layer's parameters and kernel activation code. */
interface DensePlan { w: Tensor; b: Tensor; act: number; inputs: number; outputs: number; panels: number; panelFloats: number }
interface LayerPlan { ln1: NormPlan; qkv: DensePlan; wo: DensePlan; ln2: NormPlan; fc: DensePlan; proj: DensePlan }

function normPlan(ln: LayerNorm): NormPlan {
  return { gamma: ln.gamma, beta: ln.beta, eps: ln.options.eps ?? 1e-5 };
}

function densePlan(layer: Dense): DensePlan {
  return { w: layer.weights, b: layer.bias, act: ACT_CODE[layer.activation], inputs: layer.inputs, outputs: layer.outputs, panels: 0, panelFloats: 0 };
}

export interface DecodeStepOptions {
  /** Keep a panel copy of the weights and run the products from it (see the top of this file). Default false. */
  packWeights?: boolean;
}

export class DecodeStep {
  private readonly backend: Backend;
  private readonly layers: LayerPlan[];
  private readonly d: number;
  private readonly vocab: number;
  private readonly heads: number;
  private readonly headDim: number;
  /** Width of one cache row (every head's key, or value): heads · headDim. */
  private readonly width: number;
  private readonly hidden: number;
  private readonly scale: number;
  private readonly embedScale: number;
  private readonly table: Tensor;
  private readonly positions: Tensor;
  /** W_U [d, vocab], or undefined: logits = h·W_Eᵀ. */
  private readonly unembed: Tensor | undefined;
  private readonly lnF: NormPlan;
  /** One buffer for every per-step vector (see the offsets in the constructor). */
  private readonly work: Tensor;
  private readonly offsets: { x: number; x1: number; h: number; qkv: number; merged: number; ao: number; hid: number; y: number; logits: number };
  /** The weights' panel copies (packWeights), or undefined. */
  private readonly panels: Tensor | undefined;

  constructor(model: GPT, backend: Backend, options: DecodeStepOptions = {}) {
    const c = model.config;
    this.backend = backend;
    this.d = c.dModel;
    this.vocab = c.vocabSize;
    const attn0 = model.blocks[0]!.attn;
    this.heads = attn0.heads;
    this.headDim = attn0.headDim;
    this.width = this.heads * this.headDim;
    this.scale = scaleFor("GPT.step", this.headDim, undefined);
    this.layers = model.blocks.map((b) => {
      const wo = b.attn.outputProjection;
      if (!wo) throw new ShapeError("GPT.step: a block's attention has no output projection");
      return { ln1: normPlan(b.ln1), qkv: densePlan(b.attn.projection), wo: densePlan(wo), ln2: normPlan(b.ln2), fc: densePlan(b.mlp.fc), proj: densePlan(b.mlp.proj) };
    });
    this.hidden = this.layers[0]?.fc.outputs ?? 0;
    this.table = model.embeddingMatrix;
    this.embedScale = model.embedding.scaleBy;
    this.positions = model.positionTable;
    this.unembed = model.unembedding.weights?.value;
    this.lnF = normPlan(model.lnF);
    // Offsets in floats, each vector 16-byte aligned (the kernels' wide loads do not need it, but it is free).
    const sizes = { x: this.d, x1: this.d, h: this.d, qkv: 3 * this.width, merged: this.width, ao: this.d, hid: this.hidden, y: this.d, logits: this.vocab };
    let total = 0;
    const offsets = {} as Record<keyof typeof sizes, number>;
    for (const [name, n] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
      offsets[name] = total;
      total += (n + 3) & ~3;
    }
    this.offsets = offsets;
    const work = untracked(() => empty([total], backend, "decode-step"));
    // Panels only if they fit: without them a step reads the weights themselves, slower but the same bits.
    let panels: Tensor | undefined;
    if (options.packWeights) {
      try {
        panels = this.packPanels();
      } catch (e) {
        if (!(e instanceof OutOfMemoryError)) {
          work.dispose();
          throw e;
        }
      }
    }
    this.panels = panels;
    this.work = work;
  }

  /** One tensor with every Dense layer's panels; each plan records where its own start. */
  private packPanels(): Tensor | undefined {
    const kern = this.backend.rawKernels;
    const plans = this.layers.flatMap((L) => [L.qkv, L.wo, L.fc, L.proj]);
    let total = 0;
    for (const p of plans) {
      p.panelFloats = kern.decode_panels_size(p.outputs, p.inputs);
      total += p.panelFloats;
    }
    if (total === 0) return undefined; // the scalar build: nothing to stream faster
    const panels = untracked(() => empty([total], this.backend, "decode-step panels"));
    let at = panels.ptr;
    for (const p of plans) {
      p.panels = at;
      kern.decode_pack_panels_f32(p.outputs, p.inputs, p.w.ptr, p.outputs, at);
      at += p.panelFloats * 4;
    }
    return panels;
  }

  /** Logits of token `id` at `position` (caches hold positions [0, position)); extends every cache by that token. */
  run(id: number, position: number, caches: readonly KvCache[]): Float32Array {
    const { d, vocab, width } = this;
    if (!(Number.isInteger(id) && id >= 0 && id < vocab)) throw new ArgumentError(`GPT.step: token id ${id} is outside the vocabulary [0, ${vocab})`);
    if (caches.length !== this.layers.length) throw new ArgumentError(`GPT.step: ${caches.length} caches for ${this.layers.length} layers`);
    for (let i = 0; i < caches.length; i++) this.checkCache(caches[i]!, position, i);
    // With no worker pool running, the module's own exports: the dispatching wrappers only decide whether to split
    // a call across threads, and at ~25 calls per token their argument spreading is a measurable share of a step.
    const kern = this.backend.workerPool?.usable ? this.backend.kernels : this.backend.rawKernels;
    const base = this.work.ptr;
    const at = (offset: number) => base + offset * 4;
    const o = this.offsets;
    const x = at(o.x), x1 = at(o.x1), h = at(o.h), qkv = at(o.qkv), merged = at(o.merged), ao = at(o.ao), hid = at(o.hid), y = at(o.y), logits = at(o.logits);
    const length = position + 1;
    // Scratch for the GEMM calls and for attention over `length` keys: one region, taken once for the step.
    const scratch = this.backend.scratch(Math.max(kern.gemm_scratch_bytes(), kern.attention_rows_scratch_bytes(length, this.headDim)));

    // x = scale · W_E[id] + positions[position] (Embedding.forward, then addPositions)
    const row = this.table.ptr + id * d * 4;
    const pos = this.positions.ptr + position * d * 4;
    if (this.embedScale !== 1) {
      kern.scale_f32(d, this.embedScale, row, x);
      kern.add_f32(d, x, pos, x);
    } else {
      kern.add_f32(d, row, pos, x);
    }
    for (let i = 0; i < this.layers.length; i++) {
      const L = this.layers[i]!;
      const cache = caches[i]!;
      // x1 = x + W_o·attention(qkv(ln1(x)))
      this.norm(kern, L.ln1, x, h);
      this.dense(kern, L.qkv, h, qkv, scratch);
      // The token's key and value join the caches (MultiHeadAttention.copyIntoCache).
      const mem = this.backend.f32;
      const from = (qkv >>> 2) + width;
      mem.copyWithin((cache.k.ptr >>> 2) + position * width, from, from + width);
      mem.copyWithin((cache.v.ptr >>> 2) + position * width, from + width, from + 2 * width);
      kern.attention_rows_f32(
        1, this.heads, 1, length, this.headDim, qkv, 3 * width, cache.k.ptr, width, cache.v.ptr, width, merged, width,
        this.scale, 1, 0, scratch, 0, this.heads, 0, 1,
      );
      this.dense(kern, L.wo, merged, ao, scratch);
      kern.add_f32(d, x, ao, x1);
      // x = x1 + proj(gelu(fc(ln2(x1))))
      this.norm(kern, L.ln2, x1, h);
      this.dense(kern, L.fc, h, hid, scratch);
      this.dense(kern, L.proj, hid, y, scratch);
      kern.add_f32(d, x1, y, x);
    }
    this.norm(kern, this.lnF, x, h);
    if (this.unembed) kern.gemm_f32(0, 0, 1, vocab, d, 1, h, d, this.unembed.ptr, vocab, 0, logits, vocab, scratch);
    else kern.gemm_f32(0, 1, 1, vocab, d, 1, h, d, this.table.ptr, d, 0, logits, vocab, scratch);
    return this.backend.f32.slice(logits >>> 2, (logits >>> 2) + vocab);
  }

  dispose(): void {
    this.work.dispose();
    this.panels?.dispose();
  }

  private norm(kern: Kernels, p: NormPlan, from: number, to: number): void {
    kern.layernorm_f32(1, this.d, from, p.gamma.ptr, p.beta.ptr, to, 0, 0, p.eps);
  }

  private dense(kern: Kernels, p: DensePlan, from: number, to: number, scratch: number): void {
    // The panels run on the calling thread even when a worker pool runs: one token's products are too small
    // for a split to pay for its dispatch (bench/tools/gen-threads.ts: 2 threads splitting the columns were
    // slower than 1 thread reading the panels), and decode_dense_f32 gives gemm_bias_act_f32's bits.
    if (this.panels !== undefined) {
      this.backend.rawKernels.decode_dense_f32(p.outputs, p.inputs, from, p.panels, p.w.ptr, p.outputs, p.b.ptr, p.act, to);
      return;
    }
    kern.gemm_bias_act_f32(0, 0, 1, p.outputs, p.inputs, from, p.inputs, p.w.ptr, p.outputs, p.b.ptr, p.act, to, p.outputs, scratch, 0);
  }

  private checkCache(cache: KvCache, position: number, layer: number): void {
    const { k, v, capacity } = cache;
    if (!Number.isInteger(position) || position < 0 || position >= capacity) {
      throw new ArgumentError(`GPT.step: position ${position} is outside layer ${layer}'s cache [0, ${capacity})`);
    }
    for (const t of [k, v]) {
      void t.ptr; // DisposedTensorError for a disposed cache
      if (t.backend !== this.backend || t.rank !== 2 || t.shape[0] !== capacity || t.shape[1] !== this.width) {
        throw new ShapeError(`GPT.step: layer ${layer}'s KV cache tensor ${formatShape(t.shape)} must be [${capacity},${this.width}] on the model's backend (createCaches makes them)`);
      }
    }
  }
}
