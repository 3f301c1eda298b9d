// End-to-end: the train-mlp job (src/jobs) on the real embedded MNIST digits, as `npm start` runs it.
import { beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_MLP_TRAINING, FormatError, NeuralNetwork, TUTORIAL_MLP_TRAINING, init, loadEmbeddedMnist, oneHot, readSafetensors, tensor, tidy, trainMlp, writeSafetensors, type Dataset,
} from "../src/index.js";
import { TutorialNetwork } from "./helpers/tutorial-reference.js";

let train: Dataset;
let test: Dataset;

beforeAll(async () => {
  await init();
  ({ train, test } = await loadEmbeddedMnist({ seed: 0 }));
});

describe("train-mlp on the embedded MNIST digits", () => {
  it("the default configuration reaches at least 96% test accuracy on the 2,000 held-out digits", async () => {
    const r = await trainMlp(DEFAULT_MLP_TRAINING, { train, test });
    expect(r.history).toHaveLength(DEFAULT_MLP_TRAINING.epochs);
    expect(r.history.at(-1)!.loss).toBeLessThan(r.history[0]!.loss);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0.96);
    r.net.dispose();
  });

  it("the tutorial's configuration at learning rate 0.1 reaches 93% in 10 epochs when its output ReLUs survive", async () => {
    // Faithful to the tutorial, its ReLU output layer can lose units for good: an output unit pushed
    // below zero for every digit gets no gradient again, and its digit is never predicted. Which
    // units die depends on the initial weights, so the outcome depends on the seed: seed 2 keeps all
    // ten, seed 1 loses three. (The float64 reference test below shows the arithmetic is the tutorial's.)
    const alive = await trainMlp({ ...TUTORIAL_MLP_TRAINING, seed: 2 }, { train, test });
    expect(alive.net.deadUnits(train.images).at(-1)).toBe(0);
    expect(alive.testAccuracy).toBeGreaterThanOrEqual(0.93);
    alive.net.dispose();

    const dying = await trainMlp({ ...TUTORIAL_MLP_TRAINING, seed: 1 }, { train, test });
    expect(dying.net.deadUnits(train.images).at(-1)).toBeGreaterThan(0);
    expect(dying.testAccuracy).toBeLessThan(0.8);
    dying.net.dispose();
  });

  it("per-epoch losses and final weights on real digits and the real 784-128-64-10 network match the tutorial's classes in float64", () => {
    const n = 96;
    const batch = 32;
    const lr = 0.1;
    const net = NeuralNetwork.tutorial([784, 128, 64, 10], { seed: 2 });
    const tutorial = new TutorialNetwork(net.layerSizes, net.layers.map((L) => L.weights.toFloat32Array()), net.layers.map((L) => L.bias.toFloat32Array()));
    const x = train.images.subarray(0, n * 784);
    const y = oneHot(train.labels.subarray(0, n));
    const history = net.train(x, y, { epochs: 3, learningRate: lr, batchSize: batch });
    const want = tutorial.train(x, y, n, 3, lr, batch);
    for (let e = 0; e < 3; e++) {
      expect(Math.abs(history[e]!.loss - want[e]!) / want[e]!, `epoch ${e + 1}: ${history[e]!.loss} vs ${want[e]}`).toBeLessThan(1e-4);
    }
    net.layers.forEach((L, l) => {
      const ref = tutorial.parameters(l).weights;
      const got = L.weights.toFloat32Array();
      let diff = 0;
      let size = 0;
      ref.forEach((v, i) => ((diff = Math.max(diff, Math.abs(got[i]! - v))), (size = Math.max(size, Math.abs(v)))));
      expect(diff / size, `layer ${l} weights`).toBeLessThan(1e-4);
    });
    net.dispose();
  });
});

describe("saving and loading a network (safetensors)", () => {
  it("round-trips bit-exactly, with the tutorial's layout and the architecture in the metadata", () => {
    const net = new NeuralNetwork([784, 32, 10], { seed: 4 });
    net.train(train.images.subarray(0, 256 * 784), oneHot(train.labels.subarray(0, 256)), { epochs: 1 });
    const bytes = net.save();
    const file = readSafetensors(bytes);
    expect(Object.keys(file.tensors)).toEqual(["layers.0.weights", "layers.0.bias", "layers.1.weights", "layers.1.bias"]);
    expect(file.tensors["layers.0.weights"]!.shape).toEqual([784, 32]);
    expect(file.tensors["layers.1.bias"]!.shape).toEqual([1, 10]);
    expect(file.metadata.layerSizes).toBe("[784,32,10]");
    expect(file.metadata.loss).toBe("cross-entropy");
    const loaded = NeuralNetwork.load(bytes);
    expect(loaded.layerSizes).toEqual([784, 32, 10]);
    expect(loaded.options.outputActivation).toBe("linear");
    for (let i = 0; i < 2; i++) {
      expect(loaded.layers[i]!.weights.toFloat32Array()).toEqual(net.layers[i]!.weights.toFloat32Array());
      expect(loaded.layers[i]!.bias.toFloat32Array()).toEqual(net.layers[i]!.bias.toFloat32Array());
    }
    tidy(() => {
      const x = tensor(test.images.subarray(0, 50 * 784), [50, 784]);
      expect(loaded.predict(x).toFloat32Array()).toEqual(net.predict(x).toFloat32Array());
    });
    net.dispose();
    loaded.dispose();
  });

  it("refuses files that are not networks or whose tensors do not fit, with FormatError", () => {
    const net = new NeuralNetwork([4, 3, 2], { seed: 1 });
    const good = readSafetensors(net.save());
    const rewrite = (edit: (t: Record<string, { shape: number[]; data: Float32Array }>, m: Record<string, string>) => void) => {
      const tensors = Object.fromEntries(Object.entries(good.tensors).map(([k, v]) => [k, { shape: v.shape.slice(), data: v.data.slice() }]));
      const metadata = { ...good.metadata };
      edit(tensors, metadata);
      return writeSafetensors(tensors, metadata);
    };
    expect(() => NeuralNetwork.load(writeSafetensors({ w: { shape: [1], data: new Float32Array(1) } }))).toThrow(/not a simdnet network file/);
    expect(() => NeuralNetwork.load(rewrite((t) => delete t["layers.1.bias"]))).toThrow('tensor "layers.1.bias" is missing for layer sizes [4,3,2]');
    expect(() => NeuralNetwork.load(rewrite((t) => (t["layers.0.weights"] = { shape: [3, 4], data: new Float32Array(12) })))).toThrow(
      'tensor "layers.0.weights" has shape [3,4], layer sizes [4,3,2] need [4,3]',
    );
    expect(() => NeuralNetwork.load(rewrite((t) => (t.extra = { shape: [1], data: new Float32Array(1) })))).toThrow(/unexpected tensors extra/);
    expect(() => NeuralNetwork.load(rewrite((_, m) => (m.layerSizes = "[4]")))).toThrow(FormatError);
    expect(() => NeuralNetwork.load(rewrite((_, m) => (m.hiddenActivation = "swish")))).toThrow(/metadata hiddenActivation "swish" is not one of linear, relu/);
    expect(() => NeuralNetwork.load(net.save().subarray(0, 40))).toThrow(FormatError);
    net.dispose();
  });
});
