// Float64 reference implementations: the oracles every op is tested against. Written for
// obviousness, not speed; inputs are the float32 values the op saw, widened to f64.

export type Matrix = { rows: number; cols: number; data: Float64Array };

export function fromF32(data: Float32Array, rows: number, cols: number): Matrix {
  return { rows, cols, data: Float64Array.from(data) };
}

export function transpose(m: Matrix): Matrix {
  const out = new Float64Array(m.rows * m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) out[j * m.rows + i] = m.data[i * m.cols + j]!;
  return { rows: m.cols, cols: m.rows, data: out };
}

export function matmulRef(a: Matrix, b: Matrix): Matrix {
  if (a.cols !== b.rows) throw new Error("matmulRef: inner dimensions differ");
  const out = new Float64Array(a.rows * b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < b.cols; j++) {
      let s = 0;
      for (let p = 0; p < a.cols; p++) s += a.data[i * a.cols + p]! * b.data[p * b.cols + j]!;
      out[i * b.cols + j] = s;
    }
  }
  return { rows: a.rows, cols: b.cols, data: out };
}

/** Row softmax of x/temperature; with causal, row i of a rows×cols matrix sees j <= i + cols − rows. */
export function softmaxRef(x: ArrayLike<number>, rows: number, cols: number, temperature = 1, causal = false, log = false): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    const visible = causal ? Math.min(cols, i + cols - rows + 1) : cols;
    let max = -Infinity;
    for (let j = 0; j < visible; j++) max = Math.max(max, x[i * cols + j]! / temperature);
    let sum = 0;
    for (let j = 0; j < visible; j++) sum += Math.exp(x[i * cols + j]! / temperature - max);
    for (let j = 0; j < cols; j++) {
      const z = x[i * cols + j]! / temperature - max;
      if (log) out[i * cols + j] = j < visible ? z - Math.log(sum) : -Infinity;
      else out[i * cols + j] = j < visible ? Math.exp(z) / sum : 0;
    }
  }
  return out;
}

/** Attention for one head: softmax(Q·Kᵀ·scale, causal)·V with Q [tq,d], K/V [tk,d]. */
export function attentionRef(q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, tq: number, tk: number, d: number, scale: number, causal: boolean): Float64Array {
  const scores = new Float64Array(tq * tk);
  for (let i = 0; i < tq; i++) {
    for (let j = 0; j < tk; j++) {
      let s = 0;
      for (let p = 0; p < d; p++) s += q[i * d + p]! * k[j * d + p]!;
      scores[i * tk + j] = s * scale;
    }
  }
  const probs = softmaxRef(scores, tq, tk, 1, causal);
  const out = new Float64Array(tq * d);
  for (let i = 0; i < tq; i++) {
    for (let j = 0; j < tk; j++) {
      const p = probs[i * tk + j]!;
      if (p === 0) continue;
      for (let c = 0; c < d; c++) out[i * d + c] += p * v[j * d + c]!;
    }
  }
  return out;
}

/** Float64 attention of one head with its lse and gradients, from the definitions (full P). */
export function attentionGradRef(
  q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>, dout: ArrayLike<number>,
  tq: number, tk: number, d: number, scale: number, causal: boolean,
) {
  const lse = new Float64Array(tq), dq = new Float64Array(tq * d), dk = new Float64Array(tk * d), dv = new Float64Array(tk * d);
  for (let i = 0; i < tq; i++) {
    const cv = causal ? Math.max(0, Math.min(tk, i + 1 + tk - tq)) : tk;
    if (cv === 0) {
      lse[i] = -Infinity;
      continue;
    }
    const s = Array.from({ length: cv }, (_, j) => {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += q[i * d + c]! * k[j * d + c]!;
      return acc * scale;
    });
    const m = Math.max(...s);
    const sum = s.reduce((a, x) => a + Math.exp(x - m), 0);
    lse[i] = m + Math.log(sum);
    const p = s.map((x) => Math.exp(x - lse[i]!));
    const dp = p.map((_, j) => {
      let acc = 0;
      for (let c = 0; c < d; c++) acc += dout[i * d + c]! * v[j * d + c]!;
      return acc;
    });
    const dd = p.reduce((a, pj, j) => a + pj * dp[j]!, 0);
    for (let j = 0; j < cv; j++) {
      const ds = p[j]! * (dp[j]! - dd) * scale;
      for (let c = 0; c < d; c++) {
        dq[i * d + c] += ds * k[j * d + c]!;
        dk[j * d + c] += ds * q[i * d + c]!;
        dv[j * d + c] += p[j]! * dout[i * d + c]!;
      }
    }
  }
  return { lse, dq, dk, dv };
}
