// The tutorial's backward rule (update, then propagate through the updated weights) against its classes
// transcribed neuron by neuron in float64, and standard backprop ("pre") against the same transcription
// with that one line swapped.

import { beforeAll, describe, expect, it } from "vitest";
import {
  Adam, ArgumentError, Dense, DivergenceError, LayerNorm, NeuralNetwork, ReLU, Sequential, Trainer, createLoss,
  getBackend, init, memory, tensor, type Propagation,
} from "../src/index.js";
import { randomFloats } from "./helpers/compare.js";
import { TutorialNetwork } from "./helpers/tutorial-reference.js";

beforeAll(async () => {
  await init();
});

/** max |a − b| / max |b|: the relative error of a whole tensor (weights near 0 make elementwise ratios meaningless). */
function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let diff = 0;
  let size = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i]! - expected[i]!));
    size = Math.max(size, Math.abs(expected[i]!));
  }
  return diff / size;
}

interface Case {
  sizes: number[];
  samples: number;
  batch: number;
  lr: number;
  epochs: number;
  /** Scale of the random starting weights (0: keep the tutorial's own N(0,1)·0.01 draw). */
  weightScale: number;
  /** Added to the targets |u|: a lone ReLU output needs targets away from 0 to stay alive. */
  targetShift?: number;
}

/** A network with the tutorial's setup and `propagate`, its starting weights, and data. */
function setup(c: Case, propagate: Propagation) {
  const net = propagate === "updated" ? NeuralNetwork.tutorial(c.sizes, { seed: 5 }) : NeuralNetwork.tutorial(c.sizes, { seed: 5, propagate });
  const weights: Float32Array[] = [];
  const biases: Float32Array[] = [];
  net.layers.forEach((L, l) => {
    if (c.weightScale > 0) {
      // Larger than 0.01 so the ReLUs are alive and a step moves the weights enough for the two rules to differ.
      L.weights = randomFloats(L.inputs * L.outputs, 70 + l).map((v) => v * c.weightScale);
      L.bias = randomFloats(L.outputs, 80 + l).map((v) => 0.1 * v + 0.1);
    }
    weights.push(L.weights.toFloat32Array());
    biases.push(L.bias.toFloat32Array());
  });
  const x = randomFloats(c.samples * c.sizes[0]!, 90);
  const y = randomFloats(c.samples * c.sizes.at(-1)!, 91).map((v) => Math.abs(v) + (c.targetShift ?? 0));
  return { net, weights, biases, x, y };
}

const CASES: Case[] = [
  { sizes: [13, 9, 5, 3], samples: 45, batch: 8, lr: 0.1, epochs: 6, weightScale: 0.6 },
  { sizes: [17, 65, 1], samples: 33, batch: 8, lr: 0.05, epochs: 6, weightScale: 0.3, targetShift: 0.5 },
  { sizes: [3, 17, 129, 3], samples: 65, batch: 16, lr: 0.02, epochs: 4, weightScale: 0.25 },
];

describe('NeuralNetwork.tutorial: the tutorial\'s code to the last digit (propagate "updated")', () => {
  for (const c of CASES) {
    it(`${c.sizes.join("→")}, ${c.samples} samples in batches of ${c.batch}: per-epoch losses and final weights within 1e-4`, () => {
      const { net, weights, biases, x, y } = setup(c, "updated");
      expect(net.options.propagate).toBe("updated");
      const tutorial = new TutorialNetwork(c.sizes, weights, biases, "updated");
      const standard = new TutorialNetwork(c.sizes, weights, biases, "pre");
      const want = tutorial.train(x, y, c.samples, c.epochs, c.lr, c.batch);
      const wantPre = standard.train(x, y, c.samples, c.epochs, c.lr, c.batch);
      const got = net.train(x, y, { epochs: c.epochs, learningRate: c.lr, batchSize: c.batch }).map((s) => s.loss);
      // The two rules must differ here by 10× the tolerance, or this test could not tell them apart.
      const ruleGap = Math.max(...net.layers.map((_, l) => relError(standard.parameters(l).weights, tutorial.parameters(l).weights)));
      expect(ruleGap, "how far standard backprop ends from the tutorial's rule").toBeGreaterThan(1e-3);
      for (let e = 0; e < c.epochs; e++) {
        expect(Math.abs(got[e]! - want[e]!) / want[e]!, `epoch ${e + 1}: ${got[e]} vs ${want[e]} (standard: ${wantPre[e]})`).toBeLessThan(1e-4);
      }
      net.layers.forEach((L, l) => {
        const ref = tutorial.parameters(l);
        expect(relError(L.weights.toFloat32Array(), ref.weights), `layer ${l} weights`).toBeLessThan(1e-4);
        expect(relError(L.bias.toFloat32Array(), ref.bias), `layer ${l} biases`).toBeLessThan(1e-4);
      });
      net.dispose();
    });
  }

  it("from the tutorial's own N(0,1)·0.01 starting weights as well", () => {
    const c: Case = { sizes: [17, 9, 3], samples: 40, batch: 32, lr: 0.5, epochs: 3, weightScale: 0 };
    const { net, weights, biases, x, y } = setup(c, "updated");
    const tutorial = new TutorialNetwork(c.sizes, weights, biases, "updated");
    const want = tutorial.train(x, y, c.samples, c.epochs, c.lr, c.batch);
    const got = net.train(x, y, { epochs: c.epochs, learningRate: c.lr, batchSize: c.batch }).map((s) => s.loss);
    got.forEach((v, e) => expect(Math.abs(v - want[e]!) / want[e]!, `epoch ${e + 1}`).toBeLessThan(1e-4));
    net.layers.forEach((L, l) => expect(relError(L.weights.toFloat32Array(), tutorial.parameters(l).weights), `layer ${l}`).toBeLessThan(1e-4));
    net.dispose();
  });
});

describe('propagate "pre": standard backprop stays the default', () => {
  it("NeuralNetwork.tutorial(sizes, { propagate: \"pre\" }) matches the transcription with the pre-update line, not the tutorial's", () => {
    const c = CASES[0]!;
    const { net, weights, biases, x, y } = setup(c, "pre");
    const plain = new NeuralNetwork([2, 2]);
    expect(plain.options.propagate, "the default network").toBe("pre");
    plain.dispose();
    const standard = new TutorialNetwork(c.sizes, weights, biases, "pre");
    const tutorial = new TutorialNetwork(c.sizes, weights, biases, "updated");
    standard.train(x, y, c.samples, c.epochs, c.lr, c.batch);
    tutorial.train(x, y, c.samples, c.epochs, c.lr, c.batch);
    net.train(x, y, { epochs: c.epochs, learningRate: c.lr, batchSize: c.batch });
    net.layers.forEach((L, l) => {
      expect(relError(L.weights.toFloat32Array(), standard.parameters(l).weights), `layer ${l} vs standard`).toBeLessThan(1e-4);
    });
    expect(relError(net.layers[0]!.weights.toFloat32Array(), tutorial.parameters(0).weights), "layer 0 vs the tutorial's rule").toBeGreaterThan(1e-3);
    net.dispose();
  });
});

describe('propagate "updated" on any network', () => {
  it("runs through parameterless layers: Dense → ReLU → Dense equals Dense(relu) → Dense", () => {
    const sizes = [7, 17, 3];
    const x = tensor(randomFloats(30 * 7, 3), [30, 7]);
    const y = tensor(randomFloats(30 * 3, 4), [30, 3]);
    const fused = new Sequential([new Dense(7, 17, { activation: "relu", init: "he", seed: 2 }), new Dense(17, 3, { seed: 3 })]);
    const split = new Sequential([new Dense(7, 17, { init: "he", seed: 2 }), new ReLU(), new Dense(17, 3, { seed: 3 })]);
    const losses = [fused, split].map((model) => {
      const loss = createLoss("mse");
      const opt = new Adam(0.01);
      const trainer = new Trainer(model, loss, opt, getBackend(), { propagate: "updated" });
      const history = trainer.fit(x, y, { epochs: 3, batchSize: 8 }).map((s) => s.loss);
      expect(opt.stepCount, "one Adam step per batch, however many layers").toBe(3 * 4);
      trainer.dispose();
      opt.dispose();
      loss.dispose();
      return history;
    });
    expect(losses[1]).toEqual(losses[0]);
    const w = (m: Sequential, i: number) => (m.layers[i] as Dense).weights.toFloat32Array();
    expect(w(split, 0)).toEqual(w(fused, 0));
    expect(w(split, 2)).toEqual(w(fused, 1));
    expect(sizes).toHaveLength(3);
    for (const t of [x, y]) t.dispose();
    fused.dispose();
    split.dispose();
  });

  it("Adam: a one-layer network gets the same update under either rule (nothing to propagate)", () => {
    const x = randomFloats(20 * 5, 6);
    const y = randomFloats(20 * 3, 7);
    const weights = (["pre", "updated"] as const).map((propagate) => {
      const net = new NeuralNetwork([5, 3], { seed: 4, propagate, shuffle: false, loss: "mse" });
      net.train(x, y, { epochs: 2, batchSize: 6, learningRate: 0.01 });
      const w = net.layers[0]!.weights.toFloat32Array();
      net.dispose();
      return w;
    });
    expect(weights[1]).toEqual(weights[0]);
  });

  it("allocates nothing after the first step (the start-of-step copies are reused)", () => {
    const net = NeuralNetwork.tutorial([9, 17, 3], { seed: 3 });
    const x = tensor(randomFloats(40 * 9, 1), [40, 9]);
    const y = tensor(randomFloats(40 * 3, 2).map(Math.abs), [40, 3]);
    net.train(x, y, { epochs: 1, learningRate: 0.1, batchSize: 16 });
    const before = memory();
    net.train(x, y, { epochs: 2, learningRate: 0.1, batchSize: 16 });
    expect(memory()).toEqual(before);
    for (const t of [x, y]) t.dispose();
    net.dispose();
  });

  it("is saved with the network and restored by load", () => {
    const net = NeuralNetwork.tutorial([4, 3, 2], { seed: 1 });
    const back = NeuralNetwork.load(net.save());
    expect(back.options.propagate).toBe("updated");
    const plain = new NeuralNetwork([4, 2]);
    const plainBack = NeuralNetwork.load(plain.save());
    expect(plainBack.options.propagate).toBe("pre");
    for (const n of [net, back, plain, plainBack]) n.dispose();
  });
});

describe("propagate: bad input", () => {
  it("an unknown rule is an ArgumentError naming the choices", () => {
    const before = memory().numTensors;
    expect(() => new NeuralNetwork([3, 2], { propagate: "sideways" as Propagation })).toThrow(ArgumentError);
    expect(() => new NeuralNetwork([3, 2], { propagate: "sideways" as Propagation })).toThrow('NeuralNetwork: propagate must be one of pre, updated, got "sideways"');
    expect(memory().numTensors).toBe(before);
  });

  it('a layer with parameters that cannot split its backward pass is refused, named', () => {
    const model = new Sequential([new Dense(4, 4, { seed: 1 }), new LayerNorm(4)]);
    const loss = createLoss("mse");
    const opt = new Adam();
    expect(() => new Trainer(model, loss, opt, getBackend(), { propagate: "updated" })).toThrow('layer LayerNorm has parameters but cannot update');
    model.dispose();
    loss.dispose();
  });

  it("a non-finite gradient in a lower layer (after the upper layer moved) restores every weight and leaves the network usable", () => {
    const net = NeuralNetwork.tutorial([5, 4, 3], { seed: 2 });
    net.layers.forEach((L, l) => (L.weights = randomFloats(L.inputs * L.outputs, 10 + l).map((v) => v * 0.8)));
    net.layers.forEach((L) => (L.bias = new Float32Array(L.outputs).fill(0.2)));
    const x = randomFloats(8 * 5, 12);
    const y = randomFloats(8 * 3, 13).map(Math.abs);
    net.train(x, y, { epochs: 1, learningRate: 0.01, batchSize: 8 }); // buffers and the trainer exist now
    const before = net.layers.map((L) => [L.weights.toFloat32Array(), L.bias.toFloat32Array()]);
    const tensorsBefore = memory().numTensors;
    // The output layer's update overflows to ±Infinity, so the gradient passed down through it is not finite.
    expect(() => net.train(x, y, { epochs: 1, learningRate: 1e38, batchSize: 8 })).toThrow(DivergenceError);
    expect(() => net.train(x, y, { epochs: 1, learningRate: 1e38, batchSize: 8 })).toThrow("gradient of Dense layer 0 is not finite");
    net.layers.forEach((L, l) => {
      expect(L.weights.toFloat32Array(), `layer ${l} weights`).toEqual(before[l]![0]);
      expect(L.bias.toFloat32Array(), `layer ${l} bias`).toEqual(before[l]![1]);
    });
    expect(memory().numTensors).toBe(tensorsBefore);
    const after = net.train(x, y, { epochs: 1, learningRate: 0.01, batchSize: 8 });
    expect(Number.isFinite(after[0]!.loss)).toBe(true);
    net.dispose();
  });
});
