// A plain-JavaScript float32 multilayer perceptron with one training step (forward, MSE loss,
// backward, SGD update): the same network and the same math as simdnet's NeuralNetwork with ReLU
// hidden layers, loss "mse" / "mse-tutorial" and optimizer "sgd", written the way a careful person
// would without Wasm: Float32Array storage, buffers allocated once per batch size, and the i-k-j loop
// order (row of the result, shared dimension, column of the result) for all three products:
//
//   forward   z  = x·W + b     z[i,j]  += x[i,p]·W[p,j]     inner loop along rows of W and z
//   weights   dW = xᵀ·dz       dW[p,j] += x[i,p]·dz[i,j]    inner loop along rows of dz and dW
//   inputs    dx = dz·Wᵀ       dx[i,p] += dz[i,j]·W[p,j]    inner loop down a column of W
//
// For dx the inner loop reads W with stride `outputs`; the dot-product order (inner loop along rows
// of dz and W) measured the same within noise, and dx is only 4 % of a step's multiply-adds for
// 784-128-64-10 (layer 0 needs none). Nothing is skipped: ReLU zeros are multiplied like any value.
//
// Layout as in simdnet's Dense: W is [inputs, outputs] row-major, b is [outputs], activations and
// gradients are [rows, units] row-major.

export interface PlainMlpOptions {
  /** Activation of the last layer (hidden layers are always ReLU). */
  outputActivation: "linear" | "relu";
  /** Gradient of the loss: "mse" = 2(a − y)/(rows·outputs), "mse-tutorial" = 2(a − y)/rows. */
  loss: "mse" | "mse-tutorial";
}

interface Buffers {
  rows: number;
  /** acts[0] is unused (the input); acts[l + 1] is layer l's output, [rows, sizes[l + 1]]. */
  acts: Float32Array[];
  /** Gradient with respect to each layer's output (after the activation), [rows, sizes[l + 1]]. */
  grads: Float32Array[];
}

export class PlainMLP {
  readonly sizes: readonly number[];
  readonly weights: Float32Array[];
  readonly biases: Float32Array[];
  readonly gradWeights: Float32Array[];
  readonly gradBiases: Float32Array[];
  private readonly options: PlainMlpOptions;
  private buffers: Buffers | undefined;

  /** Copies the given weights ([inputs × outputs] row-major per layer) and biases. */
  constructor(sizes: readonly number[], weights: Float32Array[], biases: Float32Array[], options: PlainMlpOptions) {
    this.sizes = sizes.slice();
    this.options = { ...options };
    const layers = sizes.length - 1;
    if (weights.length !== layers || biases.length !== layers) throw new Error(`PlainMLP: need ${layers} weight and bias arrays`);
    this.weights = [];
    this.biases = [];
    this.gradWeights = [];
    this.gradBiases = [];
    for (let l = 0; l < layers; l++) {
      const n = sizes[l]! * sizes[l + 1]!;
      if (weights[l]!.length !== n || biases[l]!.length !== sizes[l + 1]!) throw new Error(`PlainMLP: layer ${l} has the wrong size`);
      this.weights.push(Float32Array.from(weights[l]!));
      this.biases.push(Float32Array.from(biases[l]!));
      this.gradWeights.push(new Float32Array(n));
      this.gradBiases.push(new Float32Array(sizes[l + 1]!));
    }
  }

  private buffersFor(rows: number): Buffers {
    if (this.buffers?.rows === rows) return this.buffers;
    const acts = [new Float32Array(0)];
    const grads = [new Float32Array(0)]; // dL/dx of the input layer is never needed
    for (let l = 1; l < this.sizes.length; l++) {
      acts.push(new Float32Array(rows * this.sizes[l]!));
      grads.push(new Float32Array(rows * this.sizes[l]!));
    }
    this.buffers = { rows, acts, grads };
    return this.buffers;
  }

  /**
   * One training step on x [rows, inputs] and targets y [rows, outputs]: forward, loss, backward,
   * W −= lr·dW, b −= lr·db. Returns the loss mean((a − y)²) before the update.
   */
  step(x: Float32Array, y: Float32Array, rows: number, lr: number): number {
    const sizes = this.sizes;
    const layers = sizes.length - 1;
    const { acts, grads } = this.buffersFor(rows);

    // Forward: z = x·W + b, a = relu(z) (or z on a linear output layer).
    let input = x;
    for (let l = 0; l < layers; l++) {
      const k = sizes[l]!;
      const n = sizes[l + 1]!;
      const w = this.weights[l]!;
      const b = this.biases[l]!;
      const out = acts[l + 1]!;
      const relu = l < layers - 1 || this.options.outputActivation === "relu";
      for (let i = 0; i < rows; i++) {
        const oi = i * n;
        for (let j = 0; j < n; j++) out[oi + j] = 0;
        const xi = i * k;
        for (let p = 0; p < k; p++) {
          const xip = input[xi + p]!;
          const wp = p * n;
          for (let j = 0; j < n; j++) out[oi + j] += xip * w[wp + j]!;
        }
        for (let j = 0; j < n; j++) {
          const z = out[oi + j]! + b[j]!;
          out[oi + j] = relu && z < 0 ? 0 : z;
        }
      }
      input = out;
    }

    // Loss and its gradient with respect to the output.
    const outputs = sizes[layers]!;
    const a = acts[layers]!;
    const g = grads[layers]!;
    const size = rows * outputs;
    const scale = this.options.loss === "mse" ? 2 / size : 2 / rows;
    let sum = 0;
    for (let i = 0; i < size; i++) {
      const d = a[i]! - y[i]!;
      sum += d * d;
      g[i] = scale * d;
    }
    const loss = sum / size;

    // Backward, last layer first. grads[l + 1] holds dL/da for layer l's output; it becomes dz in place.
    for (let l = layers - 1; l >= 0; l--) {
      const k = sizes[l]!;
      const n = sizes[l + 1]!;
      const w = this.weights[l]!;
      const out = acts[l + 1]!;
      const dz = grads[l + 1]!;
      const xin = l === 0 ? x : acts[l]!;
      const relu = l < layers - 1 || this.options.outputActivation === "relu";
      if (relu) for (let i = 0; i < rows * n; i++) if (!(out[i]! > 0)) dz[i] = 0;

      // dW = xᵀ·dz [k, n]
      const gw = this.gradWeights[l]!;
      for (let p = 0; p < k; p++) {
        const gp = p * n;
        for (let j = 0; j < n; j++) gw[gp + j] = 0;
        for (let i = 0; i < rows; i++) {
          const xip = xin[i * k + p]!;
          const di = i * n;
          for (let j = 0; j < n; j++) gw[gp + j] += xip * dz[di + j]!;
        }
      }
      // db = Σ_rows dz
      const gb = this.gradBiases[l]!;
      for (let j = 0; j < n; j++) gb[j] = 0;
      for (let i = 0; i < rows; i++) {
        const di = i * n;
        for (let j = 0; j < n; j++) gb[j] += dz[di + j]!;
      }
      // dx = dz·Wᵀ [rows, k], through the weights from before the update (not needed for layer 0).
      if (l > 0) {
        const dx = grads[l]!;
        for (let i = 0; i < rows; i++) {
          const xi = i * k;
          for (let p = 0; p < k; p++) dx[xi + p] = 0;
          const di = i * n;
          for (let j = 0; j < n; j++) {
            const dij = dz[di + j]!;
            for (let p = 0; p < k; p++) dx[xi + p] += dij * w[p * n + j]!;
          }
        }
      }
    }

    // SGD update.
    for (let l = 0; l < layers; l++) {
      const w = this.weights[l]!;
      const gw = this.gradWeights[l]!;
      for (let i = 0; i < w.length; i++) w[i] -= lr * gw[i]!;
      const b = this.biases[l]!;
      const gb = this.gradBiases[l]!;
      for (let j = 0; j < b.length; j++) b[j] -= lr * gb[j]!;
    }
    return loss;
  }
}
