// A gradient check on EVERY coordinate, for tiny models, with a per-coordinate bound derived from the
// error of float32 central differences instead of a blanket relative tolerance.
//
// The numeric derivative n(ε) = (L(w+ε) − L(w−ε)) / (w₊ − w₋) of a float32 loss has two errors:
//  - truncation: n(ε) = L' + c·ε² + O(ε⁴). Richardson: n(2ε) − n(ε) ≈ 3c·ε², so |n(ε) − n(2ε)|/3 estimates it
//    per coordinate, without knowing L'''.
//  - rounding: each float32 loss evaluation is off by about η·|L|. The losses here are means of non-negative
//    terms (MSE, cross-entropy), whose accumulated rounding stays within a few ulps of the total: η = 1e-7
//    (≈ 1.7·2^-24). So the quotient is off by ≤ 2η|L| / (w₊ − w₋).
// The analytic gradient itself is float32 (a few roundings of its own size). The bound is twice the sum of the
// three. Measured on tests/full-gradcheck.test.ts: worst |a − n|/bound 0.22–0.47 per model (GRADCHECK_REPORT=1
// prints it), so the bound is 2–4.5× the error; a 0.1% error in the MSE gradient scale fails by 9–37×.

import type { Layer, Loss, Tensor } from "../../src/index.js";

const ETA = 1e-7;

export interface CoordinateFailure {
  name: string;
  index: number;
  analytic: number;
  numeric: number;
  bound: number;
}

export interface FullCheckResult {
  checked: number;
  /** max over coordinates of |analytic − numeric| / bound (≤ 1 passes). */
  worstRatio: number;
  failures: CoordinateFailure[];
}

/** Checks d(loss)/d(every parameter coordinate) and, if checkInput, d(loss)/d(every input element). */
export function fullGradCheck(lossAt: () => number, backward: () => Tensor | undefined, targets: { name: string; value: Tensor; grad?: Tensor }[], epsilon = 1e-2): FullCheckResult {
  const base = lossAt();
  const dx = backward();
  const analytic = targets.map((t) => (t.grad ?? dx!).toFloat32Array());
  let checked = 0;
  let worstRatio = 0;
  const failures: CoordinateFailure[] = [];
  targets.forEach((t, k) => {
    for (let i = 0; i < t.value.size; i++) {
      const diff = (h: number): number => {
        const original = t.value.view()[i]!;
        t.value.view()[i] = original + h;
        const plus = lossAt();
        t.value.view()[i] = original - h;
        const minus = lossAt();
        t.value.view()[i] = original;
        const step = Math.fround(original + h) - Math.fround(original - h);
        return (plus - minus) / step;
      };
      const n1 = diff(epsilon);
      const n2 = diff(2 * epsilon);
      const a = analytic[k]![i]!;
      const step = 2 * epsilon;
      const bound = 2 * (Math.abs(n1 - n2) / 3 + (2 * ETA * Math.abs(base)) / step + 4 * 2 ** -24 * Math.abs(a)) + 1e-30;
      const ratio = Math.abs(a - n1) / bound;
      checked++;
      worstRatio = Math.max(worstRatio, ratio);
      if (!(ratio <= 1)) failures.push({ name: t.name, index: i, analytic: a, numeric: n1, bound });
    }
  });
  lossAt(); // leave the saved activations consistent with the unperturbed weights
  return { checked, worstRatio, failures };
}

/** fullGradCheck for a Layer and a Loss on one batch (x, y); the input gradient is checked too. */
export function fullLayerCheck(layer: Layer, loss: Loss, x: Tensor, y: Tensor, epsilon = 1e-2): FullCheckResult {
  const lossAt = () => loss.forward(layer.forward(x), y);
  const backward = () => layer.backward(loss.backward(), true);
  const targets = [...layer.parameters().map((p) => ({ name: p.name, value: p.value, grad: p.grad })), { name: "input", value: x }];
  return fullGradCheck(lossAt, backward, targets, epsilon);
}
