// Plain-JavaScript versions of the benchmarked kernels: the baseline the Wasm builds are compared
// with, and the reference their outputs are checked against before anything is timed.

/** C[m×n] = A[m×k]·B[k×n], i-k-j order (the fast order for row-major JS arrays). */
export function gemmJs(a, b, m, n, k) {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++)
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      const row = p * n;
      const out = i * n;
      for (let j = 0; j < n; j++) c[out + j] += aip * b[row + j];
    }
  return c;
}

/** Row-wise softmax of x[rows×cols], max-subtracted. */
export function softmaxJs(x, rows, cols) {
  const y = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let j = 0; j < cols; j++) max = Math.max(max, x[r * cols + j]);
    let sum = 0;
    for (let j = 0; j < cols; j++) sum += y[r * cols + j] = Math.exp(x[r * cols + j] - max);
    for (let j = 0; j < cols; j++) y[r * cols + j] /= sum;
  }
  return y;
}

/** Causal attention softmax(Q·Kᵀ/√d)·V for h heads of [T, d] (head-major [h, T, d]). */
export function attentionJs(q, k, v, h, t, d) {
  const out = new Float32Array(h * t * d);
  const s = new Float64Array(t);
  const scale = 1 / Math.sqrt(d);
  for (let head = 0; head < h; head++) {
    const base = head * t * d;
    for (let i = 0; i < t; i++) {
      let max = -Infinity;
      for (let j = 0; j <= i; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[base + i * d + c] * k[base + j * d + c];
        s[j] = dot * scale;
        if (s[j] > max) max = s[j];
      }
      let sum = 0;
      for (let j = 0; j <= i; j++) sum += s[j] = Math.exp(s[j] - max);
      for (let j = 0; j <= i; j++) {
        const p = s[j] / sum;
        for (let c = 0; c < d; c++) out[base + i * d + c] += p * v[base + j * d + c];
      }
    }
  }
  return out;
}

/** Largest |got − want| relative to the largest |want|: one number per output, for the check column. */
export function relativeError(got, want) {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    if (!(e <= worst)) worst = Number.isNaN(e) ? Infinity : e;
  }
  return worst / Math.max(scale, 1e-30);
}
