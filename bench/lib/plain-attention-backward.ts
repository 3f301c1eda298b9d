// Plain-JavaScript float32 backward of causal (or full) multi-head scaled dot-product attention, the
// baseline of the attention-backward benchmark. q, k, v, out, dout and the gradients are [h, T, d]
// row-major. Nothing is saved from the forward but `out`: the weights P are recomputed row by row
// from the scores, as a memory-conscious implementation would (no h×T×T buffer).
//
// Per head, per query row i (P_i = softmax(q_i·Kᵀ·scale) over the visible keys):
//   D_i   = Σ_p dO[i,p]·O[i,p]                (= rowsum(dO ⊙ O))
//   dP_ij = dO_i · v_j
//   dS_ij = P_ij·(dP_ij − D_i)
//   dQ_i  = scale · Σ_j dS_ij·k_j
//   dK_j += scale · dS_ij·q_i
//   dV_j += P_ij·dO_i

import { attentionRowJS } from "./plain.js";

/** Scratch rows for attentionBackwardJS (allocate once, reuse: the function allocates nothing). */
export function attentionBackwardScratch(T: number): { p: Float32Array } {
  return { p: new Float32Array(T) };
}

export function attentionBackwardJS(
  q: Float32Array, k: Float32Array, v: Float32Array, out: Float32Array, dout: Float32Array,
  dq: Float32Array, dk: Float32Array, dv: Float32Array,
  h: number, T: number, d: number, causal: boolean, scratch: { p: Float32Array }, scale = 1 / Math.sqrt(d),
): void {
  const p = scratch.p;
  dk.fill(0, 0, h * T * d);
  dv.fill(0, 0, h * T * d);
  for (let hh = 0; hh < h; hh++) {
    const base = hh * T * d;
    for (let i = 0; i < T; i++) {
      const qi = base + i * d;
      const len = causal ? i + 1 : T;
      // Recompute the row of weights.
      const inv = attentionRowJS(q, k, qi, base, len, d, scale, p);
      let D = 0;
      for (let c = 0; c < d; c++) D += dout[qi + c] * out[qi + c];
      for (let c = 0; c < d; c++) dq[qi + c] = 0;
      for (let j = 0; j < len; j++) {
        const pj = p[j] * inv;
        const kj = base + j * d;
        let dp = 0;
        for (let c = 0; c < d; c++) dp += dout[qi + c] * v[kj + c];
        const ds = pj * (dp - D) * scale;
        for (let c = 0; c < d; c++) {
          dq[qi + c] += ds * k[kj + c];
          dk[kj + c] += ds * q[qi + c];
          dv[kj + c] += pj * dout[qi + c];
        }
      }
    }
  }
}
