import { describe, expect, it } from "vitest";
import { ShapeError, gelu, geluBackward, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { checkFiniteDiff } from "./helpers/finite-diff.js";
import { EDGE_SIZES } from "./helpers/shapes.js";

const C = Math.sqrt(2 / Math.PI);
const geluRef = (x: number): number => 0.5 * x * (1 + Math.tanh(C * (x + 0.044715 * x ** 3)));
const geluGradRef = (x: number): number => {
  const t = Math.tanh(C * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * C * (1 + 3 * 0.044715 * x * x);
};

describe.each(BUILDS)("gelu on the %s build", (build) => {
  it("matches float64 over edge sizes and shapes of rank 1–3, into out and in place", async () => {
    await useBuild(build);
    for (const n of [...EDGE_SIZES, 1000]) {
      tidy(() => {
        const x = randomFloats(n, n).map((v) => v * 6);
        const shape = n % 3 === 0 ? [3, n / 3] : n % 2 === 1 ? [n] : [1, 2, n / 2];
        const t = tensor(x, shape);
        const y = gelu(t);
        expect(y.shape).toEqual(shape);
        // x·σ(2u) has no cancellation for x < 0: the error is relative on both sides, no absolute slack (it grows
        // like |2u|·1e-7 in the far negative tail, from rounding the exp's argument: ≈ 3e-6 at x = −6).
        expectClose(y.toFloat32Array(), Array.from(x, geluRef), 1e-5, 1e-37, `gelu n=${n}`);
        const dy = randomFloats(n, n + 7);
        const dx = geluBackward(t, tensor(dy, shape)).toFloat32Array();
        // s + x·s(1 − s)·2u' cancels partly for x < 0 (two terms of opposite sign): absolute slack of 1e-6 per unit of dy.
        expectClose(dx, Array.from(x, (v, i) => dy[i]! * geluGradRef(v)), 1e-5, 1e-6, `geluBackward n=${n}`);
        const dyT = tensor(dy, shape);
        expect(geluBackward(t, dyT, { out: dyT })).toBe(dyT);
        expect(dyT.toFloat32Array()).toEqual(dx);
        expect(gelu(t, { out: t })).toBe(t);
        expect(t.toFloat32Array()).toEqual(y.toFloat32Array());
      });
    }
  });

  it("backward agrees with finite differences of the forward (L = Σ gelu(x)·R)", async () => {
    await useBuild(build);
    for (const n of [1, 3, 17, 33, 65]) {
      tidy(() => {
        const x = randomFloats(n, 100 + n).map((v) => v * 4);
        const r = randomFloats(n, 200 + n);
        const grad = geluBackward(tensor(x, [n]), tensor(r, [n])).toFloat32Array();
        checkFiniteDiff({
          inputs: [x], names: ["x"], grads: [grad], r, eps: 1e-2, samples: 65, what: `gelu n=${n}`,
          forward: ([xi]) => tidy(() => gelu(tensor(xi!, [n])).toFloat32Array()),
        });
      });
    }
  });
});

describe("gelu errors", () => {
  it("name the op and the shapes", async () => {
    await useBuild("simd");
    tidy(() => {
      const x = tensor(new Float32Array(6), [2, 3]);
      expect(() => geluBackward(x, tensor(new Float32Array(6), [3, 2]))).toThrow(ShapeError);
      expect(() => geluBackward(x, tensor(new Float32Array(6), [3, 2]))).toThrow("geluBackward: input [2,3] and its gradient [3,2] differ in shape");
      expect(() => gelu(x, { out: tensor(new Float32Array(6), [6]) })).toThrow("gelu: out has shape [6], the result has shape [2,3]");
    });
  });
});
