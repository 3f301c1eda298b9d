// Float64 references: the oracle that the bench checks every implementation against (simdnet's builds,
// plain JS, the peers, numpy). Written for clarity, not speed, and independently of the float32
// baselines (plain.ts, plain-mlp.ts): full matrices, explicit weights P, float64 everywhere. The
// baselines are not reused with Float64Array storage on purpose: feeding them a second array type
// would make their timed loops polymorphic.

import { matmulRef } from "./plain.js";

type Floats = Float32Array | Float64Array;

/** Row softmax of x [rows, cols] with max subtraction. */
export function softmaxRef(x: Floats, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    let mx = -Infinity;
    for (let j = 0; j < cols; j++) mx = Math.max(mx, x[i * cols + j]!);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += out[i * cols + j] = Math.exp(x[i * cols + j]! - mx);
    for (let j = 0; j < cols; j++) out[i * cols + j]! /= sum;
  }
  return out;
}

/** The attention weights P [T, T] of head `hh` (q, k: [h, T, d]); masked entries are 0. */
function weightsRef(q: Floats, k: Floats, hh: number, T: number, d: number, causal: boolean): Float64Array {
  const base = hh * T * d;
  const s = new Float64Array(T * T);
  const scale = 1 / Math.sqrt(d);
  for (let i = 0; i < T; i++) {
    for (let j = 0; j < T; j++) {
      if (causal && j > i) {
        s[i * T + j] = -Infinity;
        continue;
      }
      let dot = 0;
      for (let c = 0; c < d; c++) dot += q[base + i * d + c]! * k[base + j * d + c]!;
      s[i * T + j] = dot * scale;
    }
  }
  return softmaxRef(s, T, T);
}

/** out = softmax(q·kᵀ/√d [causal]) · v per head; q, k, v, out: [h, T, d]. */
export function attentionRef(q: Floats, k: Floats, v: Floats, h: number, T: number, d: number, causal: boolean): Float64Array {
  const out = new Float64Array(h * T * d);
  for (let hh = 0; hh < h; hh++) {
    const p = weightsRef(q, k, hh, T, d, causal);
    const base = hh * T * d;
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const pij = p[i * T + j]!;
        if (pij === 0) continue;
        for (let c = 0; c < d; c++) out[base + i * d + c]! += pij * v[base + j * d + c]!;
      }
    }
  }
  return out;
}

/**
 * Gradients of attentionRef with respect to q, k and v for the output gradient dout, concatenated
 * [dq, dk, dv]: dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − rowsum(dP ⊙ P)), dQ = dS·K/√d, dK = dSᵀ·Q/√d.
 */
export function attentionBackwardRef(q: Floats, k: Floats, v: Floats, dout: Floats, h: number, T: number, d: number, causal: boolean): Float64Array {
  const n = h * T * d;
  const grads = new Float64Array(3 * n);
  const scale = 1 / Math.sqrt(d);
  for (let hh = 0; hh < h; hh++) {
    const p = weightsRef(q, k, hh, T, d, causal);
    const base = hh * T * d;
    const ds = new Float64Array(T * T);
    for (let i = 0; i < T; i++) {
      let rowDot = 0;
      for (let j = 0; j < T; j++) {
        let dp = 0;
        for (let c = 0; c < d; c++) dp += dout[base + i * d + c]! * v[base + j * d + c]!;
        ds[i * T + j] = dp;
        rowDot += dp * p[i * T + j]!;
      }
      for (let j = 0; j < T; j++) ds[i * T + j] = p[i * T + j]! * (ds[i * T + j]! - rowDot);
    }
    for (let i = 0; i < T; i++) {
      for (let j = 0; j < T; j++) {
        const pij = p[i * T + j]!;
        const sij = ds[i * T + j]! * scale;
        for (let c = 0; c < d; c++) {
          grads[base + i * d + c]! += sij * k[base + j * d + c]!;
          grads[n + base + j * d + c]! += sij * q[base + i * d + c]!;
          grads[2 * n + base + j * d + c]! += pij * dout[base + i * d + c]!;
        }
      }
    }
  }
  return grads;
}

/** [T, h·dh] rows ↔ [h, T, dh] heads. */
function toHeads(x: Floats, T: number, h: number, dh: number): Float64Array {
  const out = new Float64Array(T * h * dh);
  for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < dh; c++) out[(hh * T + t) * dh + c] = x[t * h * dh + hh * dh + c]!;
  return out;
}
function fromHeads(x: Floats, T: number, h: number, dh: number): Float64Array {
  const out = new Float64Array(T * h * dh);
  for (let t = 0; t < T; t++) for (let hh = 0; hh < h; hh++) for (let c = 0; c < dh; c++) out[t * h * dh + hh * dh + c] = x[(hh * T + t) * dh + c]!;
  return out;
}

/** Causal multi-head attention with projections, no biases: (softmax(QKᵀ/√dh)·V merged)·W_o, Q = x·W_q etc. */
export function mhaRef(x: Floats, wq: Floats, wk: Floats, wv: Floats, wo: Floats, T: number, d: number, h: number): Float64Array {
  const dh = d / h;
  const [q, k, v] = [wq, wk, wv].map((w) => toHeads(matmulRef(x, w, T, d, d), T, h, dh)) as [Float64Array, Float64Array, Float64Array];
  return matmulRef(fromHeads(attentionRef(q, k, v, h, T, dh, true), T, h, dh), wo, T, d, d);
}

export interface MlpStepRef {
  loss: number;
  /** Per layer, after the update. */
  weights: Float64Array[];
  biases: Float64Array[];
  gradWeights: Float64Array[];
  gradBiases: Float64Array[];
}

/**
 * One SGD step of a dense ReLU network (linear or ReLU output) on x [rows, sizes[0]] and targets y:
 * loss = mean((a − y)²); its gradient 2(a − y)/(rows·outputs) for "mse", 2(a − y)/rows for
 * "mse-tutorial"; dW = xᵀ·dz, db = Σ dz, dx = dz·Wᵀ through the weights before the update
 * (propagate "pre", standard backprop) or after it ("updated": the tutorial's Neuron.backward, which
 * updates its weights first).
 */
export function mlpStepRef(
  sizes: readonly number[], weights: Floats[], biases: Floats[], x: Floats, y: Floats, rows: number, lr: number,
  o: { outputActivation: "linear" | "relu"; loss: "mse" | "mse-tutorial" | "cross-entropy"; propagate?: "pre" | "updated" },
): MlpStepRef {
  const layers = sizes.length - 1;
  const relu = (l: number): boolean => l < layers - 1 || o.outputActivation === "relu";
  const acts: Float64Array[] = [Float64Array.from(x)];
  for (let l = 0; l < layers; l++) {
    const n = sizes[l + 1]!;
    const z = matmulRef(acts[l]!, weights[l]!, rows, sizes[l]!, n);
    for (let i = 0; i < z.length; i++) {
      z[i]! += biases[l]![i % n]!;
      if (relu(l) && z[i]! < 0) z[i] = 0;
    }
    acts.push(z);
  }
  const a = acts[layers]!;
  let loss: number;
  let dz: ReturnType<typeof matmulRef> = new Float64Array(a.length);
  if (o.loss === "cross-entropy") {
    // Mean over rows of −Σ y·log softmax(a); d/da = (softmax(a) − y) / rows.
    const classes = sizes[layers]!;
    const p = softmaxRef(a, rows, classes);
    let total = 0;
    for (let i = 0; i < a.length; i++) {
      if (y[i]! !== 0) total -= y[i]! * Math.log(p[i]!);
      dz[i] = (p[i]! - y[i]!) / rows;
    }
    loss = total / rows;
  } else {
    const scale = o.loss === "mse" ? 2 / a.length : 2 / rows;
    let sum = 0;
    for (let i = 0; i < a.length; i++) {
      sum += (a[i]! - y[i]!) ** 2;
      dz[i] = scale * (a[i]! - y[i]!);
    }
    loss = sum / a.length;
  }
  const gradWeights: Float64Array[] = [];
  const gradBiases: Float64Array[] = [];
  for (let l = layers - 1; l >= 0; l--) {
    const [k, n] = [sizes[l]!, sizes[l + 1]!];
    if (relu(l)) for (let i = 0; i < dz.length; i++) if (!(acts[l + 1]![i]! > 0)) dz[i] = 0;
    gradWeights[l] = matmulRef(acts[l]!, dz, k, rows, n, true);
    const gb = new Float64Array(n);
    for (let i = 0; i < dz.length; i++) gb[i % n]! += dz[i]!;
    gradBiases[l] = gb;
    const through = o.propagate === "updated" ? Float64Array.from(weights[l]!, (v, i) => v - lr * gradWeights[l]![i]!) : weights[l]!;
    if (l > 0) dz = matmulRef(dz, through, rows, n, k, false, true);
  }
  return {
    loss,
    weights: weights.map((w, l) => Float64Array.from(w, (v, i) => v - lr * gradWeights[l]![i]!)),
    biases: biases.map((b, l) => Float64Array.from(b, (v, i) => v - lr * gradBiases[l]![i]!)),
    gradWeights,
    gradBiases,
  };
}

/**
 * One AdamW step in float64 from `param` with gradient `grad` at 1-based step `step` with zero moments
 * before it (the first step of a fresh optimizer): bias corrections computed here, decay decoupled.
 */
export function adamFirstStepRef(param: Floats, grad: Floats, lr: number, h: { beta1: number; beta2: number; eps: number; weightDecay: number }): Float64Array {
  const out = new Float64Array(param.length);
  for (let i = 0; i < param.length; i++) {
    const g = grad[i]!;
    const m = (1 - h.beta1) * g;
    const v = (1 - h.beta2) * g * g;
    const mHat = m / (1 - h.beta1);
    const vHat = v / (1 - h.beta2);
    out[i] = param[i]! - lr * h.weightDecay * param[i]! - (lr * mHat) / (Math.sqrt(vHat) + h.eps);
  }
  return out;
}
