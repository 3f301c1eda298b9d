// The tutorial's Neuron, Layer and NeuralNetwork classes transcribed line by line into float64
// TypeScript, neuron by neuron as its numpy code runs (not vectorised): the oracle for
// NeuralNetwork.tutorial. Matrices are row-major Float64Arrays; the numpy line each step mirrors is
// quoted beside it. `rule: "pre"` swaps one line (propagate through the weights from before the
// update) so tests can show the two rules really differ on their data.

type Matrix = { rows: number; cols: number; data: Float64Array };

const matrix = (rows: number, cols: number): Matrix => ({ rows, cols, data: new Float64Array(rows * cols) });

export class TutorialNeuron {
  /** [num_inputs, 1] */
  weights: Float64Array;
  bias = 0;
  private lastInput: Matrix | undefined;
  private lastOutput: Float64Array | undefined;

  constructor(weights: ArrayLike<number>, bias: number) {
    this.weights = Float64Array.from(weights);
    this.bias = bias;
  }

  /** self.last_output = relu(np.dot(activations, self.weights) + self.bias), [rows, 1] */
  forward(a: Matrix): Float64Array {
    this.lastInput = a;
    const out = new Float64Array(a.rows);
    for (let r = 0; r < a.rows; r++) {
      let z = this.bias;
      for (let i = 0; i < a.cols; i++) z += a.data[r * a.cols + i]! * this.weights[i]!;
      out[r] = Math.max(0, z);
    }
    this.lastOutput = out;
    return out;
  }

  backward(dCda: Float64Array, learningRate: number, rule: "updated" | "pre"): Matrix {
    const x = this.lastInput!;
    // da_dz = self.relu_derivative(self.last_output); dC_dz = dC_da * da_dz
    const dz = dCda.map((g, r) => g * (this.lastOutput![r]! > 0 ? 1 : 0));
    // dC_dw = np.dot(self.last_input.T, dC_dz); dC_db = np.sum(dC_dz, axis=0, keepdims=True)
    const dw = new Float64Array(x.cols);
    let db = 0;
    for (let r = 0; r < x.rows; r++) {
      db += dz[r]!;
      for (let i = 0; i < x.cols; i++) dw[i] += x.data[r * x.cols + i]! * dz[r]!;
    }
    const before = this.weights.slice();
    // self.weights -= learning_rate * dC_dw; self.bias -= learning_rate * dC_db
    for (let i = 0; i < x.cols; i++) this.weights[i] -= learningRate * dw[i]!;
    this.bias -= learningRate * db;
    // return np.dot(dC_dz, self.weights.T): the UPDATED weights
    const w = rule === "updated" ? this.weights : before;
    const dx = matrix(x.rows, x.cols);
    for (let r = 0; r < x.rows; r++) for (let i = 0; i < x.cols; i++) dx.data[r * x.cols + i] = dz[r]! * w[i]!;
    return dx;
  }
}

export class TutorialLayer {
  constructor(readonly neurons: TutorialNeuron[]) {}

  /** np.hstack([neuron.forward(activations) for neuron in self.neurons]) */
  forward(a: Matrix): Matrix {
    const outs = this.neurons.map((n) => n.forward(a));
    const m = matrix(a.rows, this.neurons.length);
    outs.forEach((col, j) => col.forEach((v, r) => (m.data[r * m.cols + j] = v)));
    return m;
  }

  /** np.sum([neuron.backward(output_gradient[:, [i]], lr) for i, neuron in ...], axis=0) */
  backward(g: Matrix, learningRate: number, rule: "updated" | "pre"): Matrix {
    let sum: Matrix | undefined;
    this.neurons.forEach((n, j) => {
      const column = new Float64Array(g.rows);
      for (let r = 0; r < g.rows; r++) column[r] = g.data[r * g.cols + j]!;
      const dx = n.backward(column, learningRate, rule);
      if (!sum) sum = dx;
      else dx.data.forEach((v, k) => (sum!.data[k] += v));
    });
    return sum!;
  }
}

export class TutorialNetwork {
  /**
   * Layers from simdnet's layout: `weights[l]` is [inputs, outputs] row-major (column j is neuron j's
   * weights, as the tutorial's np.hstack of [n, 1] columns makes it), `biases[l]` is [outputs].
   */
  readonly layers: TutorialLayer[];

  constructor(sizes: readonly number[], weights: ArrayLike<number>[], biases: ArrayLike<number>[], readonly rule: "updated" | "pre" = "updated") {
    this.layers = sizes.slice(1).map((outputs, l) => {
      const inputs = sizes[l]!;
      return new TutorialLayer(
        Array.from({ length: outputs }, (_, j) => new TutorialNeuron(Array.from({ length: inputs }, (_, i) => weights[l]![i * outputs + j]!), biases[l]![j]!)),
      );
    });
  }

  forward(a: Matrix): Matrix {
    for (const layer of this.layers) a = layer.forward(a);
    return a;
  }

  /** The tutorial's train(); returns the per-epoch avg_loss it prints. */
  train(x: ArrayLike<number>, y: ArrayLike<number>, samples: number, epochs: number, learningRate: number, batchSize = 32): number[] {
    const inputs = x.length / samples;
    const outputs = y.length / samples;
    const losses: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      let total = 0;
      for (let i = 0; i < samples; i += batchSize) {
        const rows = Math.min(batchSize, samples - i);
        const xb: Matrix = { rows, cols: inputs, data: Float64Array.from({ length: rows * inputs }, (_, k) => x[i * inputs + k]!) };
        const yb = Float64Array.from({ length: rows * outputs }, (_, k) => y[i * outputs + k]!);
        const out = this.forward(xb);
        // loss = np.mean((activations - y) ** 2); total_loss += loss * len(X_batch)
        let sq = 0;
        out.data.forEach((v, k) => (sq += (v - yb[k]!) ** 2));
        total += (sq / out.data.length) * rows;
        // output_gradient = 2 * (activations - y) / y.shape[0]
        let g: Matrix = { rows, cols: outputs, data: out.data.map((v, k) => (2 * (v - yb[k]!)) / rows) };
        for (let l = this.layers.length - 1; l >= 0; l--) g = this.layers[l]!.backward(g, learningRate, this.rule);
      }
      losses.push(total / samples);
    }
    return losses;
  }

  /** Layer l's weights in simdnet's [inputs, outputs] layout, and its biases. */
  parameters(l: number): { weights: Float64Array; bias: Float64Array } {
    const neurons = this.layers[l]!.neurons;
    const inputs = neurons[0]!.weights.length;
    const weights = new Float64Array(inputs * neurons.length);
    neurons.forEach((n, j) => n.weights.forEach((w, i) => (weights[i * neurons.length + j] = w)));
    return { weights, bias: Float64Array.from(neurons, (n) => n.bias) };
  }
}
