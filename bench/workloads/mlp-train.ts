// One training step of the 784-128-64-10 MLP (ReLU hidden layers, linear output, MSE, SGD lr 0.01)
// on a batch of B samples: forward + loss + backward + update. simdnet: `net.trainBatch`; plain JS:
// bench/lib/plain-mlp.ts; tfjs: ops + tf.train.sgd().minimize; numpy: by hand. All start from
// simdnet's initial weights (seed 1, identical on every build). The check compares the first step's
// loss and every updated parameter against mlpStepRef, the same step in float64 (bench/lib/reference.ts).
// samples/s = B / median step time.

import * as sd from "../../src/index.js";
import type { BenchContext } from "../harness/context.js";
import type { Workload } from "../harness/types.js";
import { PlainMLP } from "../lib/plain-mlp.js";
import { concat, concat64 } from "../lib/arrays.js";
import { mlpStepRef } from "../lib/reference.js";
import { addBuilds, addPeers, newWorkload, peerImpl } from "./common.js";

export const MLP_SIZES = [784, 128, 64, 10];
const LR = 0.01;

/** Seeded inputs in [0, 1) and one-hot targets of random classes. */
export function trainBatchData(batch: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new sd.Random(seed);
  const inputs = MLP_SIZES[0]!;
  const classes = MLP_SIZES[MLP_SIZES.length - 1]!;
  const x = new Float32Array(batch * inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform();
  const y = new Float32Array(batch * classes);
  for (let r = 0; r < batch; r++) y[r * classes + Math.min(classes - 1, Math.floor(rng.uniform() * classes))] = 1;
  return { x, y };
}

export async function mlpTrainWorkload(ctx: BenchContext, batch: number): Promise<Workload> {
  const id = `MLP train B=${batch}`;
  const inputs = MLP_SIZES[0]!;
  const classes = MLP_SIZES[MLP_SIZES.length - 1]!;
  const { x, y } = trainBatchData(batch, 500 + batch);

  const owned: { dispose(): void }[] = [];
  // One step from the same weights: the updated parameters differ from float64 by float32's rounding of
  // the weights plus lr·(gradient error); measured 0.6–1.1e-7 (simdnet, plain JS, tfjs-cpu) and 4.8e-7
  // (tfjs-wasm), loss included: 1e-6. (Gradients alone are checked in the kernel suite's MLP step.)
  const w = newWorkload(ctx, { id, kind: "train", perCall: batch, tol: 1e-6, dispose: () => owned.forEach((o) => o.dispose()) });
  let initial: { weights: Float32Array[]; biases: Float32Array[] } | undefined;
  addBuilds(ctx, w, (b) => {
    const net = new sd.NeuralNetwork([...MLP_SIZES], { seed: 1, loss: "mse", optimizer: "sgd", outputActivation: "linear" });
    const xb = sd.tensor(x, [batch, inputs]);
    const yb = sd.tensor(y, [batch, classes]);
    owned.push(net, xb, yb);
    initial ??= { weights: net.layers.map((l) => l.weights.toFloat32Array()), biases: net.layers.map((l) => l.bias.toFloat32Array()) };
    let firstLoss: number | undefined;
    return {
      run: () => {
        sd.setBackend(b.backend);
        const loss = net.trainBatch(xb, yb, LR);
        firstLoss ??= loss;
      },
      result: () => concat([[firstLoss ?? NaN], ...net.parameters().map((p) => p.value.toFloat32Array())]),
    };
  });
  const init = initial!;
  w.reference = () => {
    const r = mlpStepRef(MLP_SIZES, init.weights, init.biases, x, y, batch, LR, { outputActivation: "linear", loss: "mse" });
    return concat64([[r.loss], ...r.weights.flatMap((wl, l) => [wl, r.biases[l]!])]);
  };
  {
    const plain = new PlainMLP(MLP_SIZES, init.weights, init.biases, { outputActivation: "linear", loss: "mse" });
    let firstLoss: number | undefined;
    w.impls.push({
      label: "plain JS (i-k-j)", column: "plain JS", kind: "js",
      run: () => {
        const loss = plain.step(x, y, batch, LR);
        firstLoss ??= loss;
      },
      result: () => concat([[firstLoss ?? NaN], ...plain.weights.flatMap((wl, l) => [wl, plain.biases[l]!])]),
    });
  }
  const mlp = { sizes: MLP_SIZES, weights: init.weights, biases: init.biases, x, y, batch, lr: LR };
  await addPeers(ctx, w, (p) => (p.train ? peerImpl(p, p.train(mlp)) : undefined));
  const numpyInputs: Record<string, Float32Array> = { x, y };
  init.weights.forEach((wl, l) => {
    numpyInputs[`w${l}`] = wl;
    numpyInputs[`b${l}`] = init.biases[l]!;
  });
  w.numpy = { id, kind: "train", params: { sizes: MLP_SIZES, batch, lr: LR }, inputs: numpyInputs };
  return w;
}
