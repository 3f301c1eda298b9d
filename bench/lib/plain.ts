// Plain-JavaScript float32 baselines for the benchmarks: the code a careful person would write without
// Wasm. Typed arrays in and out, no allocation inside the hot functions, the loop orders that suit
// row-major storage. They are honest baselines, not strawmen, and they double as cross-checks.

/** C[m×n] = A[m×k] · B[k×n], row-major, i-k-j loop order (the inner loop streams rows of B and C). */
export function matmulJS(a: Float32Array, b: Float32Array, c: Float32Array, m: number, k: number, n: number): void {
  c.fill(0, 0, m * n);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    const ai = i * k;
    for (let p = 0; p < k; p++) {
      const aip = a[ai + p];
      const bp = p * n;
      for (let j = 0; j < n; j++) c[ci + j] += aip * b[bp + j];
    }
  }
}

/**
 * Float64 reference GEMM with optional transposes, for correctness checks only (slow on purpose: no
 * reordering, one float64 accumulator per output). op(A) is m×k, op(B) is k×n.
 */
export function matmulRef(
  a: Float32Array | Float64Array, b: Float32Array | Float64Array, m: number, k: number, n: number, transA = false, transB = false,
): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let p = 0; p < k; p++) {
        const x = transA ? a[p * m + i] : a[i * k + p];
        const y = transB ? b[j * k + p] : b[p * n + j];
        acc += x * y;
      }
      c[i * n + j] = acc;
    }
  }
  return c;
}

/**
 * Row-wise softmax of x[rows×cols] into out, with max subtraction. With `causal`, row i only sees
 * columns j <= i + (cols − rows) (the rest are written as 0), simdnet's bottom-right-aligned mask.
 */
export function softmaxJS(
  x: Float32Array, out: Float32Array, rows: number, cols: number, temperature = 1, causal = false,
): void {
  const invT = 1 / temperature;
  for (let i = 0; i < rows; i++) {
    const o = i * cols;
    const len = causal ? Math.max(0, Math.min(i + 1 + cols - rows, cols)) : cols;
    let mx = -Infinity;
    for (let j = 0; j < len; j++) if (x[o + j] > mx) mx = x[o + j];
    let sum = 0;
    for (let j = 0; j < len; j++) {
      const e = Math.exp((x[o + j] - mx) * invT);
      out[o + j] = e;
      sum += e;
    }
    const inv = 1 / sum;
    for (let j = 0; j < len; j++) out[o + j] *= inv;
    for (let j = len; j < cols; j++) out[o + j] = 0;
  }
}

/**
 * One query row's attention weights, unnormalized: w[j] = exp(q_i·k_j·scale − max) for the `len` visible
 * keys (rows base + j·d of k); returns 1/Σ w. Shared by the forward and the backward references.
 */
export function attentionRowJS(
  q: Float32Array, k: Float32Array, qi: number, base: number, len: number, d: number, scale: number, w: Float32Array,
): number {
  let mx = -Infinity;
  for (let j = 0; j < len; j++) {
    const kj = base + j * d;
    let s = 0;
    for (let p = 0; p < d; p++) s += q[qi + p] * k[kj + p];
    s *= scale;
    w[j] = s;
    if (s > mx) mx = s;
  }
  let sum = 0;
  for (let j = 0; j < len; j++) {
    const e = Math.exp(w[j] - mx);
    w[j] = e;
    sum += e;
  }
  return 1 / sum;
}

/**
 * Multi-head scaled dot-product attention: q, k, v and out are [h, T, d] row-major;
 * out = softmax(q·kᵀ·scale [+ causal mask]) · v per head. `scores` is a caller-owned scratch row of
 * length ≥ T (so the function allocates nothing). Default scale is 1/√d.
 */
export function attentionJS(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array,
  h: number, T: number, d: number, causal: boolean, scores: Float32Array, scale = 1 / Math.sqrt(d),
): void {
  for (let hh = 0; hh < h; hh++) {
    const base = hh * T * d;
    for (let i = 0; i < T; i++) {
      const qi = base + i * d;
      const len = causal ? i + 1 : T;
      const inv = attentionRowJS(q, k, qi, base, len, d, scale, scores);
      const oi = base + i * d;
      for (let p = 0; p < d; p++) out[oi + p] = 0;
      for (let j = 0; j < len; j++) {
        const w = scores[j] * inv;
        const vj = base + j * d;
        for (let p = 0; p < d; p++) out[oi + p] += w * v[vj + p];
      }
    }
  }
}

/** Largest |x - y| / max(|y|, floor) over the arrays, and where it happened. */
export function maxRelError(
  x: ArrayLike<number>, y: ArrayLike<number>, floor = 1e-3,
): { err: number; at: number } {
  if (x.length !== y.length) throw new Error(`length mismatch: ${x.length} vs ${y.length}`);
  let err = 0;
  let at = -1;
  for (let i = 0; i < x.length; i++) {
    let e = Math.abs(x[i] - y[i]) / Math.max(Math.abs(y[i]), floor);
    if (Number.isNaN(e)) e = Infinity; // a NaN anywhere is a failure, not a skipped element
    if (e > err) { err = e; at = i; }
  }
  return { err, at };
}
