// Adam / adamStep against an independent float64 AdamW (tests/helpers/adamw-reference.ts) over several
// steps, on every build: bias corrections, decoupled weight decay, the decay mask and resuming from a
// step count. "Loss falls" cannot see an off-by-one in the bias corrections; this can.

import { beforeAll, describe, expect, it } from "vitest";
import { Adam, adamStep, init, memory, tensor, tidy, type Parameter } from "../src/index.js";
import { AdamWReference, worstExcess } from "./helpers/adamw-reference.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { randomFloats } from "./helpers/compare.js";

beforeAll(async () => {
  await init();
});

const STEPS = 6;
const SIZE = 67; // odd: 16 SIMD groups and a scalar tail of 3

/**
 * Gradients for step s: magnitudes from 1e-7 to 10 (so ε = 1e-8 and the bias corrections both matter)
 * and signs that change between steps (so m̂/√v̂ is not ±1), with a few exact zeros.
 */
function gradient(s: number, size = SIZE): Float32Array {
  const g = randomFloats(size, 100 + s);
  for (let i = 0; i < size; i++) g[i] = i % 11 === 5 ? 0 : g[i]! * 10 ** ((i % 9) - 7 + (s % 2));
  return g;
}

/**
 * Relative error of the float32 1 − β the kernel gets: the host forms 1 − β in float64 and rounds it once
 * (4.7e-8 for β2 = 0.999). Rounding β first, as the kernel once did, made it 1.3e-5, which every bound
 * below rejects.
 */
const delta = (beta: number) => Math.abs(Math.fround(1 - beta) - (1 - beta)) / (1 - beta);
const ULP = 2 ** -24;

/**
 * Tolerance, derived rather than guessed. One update lr·u is off by lr·(δ1 + δ2/2) from the complements (v
 * enters through a square root) plus about one float32 rounding of u, lr·2^-24 (u is ~1 at most; the measured
 * worst, on every build, is 4.9e-8·lr per step, 2× below). The stored weight is rounded once per step
 * (≤ 2^-24·|w|). Over `steps` steps: atol = steps·lr·(δ1 + δ2/2 + 2^-24), rtol = steps·2^-24. A wrong bias
 * correction at step 1 alone moves a weight by ~0.3·lr, six orders of magnitude above this.
 */
function tolerance(h: { lr: number; beta1: number; beta2: number }, steps = STEPS): { rtol: number; atol: number } {
  return { rtol: steps * ULP, atol: steps * h.lr * (delta(h.beta1) + delta(h.beta2) / 2 + ULP) };
}

for (const build of BUILDS) {
  describe(`Adam against a float64 AdamW (${build} build)`, () => {
    for (const weightDecay of [0, 0.1]) {
      it(`${STEPS} steps, weight decay ${weightDecay}: every weight and both moments`, async () => {
        await useBuild(build);
        const lr = 3e-2;
        const hyper = { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
        const before = memory().numTensors;
        const w0 = randomFloats(SIZE, 7);
        const value = tensor(w0, [SIZE]);
        const grad = tensor(new Float32Array(SIZE), [SIZE]);
        const adam = new Adam(lr, { weightDecay });
        const ref = new AdamWReference(SIZE);
        const w = Float64Array.from(w0);
        for (let s = 1; s <= STEPS; s++) {
          const g = gradient(s);
          grad.view().set(g);
          adam.step([{ name: "w", value, grad }]);
          ref.step(w, g, hyper);
        }
        const { rtol, atol } = tolerance(hyper);
        const got = worstExcess(value.toFloat32Array(), w, rtol, atol);
        expect(got.ratio, `weight ${got.index}: ${value.toFloat32Array()[got.index]} vs ${w[got.index]}`).toBeLessThanOrEqual(1);
        expect(adam.stepCount).toBe(STEPS);
        // m is an exponential average whose terms may cancel, so its error is relative to the largest term
        // seen per element: (1 − β1) off by δ1 plus two roundings (measured 5.6e-8·gMax). v sums positive
        // terms, so its error is relative to itself: δ2 plus ~2 roundings per step (measured 3.1e-7 after 6).
        const { m, v } = adam.moments(value);
        const gMax = new Float64Array(SIZE);
        for (let s = 1; s <= STEPS; s++) gradient(s).forEach((x, i) => (gMax[i] = Math.max(gMax[i]!, Math.abs(x))));
        const mGot = m.toFloat32Array();
        const vGot = v.toFloat32Array();
        for (let i = 0; i < SIZE; i++) {
          expect(Math.abs(mGot[i]! - ref.m[i]!), `m[${i}]`).toBeLessThanOrEqual((delta(0.9) + 2 * ULP) * gMax[i]!);
          expect(Math.abs(vGot[i]! - ref.v[i]!), `v[${i}]`).toBeLessThanOrEqual((delta(0.999) + 2 * STEPS * ULP) * ref.v[i]!);
        }
        adam.dispose();
        value.dispose();
        grad.dispose();
        expect(memory().numTensors).toBe(before);
      });
    }

    it("decays only the parameters the mask selects (the others get plain Adam)", async () => {
      await useBuild(build);
      const lr = 1e-2;
      const hyper = { lr, beta1: 0.8, beta2: 0.95, eps: 1e-8, weightDecay: 0.5 };
      tidy(() => {
        const names = ["w", "bias", "gain"];
        const w0 = names.map((_, k) => randomFloats(SIZE, 20 + k).map((x) => x + 2)); // |w| ≈ 2: decay is visible
        const params: Parameter[] = names.map((name, k) => ({ name, value: tensor(w0[k]!, [SIZE]), grad: tensor(new Float32Array(SIZE), [SIZE]) }));
        const decays = (p: Parameter) => p.name === "w";
        const adam = new Adam(lr, { beta1: hyper.beta1, beta2: hyper.beta2, weightDecay: hyper.weightDecay, decays });
        const refs = names.map(() => new AdamWReference(SIZE));
        const w = w0.map((a) => Float64Array.from(a));
        for (let s = 1; s <= STEPS; s++) {
          params.forEach((p, k) => {
            const g = gradient(s + 10 * k);
            p.grad.view().set(g);
            refs[k]!.step(w[k]!, g, hyper, names[k] === "w");
          });
          adam.step(params);
        }
        const { rtol, atol } = tolerance(hyper);
        params.forEach((p, k) => {
          const got = worstExcess(p.value.toFloat32Array(), w[k]!, rtol, atol);
          expect(got.ratio, `${p.name}[${got.index}]`).toBeLessThanOrEqual(1);
        });
        adam.dispose();
      });
    });

    it("resumes from a step count and restored moments: step t+1 uses the corrections of t+1", async () => {
      await useBuild(build);
      const lr = 1e-2;
      const hyper = { lr, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };
      tidy(() => {
        // The reference runs 4 steps; the resumed optimizer gets its moments and count and runs step 5.
        const ref = new AdamWReference(SIZE);
        const w = Float64Array.from(randomFloats(SIZE, 3));
        for (let s = 1; s <= 4; s++) ref.step(w, gradient(s), hyper);
        const value = tensor(Float32Array.from(w), [SIZE]);
        const g5 = gradient(5);
        const grad = tensor(g5, [SIZE]);
        const adam = new Adam(lr, { weightDecay: hyper.weightDecay });
        const { m, v } = adam.moments(value);
        m.view().set(Float32Array.from(ref.m));
        v.view().set(Float32Array.from(ref.v));
        adam.stepCount = 4;
        const start = Float64Array.from(value.toFloat32Array()); // the float32 weights the step starts from
        ref.step(start, g5, hyper);
        adam.step([{ name: "w", value, grad }]);
        const { rtol, atol } = tolerance(hyper, 1);
        const got = worstExcess(value.toFloat32Array(), start, rtol, atol);
        expect(got.ratio, `weight ${got.index}`).toBeLessThanOrEqual(1);
        expect(adam.stepCount).toBe(5);
        adam.dispose();
      });
    });
  });

  describe(`adamStep op against a float64 AdamW (${build} build)`, () => {
    for (const size of [1, 3, 17, 65]) {
      it(`size ${size}, steps 1…${STEPS} passed explicitly`, async () => {
        await useBuild(build);
        const hyper = { lr: 5e-2, beta1: 0.85, beta2: 0.99, eps: 1e-6, weightDecay: 0.2 };
        tidy(() => {
          const w0 = randomFloats(size, 40 + size);
          const p = tensor(w0, [size]);
          const g = tensor(new Float32Array(size), [size]);
          const m = tensor(new Float32Array(size), [size]);
          const v = tensor(new Float32Array(size), [size]);
          const ref = new AdamWReference(size);
          const w = Float64Array.from(w0);
          for (let s = 1; s <= STEPS; s++) {
            const gs = gradient(s, size);
            g.view().set(gs);
            adamStep(p, g, m, v, { ...hyper, step: s });
            ref.step(w, gs, hyper);
          }
          const { rtol, atol } = tolerance(hyper);
          const got = worstExcess(p.toFloat32Array(), w, rtol, atol);
          expect(got.ratio, `weight ${got.index}: ${p.toFloat32Array()[got.index]} vs ${w[got.index]}`).toBeLessThanOrEqual(1);
        });
      });
    }
  });
}
