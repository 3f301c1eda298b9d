// The tutorial's embedding matrix W_E and unembedding W_U as layers.
//
// Embedding: token ids → rows of W_E [vocab, d] (times `scale`, see gpt.ts on why √d with fixed
// positions). Its backward scatter-adds the output gradient into the rows that were looked up.
// Unembedding: final vectors h [rows, d] → logits [rows, vocab], one score per vocabulary token,
// with its own W_U [d, vocab] or tied to an Embedding's W_E (logits = h·W_Eᵀ, as GPT-2 does).

import type { Backend } from "../runtime/backend.js";
import { tensorOn } from "../runtime/creation.js";
import { getBackend } from "../runtime/engine.js";
import { ShapeError } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import { add, scale } from "../ops/elementwise.js";
import { embedding, embeddingBackward } from "../ops/embedding.js";
import { matmul } from "../ops/matmul.js";
import { BufferCache } from "../nn/buffers.js";
import type { Parameter } from "../nn/module.js";

function parameter(backend: Backend, name: string, data: Float32Array, shape: number[]): Parameter {
  return disposeOnThrow(() => untracked(() => ({ name, value: tensorOn(backend, data, shape), grad: tensorOn(backend, new Float32Array(data.length), shape) })));
}

export class Embedding {
  readonly table: Parameter;
  private readonly backend: Backend;
  private readonly buffers = new BufferCache();
  private ids: Int32Array = new Int32Array(0);

  /** `weights`: W_E's initial values, [vocab, d] row-major. */
  constructor(readonly vocab: number, readonly d: number, weights: Float32Array, readonly scaleBy = 1, name = "wte") {
    if (weights.length !== vocab * d) throw new ShapeError(`Embedding: ${weights.length} initial values for [${vocab},${d}]`);
    this.backend = getBackend();
    this.table = parameter(this.backend, name, weights, [vocab, d]);
  }

  /** [n, d] = scale · W_E[ids] (a buffer owned by the layer, valid until its next call). */
  forward(ids: Int32Array): Tensor {
    const out = embedding(ids, this.table.value, { out: this.buffers.get(this.backend, "out", [ids.length, this.d]) });
    if (this.scaleBy !== 1) scale(out, this.scaleBy, { out });
    if (this.ids.length !== ids.length) this.ids = new Int32Array(ids.length);
    this.ids.set(ids);
    return out;
  }

  /** The gradient of W_E from dL/d(out): written, or added to what is there with `accumulate`. */
  backward(dout: Tensor, options: { accumulate?: boolean } = {}): void {
    let g = dout;
    if (this.scaleBy !== 1) g = scale(dout, this.scaleBy, { out: this.buffers.get(this.backend, "dscaled", dout.shape) });
    if (!options.accumulate) {
      embeddingBackward(this.ids, g, this.vocab, { out: this.table.grad });
      return;
    }
    const part = embeddingBackward(this.ids, g, this.vocab, { out: this.buffers.get(this.backend, "dtable", this.table.value.shape) });
    add(this.table.grad, part, { out: this.table.grad });
  }

  dispose(): void {
    this.table.value.dispose();
    this.table.grad.dispose();
    this.buffers.dispose();
  }
}

export class Unembedding {
  /** W_U [d, vocab], or undefined when tied to the embedding's W_E. */
  readonly weights: Parameter | undefined;
  private readonly backend: Backend;
  private readonly buffers = new BufferCache();
  private input: Tensor | undefined;

  constructor(readonly d: number, readonly vocab: number, source: { tiedTo: Embedding } | { weights: Float32Array; name?: string }) {
    this.backend = getBackend();
    if ("tiedTo" in source) {
      this.tied = source.tiedTo;
    } else {
      if (source.weights.length !== d * vocab) throw new ShapeError(`Unembedding: ${source.weights.length} initial values for [${d},${vocab}]`);
      this.weights = parameter(this.backend, source.name ?? "wu", source.weights, [d, vocab]);
    }
  }

  private readonly tied: Embedding | undefined;

  /** logits [rows, vocab] = h·W_U (or h·W_Eᵀ when tied). */
  forward(h: Tensor): Tensor {
    this.input = h;
    const out = this.buffers.get(this.backend, "logits", [h.shape[0]!, this.vocab]);
    return this.weights ? matmul(h, this.weights.value, { out }) : matmul(h, this.tied!.table.value, { transposeB: true, out });
  }

  /**
   * dL/dh from dL/dlogits; writes W_U's gradient, or — when tied — OVERWRITES W_E's gradient with
   * this path's part (dlogitsᵀ·h), so the embedding's backward must then accumulate onto it.
   */
  backward(dlogits: Tensor): Tensor {
    const h = this.input;
    if (!h) throw new ShapeError("Unembedding: backward called before forward");
    const dh = this.buffers.get(this.backend, "dh", h.shape);
    if (this.weights) {
      matmul(dlogits, this.weights.value, { transposeB: true, out: dh });
      matmul(h, dlogits, { transposeA: true, out: this.weights.grad });
    } else {
      const table = this.tied!.table;
      matmul(dlogits, table.value, { out: dh });
      matmul(dlogits, h, { transposeA: true, out: table.grad });
    }
    return dh;
  }

  parameters(): Parameter[] {
    return this.weights ? [this.weights] : [];
  }

  dispose(): void {
    this.weights?.value.dispose();
    this.weights?.grad.dispose();
    this.buffers.dispose();
  }
}
