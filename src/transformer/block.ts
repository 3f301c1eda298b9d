// A GPT block (pre-LayerNorm, as GPT-2): attention is the only place where tokens exchange
// information; the MLP then works on each token alone. Residual connections keep a direct path
// for the signal and the gradient:
//   x1 = x  + attn(ln1(x))
//   x2 = x1 + mlp(ln2(x1))

import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { ShapeError } from "../runtime/errors.js";
import type { Random } from "../runtime/random.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import type { Tensor } from "../runtime/tensor.js";
import { add } from "../ops/elementwise.js";
import { BufferCache } from "../nn/buffers.js";
import type { InitScheme } from "../nn/init.js";
import { LayerNorm } from "../nn/layer-norm.js";
import type { Layer, Parameter } from "../nn/module.js";
import { MultiHeadAttention, type KvCache } from "./attention.js";
import { FeedForward } from "./mlp.js";

export class Block implements Layer {
  readonly kind = "Block";
  private readonly backend: Backend;
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly mlp: FeedForward;
  private readonly buffers = new BufferCache();
  private batch = 1;

  constructor(readonly dModel: number, heads: number, options: { init?: InitScheme; rng: Random; name: string }) {
    this.backend = getBackend();
    const { name, rng, init } = options;
    [this.ln1, this.attn, this.ln2, this.mlp] = disposeOnThrow(() => [
      new LayerNorm(dModel, { name: `${name}.ln1` }),
      new MultiHeadAttention(dModel, heads, { causal: true, init, rng, name: `${name}.attn` }),
      new LayerNorm(dModel, { name: `${name}.ln2` }),
      new FeedForward(dModel, { init, rng, name: `${name}.mlp` }),
    ] as const);
  }

  forward(x: Tensor, batch = 1): Tensor {
    this.batch = batch;
    const x1 = add(x, this.attn.forward(this.ln1.forward(x), batch), { out: this.buffers.get(this.backend, "x1", x.shape) });
    return add(x1, this.mlp.forward(this.ln2.forward(x1)), { out: this.buffers.get(this.backend, "x2", x.shape) });
  }

  backward(dx2: Tensor, needInputGrad = true): Tensor | undefined {
    // dx1 = dx2 + ln2ᵀ(mlpᵀ(dx2));  dx = dx1 + ln1ᵀ(attnᵀ(dx1))
    const dx1 = add(dx2, this.ln2.backward(this.mlp.backward(dx2)!)!, { out: this.buffers.get(this.backend, "dx1", dx2.shape) });
    const fromAttn = this.ln1.backward(this.attn.backward(dx1)!)!;
    if (!needInputGrad) return undefined;
    return add(dx1, fromAttn, { out: this.buffers.get(this.backend, "dx", dx2.shape) });
  }

  /** One token through the block with the attention's KV cache (generation). */
  forwardCached(x: Tensor, cache: KvCache, position: number): Tensor {
    if (x.shape[0] !== 1) throw new ShapeError("Block.forwardCached takes one token");
    const x1 = add(x, this.attn.forwardCached(this.ln1.forward(x), cache, position), { out: this.buffers.get(this.backend, "c1", x.shape) });
    return add(x1, this.mlp.forward(this.ln2.forward(x1)), { out: this.buffers.get(this.backend, "c2", x.shape) });
  }

  get lastBatch(): number {
    return this.batch;
  }

  parameters(): Parameter[] {
    return [...this.ln1.parameters(), ...this.attn.parameters(), ...this.ln2.parameters(), ...this.mlp.parameters()];
  }

  dispose(): void {
    this.ln1.dispose();
    this.attn.dispose();
    this.ln2.dispose();
    this.mlp.dispose();
    this.buffers.dispose();
  }
}
