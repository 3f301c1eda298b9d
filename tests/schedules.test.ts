// Learning-rate schedules for Trainer.fit: cosineDecay against its formula, and fit applying the rate of
// each 1-based epoch to the optimizer before that epoch's first step.

import { beforeAll, describe, expect, it } from "vitest";
import { Dense, SGD, Trainer, cosineDecay, createLoss, getBackend, init, tensor } from "../src/index.js";

beforeAll(async () => {
  await init();
});

/** floor + (base − floor)·½(1 + cos(π(e − 1)/E)): base at epoch 1, reaching floor one epoch after the last. */
const cosineRef = (base: number, epochs: number, floor: number, e: number) => floor + ((base - floor) * (1 + Math.cos((Math.PI * (e - 1)) / epochs))) / 2;

describe("cosineDecay", () => {
  for (const [base, epochs, floor] of [[0.1, 10, 0], [3e-3, 7, 1e-4], [1, 1, 0.5]] as const) {
    it(`base ${base}, ${epochs} epochs, floor ${floor}: every epoch matches the formula`, () => {
      const f = cosineDecay(base, epochs, floor);
      expect(f(1)).toBe(base);
      for (let e = 1; e <= epochs + 1; e++) expect(f(e), `epoch ${e}`).toBeCloseTo(cosineRef(base, epochs, floor, e), 15);
      expect(f(epochs + 1)).toBeCloseTo(floor, 15);
      // Strictly decreasing over the run when base > floor.
      for (let e = 2; e <= epochs; e++) expect(f(e)).toBeLessThan(f(e - 1));
    });
  }

  it("defaults the floor to 0 and treats 0 epochs as 1 (no division by zero)", () => {
    expect(cosineDecay(0.2, 4)(3)).toBeCloseTo(cosineRef(0.2, 4, 0, 3), 15);
    expect(cosineDecay(0.2, 0)(1)).toBe(0.2);
    expect(cosineDecay(0.2, 0)(2)).toBeCloseTo(0, 15);
  });
});

describe("Trainer.fit learningRateAt", () => {
  it("sets the optimizer's rate from learningRateAt(epoch) before each epoch, epochs counted across fit calls", () => {
    const x = tensor(new Float32Array([1, 2, 3, 4]), [4, 1]);
    const y = tensor(new Float32Array([0, 0, 0, 0]), [4, 1]);
    const layer = new Dense(1, 1, { seed: 1 });
    const loss = createLoss("mse");
    const opt = new SGD(1);
    const trainer = new Trainer(layer, loss, opt, getBackend());
    const rates: number[] = [];
    const schedule = (e: number) => 0.01 / e;
    const onBatch = () => void rates.push(trainer.optimizer.learningRate);
    trainer.fit(x, y, { epochs: 2, batchSize: 2, learningRateAt: schedule, onBatch });
    trainer.fit(x, y, { epochs: 1, batchSize: 4, learningRateAt: schedule, onBatch });
    expect(rates).toEqual([0.01, 0.01, 0.005, 0.005, 0.01 / 3]);
    for (const t of [x, y]) t.dispose();
    trainer.dispose();
    layer.dispose();
    loss.dispose();
    opt.dispose();
  });
});
