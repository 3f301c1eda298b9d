import { describe, expect, it } from "vitest";
import {
  ShapeError, add, dot, exp, mul, relu, reluBackward, scale, sigmoid, sigmoidBackward, sub, sum, sumRows, tanh,
  tanhBackward, tensor, tidy, ArgumentError,
} from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { EDGE_SIZES } from "./helpers/shapes.js";

const map = (x: Float32Array, f: (v: number, i: number) => number) => Float64Array.from(x, f);

describe.each(BUILDS)("elementwise ops on the %s build", (build) => {
  it("add, sub, mul, scale match float64 on every edge size", async () => {
    await useBuild(build);
    for (const n of EDGE_SIZES) {
      tidy(() => {
        const x = randomFloats(n, n), y = randomFloats(n, n + 100);
        const a = tensor(x), b = tensor(y);
        expectClose(add(a, b).toFloat32Array(), map(x, (v, i) => v + y[i]!), 1e-7, 0, `add n=${n}`);
        expectClose(sub(a, b).toFloat32Array(), map(x, (v, i) => v - y[i]!), 1e-7, 0, `sub n=${n}`);
        expectClose(mul(a, b).toFloat32Array(), map(x, (v, i) => v * y[i]!), 1e-7, 0, `mul n=${n}`);
        expectClose(scale(a, -3).toFloat32Array(), map(x, (v) => -3 * v), 1e-7, 0, `scale n=${n}`);
      });
    }
  });

  it("add and sub broadcast a row over the last axis (a bias)", async () => {
    await useBuild(build);
    tidy(() => {
      const [m, n] = [5, 17];
      const x = randomFloats(m * n, 1), r = randomFloats(n, 2);
      const a = tensor(x, [m, n]);
      const want = map(x, (v, i) => v + r[i % n]!);
      expectClose(add(a, tensor(r, [1, n])).toFloat32Array(), want, 1e-7, 0, "add [5,17]+[1,17]");
      expectClose(add(a, tensor(r)).toFloat32Array(), want, 1e-7, 0, "add [5,17]+[17]");
      expectClose(sub(a, tensor(r)).toFloat32Array(), map(x, (v, i) => v - r[i % n]!), 1e-7, 0, "sub [5,17]-[17]");
    });
  });

  it("dot, sum and sumRows match float64", async () => {
    await useBuild(build);
    for (const n of EDGE_SIZES) {
      tidy(() => {
        const x = randomFloats(n, n + 7), y = randomFloats(n, n + 8);
        let d = 0, s = 0;
        for (let i = 0; i < n; i++) { d += x[i]! * y[i]!; s += x[i]!; }
        expectClose(dot(tensor(x), tensor(y)).toFloat32Array(), [d], 1e-5, 1e-6 * n, `dot n=${n}`);
        expectClose(sum(tensor(x)).toFloat32Array(), [s], 1e-5, 1e-6 * n, `sum n=${n}`);
        const m = 3;
        const xm = randomFloats(m * n, n + 9);
        const cols = new Float64Array(n);
        for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) cols[j] += xm[i * n + j]!;
        const rows = sumRows(tensor(xm, [m, n]));
        expect(rows.shape).toEqual([1, n]);
        expectClose(rows.toFloat32Array(), cols, 1e-6, 1e-6, `sumRows n=${n}`);
      });
    }
  });

  it("relu, sigmoid, tanh, exp and their backward passes match float64", async () => {
    await useBuild(build);
    for (const n of EDGE_SIZES) {
      tidy(() => {
        const x = map(randomFloats(n, n + 3), (v) => v * 8); // spread over [-8, 8)
        const xf = Float32Array.from(x);
        const dy = randomFloats(n, n + 4);
        const t = tensor(xf);
        const g = tensor(dy);
        const r = relu(t), s = sigmoid(t), th = tanh(t);
        expectClose(r.toFloat32Array(), map(xf, (v) => Math.max(0, v)), 0, 0, `relu n=${n}`);
        // Relative bounds only (an absolute slack of 1e-7 would excuse any error on outputs below 0.05): the
        // documented errors, ~2× the measured 1.0e-7 (exp), 1.5e-7 (tanh), 2.2e-7 (sigmoid) on every build.
        expectClose(s.toFloat32Array(), map(xf, (v) => 1 / (1 + Math.exp(-v))), 5e-7, 0, `sigmoid n=${n}`);
        expectClose(th.toFloat32Array(), map(xf, (v) => Math.tanh(v)), 5e-7, 0, `tanh n=${n}`);
        expectClose(exp(t).toFloat32Array(), map(xf, (v) => Math.exp(v)), 2.5e-7, 0, `exp n=${n}`);
        const ry = r.toFloat32Array(), sy = s.toFloat32Array(), ty = th.toFloat32Array();
        expectClose(reluBackward(r, g).toFloat32Array(), map(dy, (d, i) => (ry[i]! > 0 ? d : 0)), 0, 0, `relu' n=${n}`);
        // From the float32 y: dy·y·(1 − y) is a few roundings (measured 1.1e-7 relative); in 1 − y² the rounding of
        // y² (≤ 2^-24 absolute for |y| ≤ 1) is not relative to a small 1 − y², so tanh' gets 1.2e-7·|dy| ≥ 2× the
        // measured 6.3e-8 absolute (|dy| < 1 here).
        expectClose(sigmoidBackward(s, g).toFloat32Array(), map(dy, (d, i) => d * sy[i]! * (1 - sy[i]!)), 2.5e-7, 0, `sigmoid' n=${n}`);
        expectClose(tanhBackward(th, g).toFloat32Array(), map(dy, (d, i) => d * (1 - ty[i]! * ty[i]!)), 2.5e-7, 1.2e-7, `tanh' n=${n}`);
      });
    }
  });

  it("sigmoid and tanh stay finite and saturate for huge inputs", async () => {
    await useBuild(build);
    tidy(() => {
      const x = tensor([-1e30, -100, -20, 20, 100, 1e30, 0]);
      expect(Array.from(sigmoid(x).toFloat32Array())).toEqual([0, expect.closeTo(0, 30), expect.closeTo(2.06e-9, 10), 1, 1, 1, 0.5]);
      expect(Array.from(tanh(x).toFloat32Array())).toEqual([-1, -1, -1, 1, 1, 1, 0]);
    });
  });
});

describe("elementwise errors", () => {
  it("name the op and both shapes", async () => {
    await useBuild("simd");
    tidy(() => {
      const a = tensor(new Float32Array(6), [2, 3]);
      expect(() => add(a, tensor([1, 2]))).toThrow(ShapeError);
      expect(() => add(a, tensor([1, 2]))).toThrow("add: [2,3] and [2] do not fit (add takes equal shapes, or b a row [n] / [1,n] matching a's last axis)");
      expect(() => mul(a, tensor([1, 2, 3]))).toThrow("mul: [2,3] and [3] do not fit (mul takes equal shapes)");
      expect(() => dot(tensor([1, 2]), tensor([1, 2, 3]))).toThrow("dot: [2] · [3]: lengths 2 and 3 differ");
      expect(() => scale(a, Number.NaN)).toThrow(ArgumentError);
      expect(() => reluBackward(a, tensor([1]))).toThrow("reluBackward: output [2,3] and its gradient [1] differ in shape");
      expect(() => add(a, "x" as never)).toThrow("add: expected a Tensor, got string x");
    });
  });
});
