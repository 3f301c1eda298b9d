// The edges of what the optimizer ops and the warm-up schedule accept, found by the CI mutation sample
// (scripts/mutate-sample.sh): the largest float32 is a legal learning rate and eps (the kernels take
// float32, and only values beyond it overflow to ∞), and the warm-up's last step is exactly `max`.

import { describe, expect, it } from "vitest";
import { adamStep, sgdStep, tensor, warmupCosine, type AdamHyper } from "../src/index.js";
import { useBuild } from "./helpers/backends.js";

const F32_MAX = 3.4028234663852886e38;

describe("optimizer hyperparameters at the float32 edge", () => {
  it("sgdStep takes lr = the largest float32 and computes with it; the next double above is refused", async () => {
    await useBuild("simd");
    const param = tensor([0]);
    const grad = tensor([-0.5]);
    sgdStep(param, grad, F32_MAX);
    // 0 − F32_MAX·(−0.5) = F32_MAX / 2, exact in float32.
    expect(param.toFloat32Array()[0]).toBe(F32_MAX / 2);
    expect(() => sgdStep(param, grad, F32_MAX * (1 + 2 ** -52))).toThrow(/^sgdStep: lr must be a finite number/);
    param.dispose();
    grad.dispose();
  });

  it("adamStep takes lr and eps = the largest float32", async () => {
    await useBuild("simd");
    const [param, grad, m, v] = [tensor([1]), tensor([0]), tensor([0]), tensor([0])];
    const h: AdamHyper = { lr: F32_MAX, beta1: 0.9, beta2: 0.999, eps: F32_MAX, weightDecay: 0, step: 1 };
    adamStep(param, grad, m, v, h);
    // A zero gradient leaves m = v = 0, so the update is lr·0/(0 + eps) = 0.
    expect(param.toFloat32Array()[0]).toBe(1);
    expect(() => adamStep(param, grad, m, v, { ...h, lr: Infinity })).toThrow(/^adamStep: lr must be/);
    [param, grad, m, v].forEach((t) => t.dispose());
  });
});

describe("warmupCosine at the end of the warm-up", () => {
  it("gives exactly max at step = warmupSteps (the linear branch, max·W/W), where the cosine branch would round differently", () => {
    // With min 0.03, max 0.3 the cosine form min + (max − min)·½·(1 + cos 0) gives 0.30000000000000004.
    const lr = warmupCosine({ max: 0.3, min: 0.03, warmupSteps: 10, totalSteps: 100 });
    expect(lr(10)).toBe(0.3);
    expect(lr(1)).toBeCloseTo(0.03, 15);
    expect(lr(100)).toBe(0.03);
  });
});
