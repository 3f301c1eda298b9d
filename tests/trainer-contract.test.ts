// Trainer's bookkeeping against values computed by hand: evaluate() (loss and accuracy over partial
// batches) against a float64 forward, what onBatch/onEpoch report, the defaults, the refusals and the
// divergence guard. Mutation testing (docs/TESTING.md) found these unchecked.

import { beforeAll, describe, expect, it } from "vitest";
import { ArgumentError, Dense, DivergenceError, NeuralNetwork, SGD, ShapeError, Trainer, createLoss, getBackend, init, tensor, tidy, type BatchStats } from "../src/index.js";
import { randomFloats } from "./helpers/compare.js";

beforeAll(async () => {
  await init();
});

/** A linear Dense(3→2) with known weights, its loss and an SGD optimizer, wrapped in a Trainer. */
function setup(lossName: "mse" | "cross-entropy" = "mse") {
  const layer = new Dense(3, 2, { seed: 1 });
  const w = randomFloats(6, 2), b = randomFloats(2, 3);
  layer.weights.view().set(w);
  layer.bias.view().set(b);
  const loss = createLoss(lossName);
  const opt = new SGD(0.01);
  const trainer = new Trainer(layer, loss, opt, getBackend());
  const forward64 = (x: Float32Array, n: number) => Float64Array.from({ length: n * 2 }, (_, k) => {
    const r = Math.floor(k / 2), j = k % 2;
    return b[j]! + x[r * 3]! * w[j]! + x[r * 3 + 1]! * w[2 + j]! + x[r * 3 + 2]! * w[4 + j]!;
  });
  const dispose = () => { trainer.dispose(); layer.dispose(); loss.dispose(); opt.dispose(); };
  return { layer, trainer, forward64, dispose };
}

describe("Trainer.evaluate", () => {
  it("MSE loss and argmax accuracy over 10 rows in batches of 4 (a partial last batch) match float64", () => {
    const { trainer, forward64, dispose } = setup();
    tidy(() => {
      const n = 10;
      const xData = randomFloats(n * 3, 5);
      const yData = Float32Array.from({ length: n * 2 }, (_, k) => ((k >> 1) % 3 === 0 ? (k % 2) : 1 - (k % 2)));
      const out = forward64(xData, n);
      let sq = 0, correct = 0;
      for (let r = 0; r < n; r++) {
        for (let j = 0; j < 2; j++) sq += (out[r * 2 + j]! - yData[r * 2 + j]!) ** 2;
        const predicted = out[r * 2 + 1]! > out[r * 2]! ? 1 : 0;
        const wanted = yData[r * 2 + 1]! > yData[r * 2]! ? 1 : 0;
        if (predicted === wanted) correct++;
      }
      const got = trainer.evaluate(tensor(xData, [n, 3]), tensor(yData, [n, 2]), 4);
      expect(Math.abs(got.loss - sq / (2 * n)) / (sq / (2 * n))).toBeLessThan(1e-6);
      expect(got.accuracy).toBe(correct / n);
      expect(correct).toBeGreaterThan(0);
      expect(correct).toBeLessThan(n); // the check could tell a wrong count either way
      expect(() => trainer.evaluate(tensor(xData, [n, 3]), tensor(yData.subarray(0, 18), [9, 2]))).toThrow(/evaluate: 10 input rows but 9 target rows/);
    });
    dispose();
  });

  it("an empty data set evaluates to loss 0 and accuracy 0", () => {
    const { trainer, dispose } = setup();
    tidy(() => {
      expect(trainer.evaluate(tensor(new Float32Array(0), [0, 3]), tensor(new Float32Array(0), [0, 2]))).toEqual({ loss: 0, accuracy: 0 });
    });
    dispose();
  });
});

describe("Trainer.fit bookkeeping", () => {
  it("onBatch numbers batches from 1 and counts samples done; epochs count across fit calls; loss is the sample mean", () => {
    const { trainer, dispose } = setup();
    tidy(() => {
      const x = tensor(randomFloats(21, 6), [7, 3]);
      const y = tensor(randomFloats(14, 7), [7, 2]);
      const seen: BatchStats[] = [];
      const history = trainer.fit(x, y, { epochs: 1, batchSize: 3, onBatch: (s) => void seen.push(s) });
      expect(seen.map((s) => [s.epoch, s.batch, s.batches, s.samplesDone])).toEqual([[1, 1, 3, 3], [1, 2, 3, 6], [1, 3, 3, 7]]);
      const mean = (seen[0]!.loss * 3 + seen[1]!.loss * 3 + seen[2]!.loss * 1) / 7;
      expect(history[0]!.loss).toBeCloseTo(mean, 12);
      const more = trainer.fit(x, y, { epochs: 2, batchSize: 7 });
      expect(more.map((s) => [s.epoch, s.epochs])).toEqual([[2, 3], [3, 3]]);
    });
    dispose();
  });

  it("does not shuffle unless asked", () => {
    const { layer, trainer, dispose } = setup();
    tidy(() => {
      const inputs: number[] = [];
      const forward = layer.forward.bind(layer);
      layer.forward = (x) => (inputs.push(...Array.from({ length: x.shape[0]! }, (_, r) => x.toFloat32Array()[r * 3]!)), forward(x));
      const x = tensor(Float32Array.from({ length: 27 }, (_, k) => (k % 3 === 0 ? k / 3 : 0)), [9, 3]);
      trainer.fit(x, tensor(new Float32Array(18), [9, 2]), { epochs: 2, batchSize: 4, seed: 3 });
      expect(inputs).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    });
    dispose();
  });

  it("refuses bad epochs, batch sizes and mismatched rows", () => {
    const { trainer, dispose } = setup();
    tidy(() => {
      const x = tensor(new Float32Array(12), [4, 3]), y = tensor(new Float32Array(8), [4, 2]);
      for (const epochs of [-1, 1.5, Number.NaN]) expect(() => trainer.fit(x, y, { epochs }), String(epochs)).toThrow(/epochs must be a non-negative integer/);
      for (const batchSize of [0, -2, 2.5]) expect(() => trainer.fit(x, y, { epochs: 1, batchSize }), String(batchSize)).toThrow(/batchSize must be a positive integer/);
      expect(() => trainer.fit(x, y, { epochs: 0 })).not.toThrow();
      expect(trainer.fit(x, y, { epochs: 1, batchSize: 1 })).toHaveLength(1); // 1 is a valid batch size
      const empty = trainer.fit(tensor(new Float32Array(0), [0, 3]), tensor(new Float32Array(0), [0, 2]), { epochs: 1 });
      expect(empty[0]!.loss).toBe(0); // no samples: loss 0, not 0/0
      expect(() => trainer.fit(x, tensor(new Float32Array(6), [3, 2]), { epochs: 1 })).toThrow(ShapeError);
      expect(() => trainer.fit(x, y, { epochs: -1 })).toThrow(ArgumentError);
    });
    dispose();
  });

  it("a non-finite loss raises DivergenceError naming epoch and batch; the weights are kept; parametersFinite reports NaN weights", () => {
    const { layer, trainer, dispose } = setup();
    tidy(() => {
      const xData = randomFloats(12, 9);
      xData[7] = Number.NaN; // row 2: the second batch of 2
      const before = layer.weights.toFloat32Array();
      const x = tensor(xData, [4, 3]), y = tensor(new Float32Array(8), [4, 2]);
      expect(() => trainer.fit(x, y, { epochs: 1, batchSize: 2 })).toThrow(DivergenceError);
      expect(trainer.parametersFinite()).toBe(true);
      expect(() => trainer.fit(x, y, { epochs: 1, batchSize: 2 })).toThrow(/loss is NaN at epoch \d+, batch 2\/2/);
      expect(layer.weights.toFloat32Array()).not.toEqual(before); // the first batch was applied
      const kept = layer.weights.toFloat32Array();
      expect(() => trainer.step(tensor(xData.subarray(6, 12), [2, 3]), tensor(new Float32Array(4), [2, 2]))).toThrow(DivergenceError);
      expect(layer.weights.toFloat32Array()).toEqual(kept);
      layer.weights.view()[0] = Number.NaN;
      expect(trainer.parametersFinite()).toBe(false);
    });
    dispose();
  });
});

describe("NeuralNetwork data checks (checkDataset)", () => {
  it("names the wrong dimension of inputs or targets, for train, trainBatch and evaluate", () => {
    const net = new NeuralNetwork([3, 4, 2], { seed: 1 });
    tidy(() => {
      const x = tensor(new Float32Array(12), [4, 3]), y = tensor(new Float32Array(8), [4, 2]);
      expect(() => net.trainBatch(tensor(new Float32Array(16), [4, 4]), y)).toThrow(/trainBatch: inputs \[4,4\] must be \[samples,3\]/);
      expect(() => net.trainBatch(tensor(new Float32Array(12), [12]), y)).toThrow(/trainBatch: inputs \[12\] must be \[samples,3\]/);
      expect(() => net.trainBatch(tensor(new Float32Array(12), [4, 3, 1]), y)).toThrow(/trainBatch: inputs \[4,3,1\] must be \[samples,3\]/);
      expect(() => net.trainBatch(x, tensor(new Float32Array(8), [4, 2, 1]))).toThrow(/trainBatch: targets \[4,2,1\] must be \[samples,2\]/);
      expect(() => net.trainBatch(x, tensor(new Float32Array(12), [4, 3]))).toThrow(/trainBatch: targets \[4,3\] must be \[samples,2\]/);
      expect(() => net.trainBatch(x, tensor(new Float32Array(8), [8]))).toThrow(/trainBatch: targets \[8\] must be \[samples,2\]/);
      expect(() => net.trainBatch(x, tensor(new Float32Array(6), [3, 2]))).toThrow(/trainBatch: 4 input rows but 3 target rows/);
      expect(() => net.trainBatch(x, y)).not.toThrow();
    });
    net.dispose();
  });
});
