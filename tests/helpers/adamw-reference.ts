// A float64 AdamW written from the paper's equations (Loshchilov & Hutter; PyTorch's convention of
// decaying by lr·λ·w with the weights from before the step), as an oracle for Adam/adamStep and the
// GPT trainer. It computes its own bias corrections from its own step counter, so it shares no
// arithmetic with the code under test.

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class AdamWReference {
  readonly m: Float64Array;
  readonly v: Float64Array;
  t = 0;

  constructor(size: number) {
    this.m = new Float64Array(size);
    this.v = new Float64Array(size);
  }

  /** Updates `w` in place; `decay` false means λ = 0 for this tensor. */
  step(w: Float64Array, g: ArrayLike<number>, h: AdamWHyper, decay = true): void {
    this.t++;
    const correction1 = 1 - Math.pow(h.beta1, this.t);
    const correction2 = 1 - Math.pow(h.beta2, this.t);
    const lambda = decay ? h.weightDecay : 0;
    for (let i = 0; i < w.length; i++) {
      const gi = g[i]!;
      this.m[i] = h.beta1 * this.m[i]! + (1 - h.beta1) * gi;
      this.v[i] = h.beta2 * this.v[i]! + (1 - h.beta2) * gi * gi;
      const mHat = this.m[i]! / correction1;
      const vHat = this.v[i]! / correction2;
      w[i] = w[i]! - h.lr * (mHat / (Math.sqrt(vHat) + h.eps) + lambda * w[i]!);
    }
  }
}

/** max |a − e| / (atol + rtol·|e|): ≤ 1 means within tolerance. Returns the ratio and where. */
export function worstExcess(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number): { ratio: number; index: number } {
  let ratio = 0;
  let index = -1;
  for (let i = 0; i < expected.length; i++) {
    const r = Math.abs(actual[i]! - expected[i]!) / (atol + rtol * Math.abs(expected[i]!));
    if (!(r <= ratio)) {
      ratio = r;
      index = i;
    }
  }
  return { ratio, index };
}
