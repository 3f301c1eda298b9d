// A float64 multilayer perceptron written straight from the tutorial's equations, as the oracle
// for NeuralNetwork: z = a·W + b, a = act(z), MSE reported as mean((a − y)²), backprop by the chain
// rule from the last layer to the first using the weights from before the update, plain SGD.

export type RefActivation = "relu" | "sigmoid" | "tanh" | "linear";
export type RefLoss = "mse" | "mse-tutorial";

export interface RefLayer {
  w: Float64Array; // [inputs, outputs]
  b: Float64Array; // [outputs]
  inputs: number;
  outputs: number;
  act: RefActivation;
}

const act = (f: RefActivation, z: number): number =>
  f === "relu" ? Math.max(0, z) : f === "sigmoid" ? 1 / (1 + Math.exp(-z)) : f === "tanh" ? Math.tanh(z) : z;
/** Derivative from the output a, as the tutorial's relu_derivative(last_output). */
const actDeriv = (f: RefActivation, a: number): number =>
  f === "relu" ? (a > 0 ? 1 : 0) : f === "sigmoid" ? a * (1 - a) : f === "tanh" ? 1 - a * a : 1;

export function refForward(layers: RefLayer[], x: Float64Array, rows: number): Float64Array[] {
  const acts = [x];
  let a = x;
  for (const L of layers) {
    const out = new Float64Array(rows * L.outputs);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < L.outputs; j++) {
        let z = L.b[j]!;
        for (let i = 0; i < L.inputs; i++) z += a[r * L.inputs + i]! * L.w[i * L.outputs + j]!;
        out[r * L.outputs + j] = act(L.act, z);
      }
    }
    acts.push(out);
    a = out;
  }
  return acts;
}

/** One epoch of in-order minibatch SGD; returns the tutorial's epoch loss (sample-weighted mean of batch MSEs). */
export function refTrainEpoch(layers: RefLayer[], X: Float64Array, Y: Float64Array, n: number, batch: number, lr: number, loss: RefLoss): number {
  const inputs = layers[0]!.inputs;
  const outputs = layers[layers.length - 1]!.outputs;
  let total = 0;
  for (let start = 0; start < n; start += batch) {
    const rows = Math.min(batch, n - start);
    const xb = X.subarray(start * inputs, (start + rows) * inputs);
    const yb = Y.subarray(start * outputs, (start + rows) * outputs);
    const acts = refForward(layers, xb, rows);
    const out = acts[acts.length - 1]!;
    let sq = 0;
    for (let i = 0; i < out.length; i++) sq += (out[i]! - yb[i]!) ** 2;
    total += (sq / out.length) * rows;
    const scale = loss === "mse" ? 2 / out.length : 2 / rows;
    let grad: Float64Array = out.map((v, i) => scale * (v - yb[i]!));
    const updates: { dw: Float64Array; db: Float64Array }[] = [];
    for (let l = layers.length - 1; l >= 0; l--) {
      const L = layers[l]!;
      const a = acts[l + 1]!;
      const prev = acts[l]!;
      const dz = grad.map((g, i) => g * actDeriv(L.act, a[i]!));
      const dw = new Float64Array(L.inputs * L.outputs);
      const db = new Float64Array(L.outputs);
      const dx = new Float64Array(rows * L.inputs);
      for (let r = 0; r < rows; r++) {
        for (let j = 0; j < L.outputs; j++) {
          const d = dz[r * L.outputs + j]!;
          db[j] += d;
          for (let i = 0; i < L.inputs; i++) {
            dw[i * L.outputs + j] += prev[r * L.inputs + i]! * d;
            dx[r * L.inputs + i] += d * L.w[i * L.outputs + j]!;
          }
        }
      }
      updates[l] = { dw, db };
      grad = dx;
    }
    layers.forEach((L, l) => {
      L.w.forEach((v, i) => (L.w[i] = v - lr * updates[l]!.dw[i]!));
      L.b.forEach((v, i) => (L.b[i] = v - lr * updates[l]!.db[i]!));
    });
  }
  return total / n;
}
