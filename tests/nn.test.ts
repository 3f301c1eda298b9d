import { beforeAll, describe, expect, it } from "vitest";
import {
  ArgumentError, Dense, DivergenceError, NeuralNetwork, ReLU, Sequential, ShapeError, Sigmoid, Tanh, createLoss,
  gradCheck, init, memory, tensor, tidy, type Activation, type LossName,
} from "../src/index.js";
import { randomFloats } from "./helpers/compare.js";
import { refForward, refTrainEpoch, type RefLayer } from "./helpers/mlp-reference.js";

beforeAll(async () => {
  await init();
});

/** A small classification set: `classes` clusters in `inputs` dimensions, one-hot targets. */
function clusters(n: number, inputs: number, classes: number, seed: number) {
  const centers = randomFloats(classes * inputs, seed).map((v) => v * 3);
  const noise = randomFloats(n * inputs, seed + 1);
  const x = new Float32Array(n * inputs);
  const y = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) {
    const c = i % classes;
    for (let j = 0; j < inputs; j++) x[i * inputs + j] = centers[c * inputs + j]! + noise[i * inputs + j]!;
    y[i * classes + c] = 1;
  }
  return { x, y };
}

/**
 * Inputs for which no pre-activation x·W + b lies within 0.02 of 0, so a finite-difference step of
 * ε = 1e-3 on one weight or input (moving z by at most ~ε) cannot straddle a ReLU kink.
 */
function awayFromKinks(layer: Dense, rows: number, inputs: number): Float32Array {
  const w = layer.weights.toFloat32Array();
  for (let seed = 1; ; seed++) {
    const x = randomFloats(rows * inputs, seed);
    let ok = true;
    for (let r = 0; r < rows && ok; r++) {
      for (let j = 0; j < layer.outputs && ok; j++) {
        let z = 0;
        for (let i = 0; i < inputs; i++) z += x[r * inputs + i]! * w[i * layer.outputs + j]!;
        ok = Math.abs(z) > 0.02;
      }
    }
    if (ok) return x;
    if (seed > 10_000) throw new Error("awayFromKinks: no suitable inputs found");
  }
}

describe("gradient checks (central finite differences) on every layer type and loss", () => {
  const activations: Activation[] = ["linear", "relu", "sigmoid", "tanh"];
  for (const activation of activations) {
    for (const [inputs, outputs, rows] of [[1, 1, 1], [3, 17, 5], [17, 3, 7]] as const) {
      it(`Dense(${inputs}→${outputs}, ${activation}) with MSE, ${rows} rows`, () => {
        tidy(() => {
          const layer = new Dense(inputs, outputs, { activation, seed: inputs * 31 + outputs, init: "xavier" });
          const loss = createLoss("mse");
          const x = tensor(awayFromKinks(layer, rows, inputs), [rows, inputs]);
          const y = tensor(randomFloats(rows * outputs, 4), [rows, outputs]);
          const r = gradCheck({ layer, loss }, x, y, { checkInput: true, epsilon: activation === "relu" ? 1e-3 : 1e-2 });
          expect(r.entries.map((e) => e.name)).toEqual(["dense.weights", "dense.bias", "input"]);
          for (const e of r.entries) expect(e.maxRelativeError, `${e.name}: ${JSON.stringify(e.worst)}`).toBeLessThan(2e-2);
          layer.dispose();
          loss.dispose();
        });
      });
    }
  }

  for (const [Kind, name] of [[ReLU, "ReLU"], [Sigmoid, "Sigmoid"], [Tanh, "Tanh"]] as const) {
    it(`standalone ${name} layer inside a Sequential, checked through the input gradient`, () => {
      tidy(() => {
        const model = new Sequential([new Dense(3, 5, { seed: 1, name: "a" }), new Kind(), new Dense(5, 3, { seed: 2, name: "b" })]);
        const loss = createLoss("mse");
        const x = tensor(randomFloats(9, 5), [3, 3]);
        const y = tensor(randomFloats(9, 6), [3, 3]);
        const r = gradCheck({ layer: model, loss }, x, y, { checkInput: true });
        expect(r.entries).toHaveLength(5);
        expect(r.maxRelativeError).toBeLessThan(2e-2);
        model.dispose();
        loss.dispose();
      });
    });
  }

  for (const loss of ["mse", "cross-entropy"] as LossName[]) {
    it(`a whole network with ${loss}: every parameter agrees with finite differences`, () => {
      const net = new NeuralNetwork([17, 9, 3], { seed: 5, loss, hiddenActivation: "tanh", outputActivation: loss === "mse" ? "sigmoid" : "linear" });
      tidy(() => {
        const { x, y } = clusters(7, 17, 3, 9);
        const r = gradCheck(net, tensor(x, [7, 17]), tensor(y, [7, 3]));
        expect(r.entries).toHaveLength(4);
        expect(r.maxRelativeError).toBeLessThan(2e-2);
      });
      net.dispose();
    });
  }

  it("proves the tutorial's derivative is `outputs` times the gradient of the loss it prints", () => {
    const outputs = 4;
    const make = (loss: LossName) => new NeuralNetwork([3, 5, outputs], { seed: 2, loss, hiddenActivation: "tanh", outputActivation: "sigmoid" });
    const consistent = make("mse");
    const tutorial = make("mse-tutorial");
    tidy(() => {
      const x = tensor(randomFloats(21, 1), [7, 3]);
      const y = tensor(randomFloats(28, 2).map((v) => (v > 0 ? 1 : 0)), [7, outputs]);
      expect(gradCheck(consistent, x, y).maxRelativeError).toBeLessThan(2e-2);
      const r = gradCheck(tutorial, x, y);
      for (const e of r.entries) {
        // analytic = outputs · numeric  ⇒  relative error = (outputs − 1)/outputs = 0.75
        expect(e.worst.analytic / e.worst.numeric).toBeCloseTo(outputs, 1);
        expect(e.maxRelativeError).toBeCloseTo(0.75, 1);
      }
    });
    consistent.dispose();
    tutorial.dispose();
  });
});

describe("NeuralNetwork: the tutorial's vocabulary", () => {
  it("lays weights out as the tutorial's numpy code: W [inputs, outputs], b [1, outputs], settable", () => {
    const net = NeuralNetwork.tutorial([4, 3, 2], { seed: 1 });
    expect(net.layers).toHaveLength(2);
    expect(net.layers[0]!.weights.shape).toEqual([4, 3]);
    expect(net.layers[0]!.bias.shape).toEqual([1, 3]);
    expect(Array.from(net.layers[0]!.bias.toFloat32Array())).toEqual([0, 0, 0]); // zero bias
    const w = net.layers[0]!.weights.toFloat32Array();
    expect(Math.max(...w.map(Math.abs))).toBeLessThan(0.05); // randn · 0.01
    net.layers[0]!.weights = Float32Array.from({ length: 12 }, (_, i) => i);
    net.layers[0]!.bias = [[0.5, -0.5, 1]];
    const neuron = net.layers[0]!.neuron(1);
    expect(Array.from(neuron.weights)).toEqual([1, 4, 7, 10]);
    expect(neuron.bias).toBe(-0.5);
    expect(() => (net.layers[0]!.weights = new Float32Array(5))).toThrow("layers.0.weights: 5 values given, [4,3] needs 12");
    expect(() => net.layers[0]!.neuron(3)).toThrow(ShapeError);
    net.dispose();
  });

  it("forward is the weighted sum plus bias through ReLU, layer by layer; mseLoss and its derivative", () => {
    const net = NeuralNetwork.tutorial([2, 2, 1]);
    net.layers[0]!.weights = [[1, -1], [2, 0.5]];
    net.layers[0]!.bias = [0.5, -3];
    net.layers[1]!.weights = [[1], [2]];
    net.layers[1]!.bias = [0.25];
    tidy(() => {
      const x = tensor([[1, 1], [-1, 2]]);
      // Row 1: z = [1+2+0.5, −1+0.5−3] = [3.5, −3.5] → relu [3.5, 0] → 3.5 + 0.25 = 3.75
      // Row 2: z = [−1+4+0.5, 1+1−3] = [3.5, −1] → relu [3.5, 0] → 3.75
      const a = net.forward(x);
      expect(a.toArray()).toEqual([[3.75], [3.75]]);
      const y = tensor([[4], [3]]);
      expect(net.mseLoss(y, a)).toBeCloseTo((0.25 ** 2 + 0.75 ** 2) / 2, 6);
      const d = net.derivativeMseLoss(y, a).toFloat32Array(); // 2(a − y)/rows
      expect(Array.from(d)).toEqual([-0.25, 0.75]);
      expect(net.predict(x).toArray()).toEqual([[3.75], [3.75]]);
    });
    net.dispose();
  });

  it("per-epoch losses match a float64 reference of the tutorial's math within 1e-4 relative", () => {
    for (const [loss, sizes, lr] of [["mse-tutorial", [13, 9, 5, 3], 0.05], ["mse", [7, 17, 3], 0.2]] as const) {
      const net = NeuralNetwork.tutorial(sizes, { seed: 11 });
      const ref = new NeuralNetwork(sizes, { seed: 11, loss, hiddenActivation: "relu", outputActivation: "relu", init: "tutorial", optimizer: "sgd", shuffle: false });
      // Larger random starting weights than 0.01 so the ReLUs are not all dead; both start from them.
      const refLayers: RefLayer[] = ref.layers.map((L, i) => {
        const w = randomFloats(L.inputs * L.outputs, 40 + i).map((v) => v * 0.6);
        const b = randomFloats(L.outputs, 50 + i).map((v) => v * 0.1 + 0.05);
        L.weights = w;
        L.bias = b;
        return { w: Float64Array.from(w), b: Float64Array.from(b), inputs: L.inputs, outputs: L.outputs, act: "relu" };
      });
      const n = 45;
      const x = randomFloats(n * sizes[0], 60);
      const y = randomFloats(n * sizes[sizes.length - 1]!, 61).map((v) => Math.abs(v));
      const history = ref.train(x, y, { epochs: 6, learningRate: lr, batchSize: 8 });
      for (let e = 0; e < 6; e++) {
        const want = refTrainEpoch(refLayers, Float64Array.from(x), Float64Array.from(y), n, 8, lr, loss);
        expect(Math.abs(history[e]!.loss - want) / want, `${loss} epoch ${e + 1}: ${history[e]!.loss} vs ${want}`).toBeLessThan(1e-4);
      }
      const out = refForward(refLayers, Float64Array.from(x), n).at(-1)!;
      const got = ref.forward(x).toFloat32Array();
      got.forEach((v, i) => expect(Math.abs(v - out[i]!)).toBeLessThan(1e-4 * (1 + Math.abs(out[i]!))));
      net.dispose();
      ref.dispose();
    }
  });
});

describe("training", () => {
  it("learns a separable problem with the defaults (Adam, cross-entropy, shuffling)", () => {
    const { x, y } = clusters(300, 5, 3, 21);
    const net = new NeuralNetwork([5, 16, 3], { seed: 1 });
    const history = net.train(x, y, { epochs: 15, learningRate: 0.01, validation: { x, y } });
    expect(history).toHaveLength(15);
    expect(history.at(-1)!.loss).toBeLessThan(history[0]!.loss / 3);
    expect(history.at(-1)!.valAccuracy).toBeGreaterThan(0.95);
    const probs = net.predict(x.subarray(0, 10)).toFloat32Array(); // softmax probabilities
    for (let r = 0; r < 2; r++) expect(probs.subarray(r * 3, r * 3 + 3).reduce((a, b) => a + b)).toBeCloseTo(1, 5);
    net.dispose();
  });

  it("same seed → identical losses and weights, run after run", () => {
    const run = () => {
      const { x, y } = clusters(96, 6, 4, 3);
      const net = new NeuralNetwork([6, 11, 4], { seed: 42 });
      const losses = net.train(x, y, { epochs: 4, batchSize: 10 }).map((s) => s.loss);
      const weights = net.layers.map((l) => l.weights.toFloat32Array());
      net.dispose();
      return { losses, weights };
    };
    const a = run();
    const b = run();
    expect(a.losses).toEqual(b.losses);
    expect(a.weights).toEqual(b.weights);
  });

  it("allocates nothing after the first step: memory() stays flat across steps and epochs", () => {
    const { x, y } = clusters(100, 8, 3, 5); // 100 = 3 full batches of 32 + one of 4
    const net = new NeuralNetwork([8, 12, 3], { seed: 1 });
    const xt = tensor(x, [100, 8]);
    const yt = tensor(y, [100, 3]);
    net.train(xt, yt, { epochs: 1 });
    const before = memory();
    const during: ReturnType<typeof memory>[] = [];
    net.train(xt, yt, { epochs: 3, onBatch: () => void during.push(memory()) });
    for (const m of during) expect(m).toEqual(before);
    expect(memory()).toEqual(before);
    xt.dispose();
    yt.dispose();
    net.dispose();
  });

  it("stops early when onEpoch returns false, onBatch returns false, or the signal aborts", () => {
    const { x, y } = clusters(64, 4, 2, 8);
    const net = new NeuralNetwork([4, 6, 2], { seed: 1 });
    expect(net.train(x, y, { epochs: 10, onEpoch: (s) => s.epoch < 3 })).toHaveLength(3);
    let batches = 0;
    net.train(x, y, { epochs: 5, batchSize: 8, onBatch: () => ++batches < 5 });
    expect(batches).toBe(5);
    const controller = new AbortController();
    controller.abort();
    const h = net.train(x, y, { epochs: 3, signal: controller.signal });
    expect(h).toHaveLength(1);
    net.dispose();
  });

  it("divergence raises DivergenceError naming epoch and batch, and keeps the last good weights", () => {
    const { x, y } = clusters(64, 4, 2, 8);
    // Tanh hidden units and a linear output cannot die, so a huge step blows the loss up.
    const net = new NeuralNetwork([4, 32, 2], { seed: 3, loss: "mse", hiddenActivation: "tanh", outputActivation: "linear", optimizer: "sgd", shuffle: false });
    let lastGood: Float32Array[] = net.layers.map((l) => l.weights.toFloat32Array());
    let caught: unknown;
    try {
      net.train(x, y, { epochs: 50, learningRate: 1e6, batchSize: 8, onBatch: () => void (lastGood = net.layers.map((l) => l.weights.toFloat32Array())) });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DivergenceError);
    const err = caught as DivergenceError;
    expect(err.message).toMatch(/training diverged: .* at epoch \d+, batch \d+\/8/);
    expect(err.epoch).toBeGreaterThanOrEqual(1);
    expect(err.batch).toBeGreaterThanOrEqual(1);
    const now = net.layers.map((l) => l.weights.toFloat32Array());
    expect(now).toEqual(lastGood);
    expect(now.every((w) => w.every(Number.isFinite))).toBe(true);
    net.dispose();
  });

  it("a network keeps working on its own backend when another backend becomes current", async () => {
    const { createBackend, setBackend, getBackend } = await import("../src/index.js");
    const original = getBackend();
    const scalar = await createBackend({ simd: false });
    setBackend(scalar);
    const { x, y } = clusters(64, 4, 2, 8);
    const nets = [new NeuralNetwork([4, 6, 2], { seed: 1 }), new NeuralNetwork([4, 6, 2], { seed: 1, loss: "mse" })];
    const model = new Sequential([new Dense(4, 6, { seed: 1 }), new ReLU(), new Dense(6, 2, { seed: 2 })]);
    setBackend(original); // the SIMD backend is current again; everything above lives on the scalar one
    for (const net of nets) {
      const h = net.train(x, y, { epochs: 2 });
      expect(h[1]!.loss).toBeLessThan(h[0]!.loss);
      expect(net.layers[0]!.weights.backend).toBe(scalar);
    }
    const loss = createLoss("mse");
    const xt = (await import("../src/index.js")).tensorOn(scalar, x, [64, 4]);
    const yt = (await import("../src/index.js")).tensorOn(scalar, y, [64, 2]);
    expect(Number.isFinite(loss.forward(model.forward(xt), yt))).toBe(true);
    model.backward(loss.backward());
    for (const t of [xt, yt]) t.dispose();
    for (const n of nets) n.dispose();
    model.dispose();
    loss.dispose();
  });

  it("rejects bad arguments with typed errors that say what was wrong", () => {
    expect(() => new NeuralNetwork([784])).toThrow(ShapeError);
    expect(() => new NeuralNetwork([784, 0, 10])).toThrow(/at least two positive integers/);
    expect(() => new NeuralNetwork([2, 2], { hiddenActivation: "swish" as Activation })).toThrow(/unknown activation "swish"/);
    const net = new NeuralNetwork([3, 2]);
    expect(() => net.train(new Float32Array(7), new Float32Array(4), { epochs: 1 })).toThrow("NeuralNetwork: 7 inputs values do not form rows of 3");
    expect(() => net.train(new Float32Array(6), new Float32Array(6), { epochs: 1 })).toThrow("train: 2 input rows but 3 target rows");
    expect(() => net.train(new Float32Array(6), new Float32Array(4), { epochs: 1, learningRate: -1 })).toThrow(ArgumentError);
    expect(() => net.forward(tensor([[1, 2]]))).toThrow("NeuralNetwork.forward: inputs [1,2] must be [rows,3]");
    expect(() => net.train(new Float32Array(6), new Float32Array(4), { epochs: 1, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    net.dispose();
  });
});
