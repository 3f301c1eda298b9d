// Which samples `Trainer.fit` feeds, in which order. Sample i's input is the number i, and a layer that
// records its inputs sees every batch, so the order is read back exactly and compared with the documented
// one (FitOptions.seed): one Random(seed) per fit call; before each epoch the previous epoch's order
// (0…n−1 at first) is Fisher–Yates shuffled in place, i from n−1 down to 1 swapping with j = rng.int(i + 1).

import { beforeAll, describe, expect, it } from "vitest";
import { Dense, Random, SGD, Trainer, createLoss, getBackend, init, memory, tensor, type Layer, type Parameter, type Tensor } from "../src/index.js";

beforeAll(async () => {
  await init();
});

/** A Dense layer that remembers the first input column of every training batch it sees. */
class Recording implements Layer {
  readonly kind = "Recording";
  readonly seen: number[][] = [];
  constructor(private readonly inner: Dense) {}
  forward(x: Tensor): Tensor {
    const v = x.toFloat32Array();
    const cols = x.shape[1]!;
    this.seen.push(Array.from({ length: x.shape[0]! }, (_, r) => v[r * cols]!));
    return this.inner.forward(x);
  }
  backward(dy: Tensor, needInputGrad?: boolean): Tensor | undefined {
    return this.inner.backward(dy, needInputGrad);
  }
  parameters(): Parameter[] {
    return this.inner.parameters();
  }
  dispose(): void {
    this.inner.dispose();
  }
}

/** The documented order, written independently of src/nn/train.ts. */
function documentedOrders(n: number, epochs: number, seed: number, shuffle: boolean): number[][] {
  const rng = new Random(seed);
  const order = Array.from({ length: n }, (_, i) => i);
  const out: number[][] = [];
  for (let e = 0; e < epochs; e++) {
    if (shuffle) {
      for (let i = n - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    out.push([...order]);
  }
  return out;
}

/** Fits for `epochs` on n samples (input i has first column i) and returns each epoch's sample order. */
function fitOrders(n: number, epochs: number, batchSize: number, options: { seed?: number; shuffle?: boolean }): number[][] {
  const x = tensor(Float32Array.from({ length: n * 2 }, (_, k) => (k % 2 === 0 ? k / 2 : 0.5)), [n, 2]);
  const y = tensor(new Float32Array(n), [n, 1]);
  const model = new Recording(new Dense(2, 1, { seed: 1 }));
  const loss = createLoss("mse");
  const opt = new SGD(1e-3);
  const trainer = new Trainer(model, loss, opt, getBackend());
  trainer.fit(x, y, { epochs, batchSize, ...options });
  const perEpoch = Math.ceil(n / batchSize);
  const orders = Array.from({ length: epochs }, (_, e) => model.seen.slice(e * perEpoch, (e + 1) * perEpoch).flat());
  for (const t of [x, y]) t.dispose();
  trainer.dispose();
  model.dispose();
  loss.dispose();
  opt.dispose();
  return orders;
}

describe("Trainer.fit sample order", () => {
  it("without shuffling: 0…n−1 every epoch, in batches of batchSize and a partial last batch", () => {
    expect(fitOrders(7, 2, 3, { shuffle: false, seed: 5 })).toEqual(documentedOrders(7, 2, 5, false));
  });

  for (const seed of [0, 1, 2, 12345]) {
    it(`seed ${seed}: every epoch's order is the documented permutation (n = 17, 3 epochs, batches of 4)`, () => {
      const before = memory().numTensors;
      const got = fitOrders(17, 3, 4, { shuffle: true, seed });
      expect(got).toEqual(documentedOrders(17, 3, seed, true));
      for (const order of got) expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 17 }, (_, i) => i));
      expect(memory().numTensors).toBe(before);
    });
  }

  it("seeds 1 and 2 give different orders; omitting the seed means seed 0", () => {
    const one = fitOrders(17, 2, 5, { shuffle: true, seed: 1 });
    const two = fitOrders(17, 2, 5, { shuffle: true, seed: 2 });
    for (let e = 0; e < 2; e++) expect(one[e]).not.toEqual(two[e]);
    expect(fitOrders(17, 2, 5, { shuffle: true })).toEqual(documentedOrders(17, 2, 0, true));
  });
});
