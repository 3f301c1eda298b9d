// Hyperparameters and offsets that would silently write NaN or read the wrong rows are refused with
// an ArgumentError naming the option, before anything is written (issue 9, finding 13).

import { describe, expect, it } from "vitest";
import { ArgumentError, addPositions, adamStep, momentumStep, sgdStep, sumPositions, tensor, type AdamHyper } from "../src/index.js";
import { useBuild } from "./helpers/backends.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to throw");
}

const GOOD: AdamHyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 };

describe("optimizer steps", () => {
  it("refuse NaN, ±∞, a rate that overflows float32, betas outside [0, 1), eps <= 0 and step < 1, naming the option, writing nothing", async () => {
    await useBuild("simd");
    const param = tensor([0.5, -0.25, 1, 2]);
    const grad = tensor([0.1, 0.2, -0.3, 0.4]);
    const state = [tensor([0, 0, 0, 0]), tensor([0, 0, 0, 0]), tensor([0, 0, 0, 0])];
    const before = [param, ...state].map((t) => t.toFloat32Array());
    const cases: [string, () => void, RegExp][] = [
      ["sgd NaN", () => sgdStep(param, grad, Number.NaN), /^sgdStep: lr must be a finite number, got NaN/],
      ["sgd ∞", () => sgdStep(param, grad, Infinity), /^sgdStep: lr must be/],
      ["sgd 1e39", () => sgdStep(param, grad, 1e39), /^sgdStep: lr must be a finite number, got 1e\+39/],
      ["momentum lr", () => momentumStep(param, grad, state[0]!, -Infinity, 0.9), /^momentumStep: lr must be/],
      ["momentum NaN", () => momentumStep(param, grad, state[0]!, 0.1, Number.NaN), /^momentumStep: momentum must be a finite number >= 0, got NaN/],
      ["adam lr", () => adamStep(param, grad, state[1]!, state[2]!, { ...GOOD, lr: Number.NaN }), /^adamStep: lr must be/],
      ["adam beta1", () => adamStep(param, grad, state[1]!, state[2]!, { ...GOOD, beta1: 1 }), /^adamStep: beta1 must be in \[0, 1\), got 1/],
      ["adam beta2", () => adamStep(param, grad, state[1]!, state[2]!, { ...GOOD, beta2: Number.NaN }), /^adamStep: beta2 must be in \[0, 1\)/],
      ["adam eps", () => adamStep(param, grad, state[1]!, state[2]!, { ...GOOD, eps: 0 }), /^adamStep: eps must be a finite number > 0 \(as float32\), got 0/],
      ["adam decay", () => adamStep(param, grad, state[1]!, state[2]!, { ...GOOD, weightDecay: Infinity }), /^adamStep: weightDecay must be/],
      ["adam step 0", () => adamStep(param, grad, state[1]!, state[2]!, { ...GOOD, step: 0 }), /^adamStep: step must be an integer >= 1 \(the 1-based step count\), got 0/],
      ["adam step 1.5", () => adamStep(param, grad, state[1]!, state[2]!, { ...GOOD, step: 1.5 }), /^adamStep: step must be an integer/],
    ];
    for (const [what, call, message] of cases) {
      const error = thrown(call);
      expect(error, what).toBeInstanceOf(ArgumentError);
      expect(error.message, what).toMatch(message);
    }
    expect([param, ...state].map((t) => t.toFloat32Array())).toEqual(before);
    // And the good values still step: 0.5 − 0.1·0.1.
    sgdStep(param, grad, 0.1);
    expect(param.view()[0]).toBe(Math.fround(Math.fround(0.5) - Math.fround(Math.fround(0.1) * Math.fround(0.1))));
  });
});

describe("positions", () => {
  it("addPositions takes only an integer start >= 0, sumPositions an integer sequence length", async () => {
    await useBuild("simd");
    const x = tensor(new Float32Array(6), [3, 2]);
    const table = tensor([[1, 2], [3, 4], [5, 6], [7, 8]]);
    for (const start of [0.5, -1, Number.NaN]) {
      const error = thrown(() => addPositions(x, table, 3, { start }));
      expect(error).toBeInstanceOf(ArgumentError);
      expect(error.message).toMatch(/^addPositions: start must be an integer >= 0/);
    }
    expect(thrown(() => sumPositions(x, 1.5))).toBeInstanceOf(ArgumentError);
    expect(addPositions(x, table, 3, { start: 1 }).toArray()).toEqual([[3, 4], [5, 6], [7, 8]]);
  });
});
