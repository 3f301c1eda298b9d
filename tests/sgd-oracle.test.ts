// SGD, heavy-ball momentum and the optimizer-step ops against float64, plus the argument checks that
// guard them. Mutation testing (docs/TESTING.md) showed these were only exercised through "loss falls".

import { beforeAll, describe, expect, it } from "vitest";
import {
  Adam, ArgumentError, SGD, ShapeError, adamStep, allFinite, createOptimizer, init, memory, momentumStep, sgdStep, sumSquares, tensor, tidy,
} from "../src/index.js";
import { worstExcess } from "./helpers/adamw-reference.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { randomFloats } from "./helpers/compare.js";

beforeAll(async () => {
  await init();
});

const SIZE = 67;
const STEPS = 5;
const grads = (s: number) => randomFloats(SIZE, 200 + s).map((v) => v * 3);

/**
 * Tolerance. Worst case per step: rounding μ·v + g and w − lr·v (≤ 2^-24 relative each; μ = 0.9 is not a
 * float32, 2.7e-8 relative) with |v| ≤ 15 after 5 steps: STEPS·lr·15·2^-22 absolute and STEPS·2^-24 relative.
 * Roundings do not all line up: the measured worst is 0.1–0.15 of that, so the bound is 0.3 of it (~2×).
 */
const tolerance = (lr: number) => ({ rtol: 0.3 * STEPS * 2 ** -24, atol: 0.3 * STEPS * lr * 15 * 2 ** -22 });

for (const build of BUILDS) {
  describe(`SGD against float64 (${build} build)`, () => {
    for (const momentum of [0, 0.9]) {
      it(`${STEPS} steps, momentum ${momentum}`, async () => {
        await useBuild(build);
        const before = memory().numTensors;
        const lr = 0.05;
        const w0 = randomFloats(SIZE, 1);
        const value = tensor(w0, [SIZE]);
        const grad = tensor(new Float32Array(SIZE), [SIZE]);
        const opt = new SGD(lr, { momentum });
        expect(opt.name).toBe(momentum > 0 ? "momentum" : "sgd");
        const w = Float64Array.from(w0);
        const v = new Float64Array(SIZE);
        for (let s = 1; s <= STEPS; s++) {
          const g = grads(s);
          grad.view().set(g);
          opt.step([{ name: "w", value, grad }]);
          // Plain SGD keeps no state; momentum keeps one velocity per parameter.
          if (s === 1) expect(memory().numTensors - before).toBe(momentum > 0 ? 3 : 2);
          for (let i = 0; i < SIZE; i++) {
            v[i] = momentum * v[i]! + g[i]!; // PyTorch's heavy ball: no dampening
            w[i] = w[i]! - lr * (momentum > 0 ? v[i]! : g[i]!);
          }
        }
        const { rtol, atol } = tolerance(lr);
        const got = worstExcess(value.toFloat32Array(), w, rtol, atol);
        expect(got.ratio, `w[${got.index}]`).toBeLessThanOrEqual(1);
        opt.dispose();
        value.dispose();
        grad.dispose();
        expect(memory().numTensors, "velocity freed by dispose").toBe(before);
      });
    }

    it("sgdStep, momentumStep, sumSquares and allFinite ops on odd sizes", async () => {
      await useBuild(build);
      for (const n of [1, 3, 17, 65]) {
        tidy(() => {
          const w0 = randomFloats(n, n), g = randomFloats(n, n + 1), v0 = randomFloats(n, n + 2);
          const p = tensor(w0), gr = tensor(g), vel = tensor(v0);
          sgdStep(p, gr, 0.5);
          expect(worstExcess(p.toFloat32Array(), Array.from(w0, (w, i) => w - 0.5 * g[i]!), 2 ** -23, 2 ** -24).ratio).toBeLessThanOrEqual(1);
          momentumStep(p, gr, vel, 0.25, 0.5);
          const v1 = Array.from(v0, (v, i) => 0.5 * v + g[i]!);
          expect(worstExcess(vel.toFloat32Array(), v1, 2 ** -23, 2 ** -24).ratio).toBeLessThanOrEqual(1);
          let sq = 0;
          for (const x of g) sq += x * x;
          expect(Math.abs(sumSquares(gr) - sq)).toBeLessThanOrEqual(sq * 2 ** -22);
          expect(allFinite(gr)).toBe(true);
          for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
            for (const at of [0, n - 1]) {
              const x = Float32Array.from(g);
              x[at] = bad;
              expect(allFinite(tensor(x)), `n=${n}: ${bad} at ${at}`).toBe(false);
            }
          }
        });
      }
    });
  });
}

describe("optimizer arguments", () => {
  it("createOptimizer builds the named kinds (momentum is heavy-ball 0.9)", () => {
    const sgd = createOptimizer("sgd", 0.1), mom = createOptimizer("momentum", 0.1), adam = createOptimizer("adam", 0.1);
    expect([sgd.name, mom.name, adam.name]).toEqual(["sgd", "momentum", "adam"]);
    expect((mom as SGD).momentum).toBe(0.9);
    expect(adam).toBeInstanceOf(Adam);
    expect(() => createOptimizer("rmsprop" as never, 0.1)).toThrow(/unknown optimizer "rmsprop"/);
    for (const o of [sgd, mom, adam]) o.dispose();
  });

  it("rejects learning rates that are not finite and positive, and momentum outside [0, 1)", () => {
    for (const lr of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, "0.1" as unknown as number]) {
      expect(() => new SGD(lr), String(lr)).toThrow(ArgumentError);
      expect(() => new Adam(lr), String(lr)).toThrow(/learningRate must be a finite number > 0/);
    }
    for (const momentum of [-0.1, 1, 1.5, Number.NaN]) expect(() => new SGD(0.1, { momentum }), String(momentum)).toThrow(/momentum must be in \[0, 1\)/);
    expect(new SGD(1e-30).learningRate).toBe(1e-30);
    expect(new SGD(0.1, { momentum: 0 }).name).toBe("sgd");
  });

  it("the step ops refuse tensors of different sizes, naming the op and the shapes", () => {
    tidy(() => {
      const a = tensor(new Float32Array(4)), b = tensor(new Float32Array(5)), c = tensor(new Float32Array(4));
      expect(() => sgdStep(a, b, 0.1)).toThrow(ShapeError);
      expect(() => sgdStep(a, b, 0.1)).toThrow("sgdStep: sizes differ ([4], [5])");
      expect(() => momentumStep(a, c, b, 0.1, 0.9)).toThrow("momentumStep: sizes differ ([4], [4], [5])");
      expect(() => adamStep(a, c, c, b, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 })).toThrow("adamStep: sizes differ ([4], [4], [4], [5])");
    });
  });
});
