// Dense: y = activation(x·W + b), the tutorial's Layer of Neurons as one matrix product.
//
// Layout follows the tutorial's numpy code: W is [inputs, outputs] (column j holds neuron j's
// weights), b is [1, outputs]. Forward runs one GEMM and one fused bias+activation pass. Backward
// (chain rule, with z = x·W + b):
//   dz = dy ⊙ activation'(z)      (from the saved output y, as the tutorial's relu_derivative; GELU's
//                                  output does not determine z, so for GELU the epilogue also keeps gelu'(z))
//   dW = xᵀ·dz                    [inputs, outputs]
//   db = Σ_rows dz                [1, outputs]
//   dx = dz·Wᵀ                    [rows, inputs]
// backward() is standard backprop: the optimizer runs after the whole backward pass, so dx uses the
// weights from before the update. The tutorial's Neuron.backward updates its weights first and then
// returns dz·Wᵀ through the UPDATED weights; backwardParameters() and backwardInput() are the two halves
// of backward() so that propagate.ts can run an update between them (NeuralNetwork's propagate option).

import { getBackend } from "../runtime/engine.js";
import type { Backend } from "../runtime/backend.js";
import { tensor } from "../runtime/creation.js";
import { ShapeError, formatShape } from "../runtime/errors.js";
import { Random } from "../runtime/random.js";
import type { Tensor } from "../runtime/tensor.js";
import { untracked } from "../runtime/tidy.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import { matmul } from "../ops/matmul.js";
import { sumRows } from "../ops/reduce.js";
import { activationBackward, checkActivation, type Activation } from "../ops/activations.js";
import { mul } from "../ops/elementwise.js";
import { linear } from "../ops/dense.js";
import { BufferCache } from "./buffers.js";
import { initWeights, type InitScheme } from "./init.js";
import type { Layer, Parameter } from "./module.js";

export interface DenseOptions {
  activation?: Activation;
  init?: InitScheme;
  /** Seeds the weights (ignored when rng is given). */
  seed?: number;
  /** Share one generator across layers so one seed fixes a whole network. */
  rng?: Random;
  /** Prefix for parameter names, e.g. "layers.0". */
  name?: string;
}

export type MatrixInput = Float32Array | ArrayLike<number> | number[][] | Tensor;

export class Dense implements Layer {
  readonly kind = "Dense";
  readonly activation: Activation;
  readonly name: string;
  private readonly backend: Backend;
  private readonly w: Tensor;
  private readonly b: Tensor;
  private readonly gw: Tensor;
  private readonly gb: Tensor;
  private readonly buffers = new BufferCache();
  private input: Tensor | undefined;
  private output: Tensor | undefined;
  /** dL/dz of the last backwardParameters(), which backwardInput() multiplies by Wᵀ. */
  private dz: Tensor | undefined;
  /** activation'(x·W + b) of the last forward, kept only for GELU (whose output does not determine it). */
  private activationGrad: Tensor | undefined;

  constructor(readonly inputs: number, readonly outputs: number, options: DenseOptions = {}) {
    for (const [what, v] of [["inputs", inputs], ["outputs", outputs]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ShapeError(`Dense: ${what} must be a positive integer, got ${v}`);
    }
    const { activation = "linear", init = activation === "relu" ? "he" : "xavier" } = options;
    checkActivation("Dense", activation);
    this.activation = activation;
    this.name = options.name ?? "dense";
    this.backend = getBackend();
    const rng = options.rng ?? new Random(options.seed ?? 0);
    const wData = initWeights(init, inputs, outputs, rng);
    [this.w, this.b, this.gw, this.gb] = disposeOnThrow(() => untracked(() => [
      tensor(wData, [inputs, outputs]),
      tensor(new Float32Array(outputs), [1, outputs]),
      tensor(new Float32Array(inputs * outputs), [inputs, outputs]),
      tensor(new Float32Array(outputs), [1, outputs]),
    ]));
  }

  /** W, [inputs, outputs]: column j is neuron j's weights. Assign a Float32Array/rows/Tensor to set it. */
  get weights(): Tensor {
    return this.w;
  }

  set weights(value: MatrixInput) {
    this.assign(this.w, value, "weights");
  }

  /** b, [1, outputs]. */
  get bias(): Tensor {
    return this.b;
  }

  set bias(value: MatrixInput) {
    this.assign(this.b, value, "bias");
  }

  /** The tutorial's Neuron j: its incoming weights (column j of W) and its bias. */
  neuron(j: number): { weights: Float32Array; bias: number } {
    if (!Number.isInteger(j) || j < 0 || j >= this.outputs) {
      throw new ShapeError(`${this.name}.neuron: index ${j} out of range [0, ${this.outputs})`);
    }
    const w = this.w.view();
    const weights = new Float32Array(this.inputs);
    for (let i = 0; i < this.inputs; i++) weights[i] = w[i * this.outputs + j]!;
    return { weights, bias: this.b.view()[j]! };
  }

  forward(x: Tensor): Tensor {
    if (x.rank !== 2 || x.shape[1] !== this.inputs) {
      throw new ShapeError(`${this.name}: input ${formatShape(x.shape)} does not fit a Dense layer of ${this.inputs} inputs (need [rows,${this.inputs}])`);
    }
    const rows = x.shape[0]!;
    const out = this.buffers.get(this.backend, "out", [rows, this.outputs]);
    // GELU keeps gelu'(z) rather than z: the epilogue has its σ at hand, and the backward is then one multiply.
    const activationGrad = this.activation === "gelu" ? this.buffers.get(this.backend, "gelu'", [rows, this.outputs]) : undefined;
    linear(x, this.w, this.b, { activation: this.activation, out, ...(activationGrad ? { activationGrad } : {}) });
    this.activationGrad = activationGrad;
    this.input = x;
    this.output = out;
    this.dz = undefined;
    return out;
  }

  backward(dy: Tensor, needInputGrad = true): Tensor | undefined {
    this.backwardParameters(dy);
    return needInputGrad ? this.backwardInput() : undefined;
  }

  /**
   * gelu'(x·W + b) of the last forward (GELU layers only; undefined otherwise): what a following layer's
   * backwardInput(multiplyBy) can fuse into its GEMM, so that this layer's backwardParameters gets dL/dz directly.
   */
  get activationGradient(): Tensor | undefined {
    return this.activationGrad;
  }

  /**
   * The first half of backward(): writes dW and db from dy = dL/dy and keeps dz for backwardInput().
   * With dyIsDz, dy is already dL/dz (the activation's derivative applied, e.g. by the next layer's
   * backwardInput(this.activationGradient)) and is used as it is.
   */
  backwardParameters(dy: Tensor, dyIsDz = false): void {
    const x = this.input;
    const y = this.output;
    if (!x || !y) throw new ShapeError(`${this.name}: backward called before forward`);
    if (dy.shape[0] !== y.shape[0] || dy.shape[1] !== y.shape[1]) {
      throw new ShapeError(`${this.name}: gradient ${formatShape(dy.shape)} does not match the output ${formatShape(y.shape)}`);
    }
    const dz = this.activation === "linear" || dyIsDz ? dy : this.buffers.get(this.backend, "dz", y.shape);
    if (dz !== dy) {
      if (this.activationGrad) mul(dy, this.activationGrad, { out: dz });
      else activationBackward(this.activation, y, dy, { out: dz });
    }
    matmul(x, dz, { transposeA: true, out: this.gw });
    sumRows(dz, { out: this.gb });
    this.dz = dz;
  }

  /**
   * The second half: dL/dx = dz·Wᵀ with W as it is now (updated, if an update ran in between); times multiplyBy
   * elementwise when given ([rows, inputs]: the previous layer's activationGradient, in the GEMM's epilogue).
   */
  backwardInput(multiplyBy?: Tensor): Tensor {
    const dz = this.dz;
    if (!dz) throw new ShapeError(`${this.name}: backwardInput called before backwardParameters`);
    const dx = this.buffers.get(this.backend, "dx", [dz.shape[0]!, this.inputs]);
    if (multiplyBy) return linear(dz, this.w, null, { transposeW: true, out: dx, multiplyBy });
    return matmul(dz, this.w, { transposeB: true, out: dx });
  }

  parameters(): Parameter[] {
    return [
      { name: `${this.name}.weights`, value: this.w, grad: this.gw },
      { name: `${this.name}.bias`, value: this.b, grad: this.gb },
    ];
  }

  dispose(): void {
    for (const t of [this.w, this.b, this.gw, this.gb]) t.dispose();
    this.buffers.dispose();
    this.input = this.output = this.dz = this.activationGrad = undefined;
  }

  private assign(target: Tensor, value: MatrixInput, what: string): void {
    let flat: ArrayLike<number>;
    if (value instanceof Float32Array || !Array.isArray(value)) {
      flat = "view" in (value as object) ? (value as Tensor).toFloat32Array() : (value as ArrayLike<number>);
    } else {
      const rows = value as number[][];
      if (rows.length > 0 && Array.isArray(rows[0])) {
        if (rows.length !== target.shape[0] || rows.some((r) => r.length !== target.shape[1])) {
          throw new ShapeError(`${this.name}.${what}: rows do not form ${formatShape(target.shape)}`);
        }
        flat = rows.flat();
      } else {
        flat = value as unknown as number[];
      }
    }
    if (flat.length !== target.size) {
      throw new ShapeError(`${this.name}.${what}: ${flat.length} values given, ${formatShape(target.shape)} needs ${target.size}`);
    }
    target.view().set(flat);
  }
}
