// simdnet's GPT written with TensorFlow.js ops, for the like-for-like GPT rows (tfjs-wasm, tfjs-cpu):
//
//   x = W_E[ids]·√d + PE (sinusoidal; learned positions: W_E[ids] + W_pe, no scaling)
//   per block (pre-LN):  x += W_o·attn(LN1(x)·W_qkv + b_qkv) + b_o     (fused QKV columns Q | K | V, causal)
//                        x += GELU(LN2(x)·W_fc + b_fc)·W_proj + b_proj  (GELU: tanh approximation)
//   logits = LN_f(x)·W_Eᵀ (tied) or LN_f(x)·W_U;  loss = mean cross-entropy over all B·T positions
//
// Parameters take simdnet's names and values (load() from `model.parameters()`), so both start from
// the same weights. The training step is GptTrainer's: gradients by tf.variableGrads, global-norm
// clipping, then AdamW (β = 0.9, 0.95, ε = 1e-8, decoupled decay on the parameters simdnet decays,
// bias correction) written with tf ops — tf.train.adam has no decoupled weight decay and no clipping.
// Dense layers are tf.fused.matMul with the bias (what tf.layers.dense runs).
//
// `explicitTransposes` (the tuned variant): tfjs-backend-wasm 4.22 runs a matMul with transposeA or
// transposeB about 13× slower than without (2048×512·512×128: 11 ms plain, 140–185 ms transposed; only
// the plain case reaches XNNPACK), and autodiff's matMul gradients are exactly such products
// (dA = dY·Bᵀ, dB = Aᵀ·dY). The variant gives every product a custom gradient that transposes
// explicitly (tf.transpose, then a plain matMul) and does the same for Q·Kᵀ and h·W_Eᵀ in the forward:
// the same math, tfjs at its best on this backend.
//
// One deviation, forced: the gradient of tf.gather (the embedding lookup) needs the UnsortedSegmentSum
// kernel, which tfjs-backend-wasm 4.22 does not have. The lookup keeps tf.gather forward and gets a
// custom gradient, dW_E += one-hot(ids)ᵀ·dx (a [vocab, B·T]·[B·T, d] matMul), on both backends alike.
//
// Generation: greedy, with simdnet's window rule; without a cache every token re-runs the forward over
// the window. With a cache (the best form tfjs offers): K and V are preallocated per layer as
// tf.Variables [h, contextLength, dh], made once per model; the prompt is run once (prefill, written
// into the caches padded to full length) and each token runs one position, writing its K and V rows
// with tf.tensorScatterUpdate + Variable.assign and attending over the whole cache with an additive
// mask of the positions not yet written (kept per position), so no tensor grows and no slice is
// taken. tfjs has no in-place write: the scatter still makes a new [h, C, dh] tensor (32 KB here) that
// assign swaps in; a concat per token (the earlier form) copies the grown cache instead.
//
// Differs from simdnet: every op allocates its output (tfjs has no `out` parameter) and tf.tidy frees
// them; one forward is dozens of separate ops (simdnet fuses LN, attention, GELU and bias adds into
// its kernels); the scores [B, h, T, T] are materialized with an additive −1e9 mask; AdamW is
// written with tf ops (one op per term per parameter); the embedding gradient is a one-hot matMul.

import * as tf from "@tensorflow/tfjs";
// The position table is input data here, not what is timed: take simdnet's, so both models see the same one.
import { sinusoidalPositions } from "../../src/ops/positional.js";
import type { GptModelConfig } from "./types.js";

export type TfGptConfig = GptModelConfig;

export interface NamedParam {
  name: string;
  data: Float32Array;
  /** Whether AdamW decays it (simdnet: rank-2 weights, not biases, gains or position tables). */
  decays: boolean;
}

const LN_EPS = 1e-5;
/** Swap the last two axes. */
const tr = (x: tf.Tensor): tf.Tensor => (x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [...x.shape.keys()].map((i, _, a) => (i < a.length - 2 ? i : 2 * a.length - 3 - i))));
const GELU_C = Math.sqrt(2 / Math.PI);

export class TfGPT {
  private readonly vars = new Map<string, tf.Variable>();
  private readonly order: string[] = [];
  private readonly decays = new Map<string, boolean>();
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private readonly pe: tf.Tensor2D | undefined;
  private readonly masks = new Map<number, tf.Tensor2D>();
  /** The generation caches, [h, contextLength, dh] per layer (made at the first cached generate). */
  private kv: { k: tf.Variable; v: tf.Variable }[] | undefined;
  /** Per position p: [1, contextLength] additive mask, 0 up to p and −1e9 after (cache rows not yet written). */
  private readonly stepMasks = new Map<number, tf.Tensor2D>();
  private t = 0;

  /** Builds the variables on the current tfjs backend from simdnet's parameters (names and values). */
  private readonly fast: boolean;
  /** Plain-layout matMul (any rank ≥ 2) whose gradient transposes explicitly (see `explicitTransposes`). */
  private readonly matMulFast = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [a, b] = args as tf.Tensor[];
    (args[2] as tf.GradSaveFunc)([a!, b!]);
    return {
      value: tf.matMul(a!, b!),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [tf.matMul(dy as tf.Tensor, tr(saved[1]!)), tf.matMul(tr(saved[0]!), dy as tf.Tensor)],
    };
  });
  private readonly denseFast = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, b] = args as tf.Tensor2D[];
    (args[3] as tf.GradSaveFunc)([x!, w!]);
    return {
      value: tf.fused.matMul({ a: x!, b: w!, bias: b! }),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor2D;
        return [tf.matMul(g, tf.transpose(saved[1]!)), tf.matMul(tf.transpose(saved[0]!), g), tf.sum(g, 0)];
      },
    };
  });

  constructor(readonly config: TfGptConfig, params: NamedParam[], options: { explicitTransposes?: boolean } = {}) {
    this.fast = options.explicitTransposes ?? false;
    const { dModel: d, contextLength } = config;
    for (const p of params) {
      // 1-D for biases, gains and offsets (broadcast over rows); simdnet's 2-D shapes for matrices.
      const shape = this.shapeOf(p.name, p.data.length);
      this.vars.set(p.name, tf.variable(tf.tensor(p.data, shape), true));
      this.m.set(p.name, tf.variable(tf.zeros(shape), false));
      this.v.set(p.name, tf.variable(tf.zeros(shape), false));
      this.order.push(p.name);
      this.decays.set(p.name, p.decays);
    }
    if (config.positional === "sinusoidal") this.pe = tf.tensor2d(sinusoidalPositions(contextLength, d), [contextLength, d]);
  }

  private shapeOf(name: string, n: number): number[] {
    const { dModel: d, vocabSize: V, contextLength } = this.config;
    if (name === "wte") return [V, d];
    if (name === "wpe") return [contextLength, d];
    if (name === "wu") return [d, V];
    if (/qkv\.weights$/.test(name)) return [d, 3 * d];
    if (/out\.weights$/.test(name)) return [d, d];
    if (/fc\.weights$/.test(name)) return [d, 4 * d];
    if (/proj\.weights$/.test(name)) return [4 * d, d];
    if (/\.(bias|gamma|beta)$/.test(name)) return [n];
    throw new Error(`TfGPT: unknown parameter "${name}"`);
  }

  private p(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new Error(`TfGPT: no parameter "${name}"`);
    return v;
  }

  /** Additive causal mask [T, T] (−1e9 above the diagonal), kept per length. */
  private mask(T: number): tf.Tensor2D {
    let m = this.masks.get(T);
    if (!m) {
      const a = new Float32Array(T * T);
      for (let r = 0; r < T; r++) for (let c = r + 1; c < T; c++) a[r * T + c] = -1e9;
      m = tf.keep(tf.tensor2d(a, [T, T])); // created inside a tidy or a gradient scope: kept for later calls
      this.masks.set(T, m);
    }
    return m;
  }

  private layerNorm(x: tf.Tensor, prefix: string): tf.Tensor {
    const mean = tf.mean(x, -1, true);
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), -1, true);
    return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, LN_EPS))), this.p(`${prefix}.gamma`)), this.p(`${prefix}.beta`));
  }

  private dense(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    const [w, b] = [this.p(`${prefix}.weights`), this.p(`${prefix}.bias`)];
    if (this.fast) return this.denseFast(x, w, b) as tf.Tensor2D;
    return tf.fused.matMul({ a: x, b: w as tf.Tensor2D, bias: b }) as tf.Tensor2D;
  }

  /** a·bᵀ (scores Q·Kᵀ, tied logits h·W_Eᵀ). */
  private matMulNT(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return this.fast ? this.matMulFast(a, tr(b)) : tf.matMul(a, b, false, true);
  }

  /** a·b. */
  private matMulNN(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
    return this.fast ? this.matMulFast(a, b) : tf.matMul(a, b);
  }

  /** Token vectors plus positions [n, d] for ids at positions start…start+n−1 of each of `batch` sequences. */
  private embed(ids: Int32Array, batch: number, start: number, forGrad = false): tf.Tensor2D {
    const { dModel: d, vocabSize: V } = this.config;
    const n = ids.length;
    const seq = n / batch;
    const idsT = tf.tensor1d(ids, "int32");
    // Gather forward; the gradient as one-hot(ids)ᵀ·dy (see the top comment).
    if (!forGrad) return this.addPositions(tf.gather(this.p("wte"), idsT) as tf.Tensor2D, batch, seq, start);
    // The one-hot matrix is made in the forward and saved: tensors only closed over are freed before backprop.
    const onehot = tf.oneHot(idsT, V);
    const lookup = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      (args[1] as tf.GradSaveFunc)([onehot]);
      return {
        value: tf.gather(args[0] as tf.Tensor, idsT),
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
          this.fast ? tf.matMul(tf.transpose(saved[0]!), dy as tf.Tensor2D) : tf.matMul(saved[0] as tf.Tensor2D, dy as tf.Tensor2D, true, false),
      };
    });
    return this.addPositions(lookup(this.p("wte")) as tf.Tensor2D, batch, seq, start);
  }

  private addPositions(rows: tf.Tensor2D, batch: number, seq: number, start: number): tf.Tensor2D {
    const d = this.config.dModel;
    const pos = this.config.positional === "sinusoidal" ? this.pe! : this.p("wpe");
    const table = tf.slice(pos, [start, 0], [seq, d]);
    const scaled = this.config.positional === "sinusoidal" ? tf.mul(rows, Math.sqrt(d)) : rows;
    return tf.reshape(tf.add(tf.reshape(scaled, [batch, seq, d]), table), [batch * seq, d]) as tf.Tensor2D;
  }

  private heads(x: tf.Tensor2D, batch: number, seq: number): tf.Tensor4D {
    const { heads: h, dModel: d } = this.config;
    return tf.transpose(tf.reshape(x, [batch, seq, h, d / h]), [0, 2, 1, 3]);
  }

  private mlp(x: tf.Tensor2D, l: number): tf.Tensor2D {
    const z = this.dense(this.layerNorm(x, `blocks.${l}.ln2`) as tf.Tensor2D, `blocks.${l}.mlp.fc`);
    const g = tf.mul(tf.mul(z, 0.5), tf.add(1, tf.tanh(tf.mul(tf.add(z, tf.mul(tf.mul(tf.mul(z, z), z), 0.044715)), GELU_C)))) as tf.Tensor2D;
    return tf.add(x, this.dense(g, `blocks.${l}.mlp.proj`));
  }

  private unembed(x: tf.Tensor2D): tf.Tensor2D {
    const h = this.layerNorm(x, "ln_f") as tf.Tensor2D;
    return (this.config.tieEmbeddings ? this.matMulNT(h, this.p("wte")) : this.matMulNN(h, this.p("wu"))) as tf.Tensor2D;
  }

  /** Logits [B·T, vocab] (call inside tf.tidy). */
  forward(ids: Int32Array, batch: number, forGrad = false): tf.Tensor2D {
    const { dModel: d, heads: h, layers } = this.config;
    const seq = ids.length / batch;
    const rows = ids.length;
    const scale = 1 / Math.sqrt(d / h);
    let x = this.embed(ids, batch, 0, forGrad);
    for (let l = 0; l < layers; l++) {
      const qkv = this.dense(this.layerNorm(x, `blocks.${l}.ln1`) as tf.Tensor2D, `blocks.${l}.attn.qkv`);
      const [q, k, v] = tf.split(qkv, 3, 1).map((t) => this.heads(t as tf.Tensor2D, batch, seq)) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const s = tf.add(tf.mul(this.matMulNT(q, k), scale), this.mask(seq));
      const y = tf.reshape(tf.transpose(this.matMulNN(tf.softmax(s), v), [0, 2, 1, 3]), [rows, d]) as tf.Tensor2D;
      x = tf.add(x, this.dense(y, `blocks.${l}.attn.out`));
      x = this.mlp(x, l);
    }
    return this.unembed(x);
  }

  /** Mean cross-entropy (call inside tf.tidy or a gradient function). */
  private lossOf(ids: Int32Array, targets: Int32Array, batch: number): tf.Scalar {
    const logits = this.forward(ids, batch, true);
    const onehot = tf.oneHot(tf.tensor1d(targets, "int32"), this.config.vocabSize);
    return tf.neg(tf.mean(tf.sum(tf.mul(onehot, tf.logSoftmax(logits)), 1))) as tf.Scalar;
  }

  /** Loss and gradients of every parameter (by name) for one batch; nothing is updated. */
  lossAndGrads(ids: Int32Array, targets: Int32Array, batch: number): { loss: number; grads: Map<string, Float32Array> } {
    const vars = this.order.map((n) => this.p(n));
    const { value, grads } = tf.variableGrads(() => this.lossOf(ids, targets, batch), vars);
    const out = new Map(this.order.map((n, i) => [n, grads[vars[i]!.name]!.dataSync() as Float32Array]));
    const loss = value.dataSync()[0]!;
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    return { loss, grads: out };
  }

  /** Global-norm clipping, then one AdamW step from the given gradients (tensors in parameter order). */
  private update(grads: tf.Tensor[], lr: number, o: { clipNorm: number; weightDecay: number }): void {
    const [b1, b2, eps] = [0.9, 0.95, 1e-8];
    this.t++;
    const bias1 = 1 - b1 ** this.t;
    const bias2 = 1 - b2 ** this.t;
    tf.tidy(() => {
      const norm = tf.sqrt(tf.addN(grads.map((g) => tf.sum(tf.square(g)))));
      const clip = o.clipNorm > 0 ? tf.minimum(1, tf.div(o.clipNorm, norm)) : tf.scalar(1);
      this.order.forEach((name, i) => {
        const w = this.p(name);
        const g = tf.mul(grads[i]!, clip);
        const m = tf.add(tf.mul(this.m.get(name)!, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(this.v.get(name)!, b2), tf.mul(tf.square(g), 1 - b2));
        this.m.get(name)!.assign(m);
        this.v.get(name)!.assign(v);
        const adam = tf.div(tf.div(m, bias1), tf.add(tf.sqrt(tf.div(v, bias2)), eps));
        const wd = this.decays.get(name) ? o.weightDecay : 0;
        w.assign(tf.sub(w, tf.mul(wd ? tf.add(adam, tf.mul(w, wd)) : adam, lr)));
      });
    });
  }

  /** The optimizer step alone, from gradients given as arrays (the check: same gradients as simdnet). */
  stepWith(grads: Map<string, Float32Array>, lr: number, o: { clipNorm: number; weightDecay: number }): void {
    const gs = this.order.map((n) => tf.tensor(grads.get(n)!, this.p(n).shape));
    this.update(gs, lr, o);
    gs.forEach((g) => g.dispose());
  }

  /** One training step: loss, gradients, clip + AdamW. Returns the loss (read back, as GptTrainer does). */
  trainStep(ids: Int32Array, targets: Int32Array, batch: number, lr: number, o: { clipNorm: number; weightDecay: number }): number {
    const vars = this.order.map((n) => this.p(n));
    const { value, grads } = tf.variableGrads(() => this.lossOf(ids, targets, batch), vars);
    this.update(vars.map((v) => grads[v.name]!), lr, o);
    const loss = value.dataSync()[0]!;
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    return loss;
  }

  /** Copies values back in (reset to given weights) and clears the optimizer state. */
  load(params: NamedParam[]): void {
    for (const p of params) {
      const v = this.p(p.name);
      tf.tidy(() => v.assign(tf.tensor(p.data, v.shape)));
      tf.tidy(() => this.m.get(p.name)!.assign(tf.zerosLike(v)));
      tf.tidy(() => this.v.get(p.name)!.assign(tf.zerosLike(v)));
    }
    this.t = 0;
  }

  values(): Map<string, Float32Array> {
    return new Map(this.order.map((n) => [n, this.p(n).dataSync() as Float32Array]));
  }

  // ---------------------------------------------------------------- generation

  private argmaxLast(logits: tf.Tensor2D): number {
    return tf.tidy(() => tf.argMax(tf.slice(logits, [logits.shape[0] - 1, 0], [1, -1]), 1).dataSync()[0]!);
  }

  /** The preallocated caches, made once per model. */
  private caches(): { k: tf.Variable; v: tf.Variable }[] {
    const { dModel: d, heads: h, layers, contextLength: C } = this.config;
    this.kv ??= Array.from({ length: layers }, () => ({ k: tf.variable(tf.zeros([h, C, d / h]), false), v: tf.variable(tf.zeros([h, C, d / h]), false) }));
    return this.kv;
  }

  private stepMask(position: number): tf.Tensor2D {
    let m = this.stepMasks.get(position);
    if (!m) {
      const C = this.config.contextLength;
      const a = new Float32Array(C);
      for (let c = position + 1; c < C; c++) a[c] = -1e9;
      m = tf.keep(tf.tensor2d(a, [1, C]));
      this.stepMasks.set(position, m);
    }
    return m;
  }

  /** Runs `ids` (one sequence), writes K, V of every position into the caches; returns the last position's argmax. */
  private prefill(ids: Int32Array): number {
    const caches = this.caches();
    return tf.tidy(() => {
      const { dModel: d, heads: h, layers, contextLength: C } = this.config;
      const seq = ids.length;
      let x = this.embed(ids, 1, 0);
      for (let l = 0; l < layers; l++) {
        const qkv = this.dense(this.layerNorm(x, `blocks.${l}.ln1`) as tf.Tensor2D, `blocks.${l}.attn.qkv`);
        const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.squeeze(this.heads(t as tf.Tensor2D, 1, seq), [0])) as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
        caches[l]!.k.assign(tf.pad(k, [[0, 0], [0, C - seq], [0, 0]]));
        caches[l]!.v.assign(tf.pad(v, [[0, 0], [0, C - seq], [0, 0]]));
        const s = tf.add(tf.mul(this.matMulNT(q, k), 1 / Math.sqrt(d / h)), this.mask(seq));
        const y = tf.reshape(tf.transpose(this.matMulNN(tf.softmax(s), v), [1, 0, 2]), [seq, d]) as tf.Tensor2D;
        x = this.mlp(tf.add(x, this.dense(y, `blocks.${l}.attn.out`)), l);
      }
      return this.argmaxLast(this.unembed(x));
    });
  }

  /** One position with the caches (its K, V rows written in place of the zeros); returns the argmax. */
  private step(id: number, position: number): number {
    const caches = this.caches();
    return tf.tidy(() => {
      const { dModel: d, heads: h, layers } = this.config;
      const rows = tf.tensor2d(Array.from({ length: h }, (_, head) => [head, position]), [h, 2], "int32");
      let x = this.embed(Int32Array.of(id), 1, position);
      for (let l = 0; l < layers; l++) {
        const qkv = this.dense(this.layerNorm(x, `blocks.${l}.ln1`) as tf.Tensor2D, `blocks.${l}.attn.qkv`);
        const [q, k, v] = tf.split(qkv, 3, 1).map((t) => tf.reshape(t, [h, d / h])) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const c = caches[l]!;
        c.k.assign(tf.tensorScatterUpdate(c.k, rows, k));
        c.v.assign(tf.tensorScatterUpdate(c.v, rows, v));
        const s = tf.add(tf.mul(this.matMulNT(tf.reshape(q, [h, 1, d / h]), c.k), 1 / Math.sqrt(d / h)), this.stepMask(position));
        const y = tf.reshape(this.matMulNN(tf.softmax(s), c.v), [1, d]) as tf.Tensor2D;
        x = this.mlp(tf.add(x, this.dense(y, `blocks.${l}.attn.out`)), l);
      }
      return this.argmaxLast(this.unembed(x));
    });
  }

  /** Greedy generation with simdnet generate()'s window rule; returns prompt + new ids. */
  generate(prompt: Int32Array, maxNewTokens: number, useCache: boolean): Int32Array {
    const context = this.config.contextLength;
    const ids = new Int32Array(prompt.length + maxNewTokens);
    ids.set(prompt);
    let length = prompt.length;
    const run = (from: number, to: number): number =>
      useCache ? this.prefill(ids.subarray(from, to)) : tf.tidy(() => this.argmaxLast(this.forward(ids.subarray(from, to), 1)));
    let windowStart = 0;
    let next = run(0, length);
    for (let n = 0; n < maxNewTokens; n++) {
      ids[length++] = next;
      if (n === maxNewTokens - 1) break;
      if (length - windowStart >= context) {
        windowStart = length - Math.max(1, context >> 1);
        next = run(windowStart, length);
      } else if (useCache) {
        next = this.step(next, length - 1 - windowStart);
      } else {
        next = run(windowStart, length); // the window the caches would hold
      }
    }
    return ids.subarray(0, length);
  }

  dispose(): void {
    [...this.vars.values(), ...this.m.values(), ...this.v.values()].forEach((v) => v.dispose());
    this.pe?.dispose();
    this.masks.forEach((m) => m.dispose());
    this.stepMasks.forEach((m) => m.dispose());
    this.kv?.forEach((c) => (c.k.dispose(), c.v.dispose()));
  }
}
