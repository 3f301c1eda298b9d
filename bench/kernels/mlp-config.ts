// The MLP training step's configurations (the like-for-like main row, the tutorial's network, the
// default recipe), its batches, flop count, check tolerances and round settings. The network is the
// 784-128-64-10 MLP of the peer bench (MLP_SIZES from bench/workloads/mlp-train.ts).

import * as sd from "../../src/index.js";
import type { PlainMlpOptions } from "../lib/plain-mlp.js";
import { MLP_SIZES, trainBatchData } from "../workloads/mlp-train.js";
import { CFG } from "./config.js";
import type { TrainVariant } from "./types.js";

export { MLP_SIZES, trainBatchData };

/** 2 × multiply-adds of one step's products: x·W and dW = xᵀ·dz per layer, dx = dz·Wᵀ except for layer 0. */
export function trainStepFlops(batch: number): number {
  let f = 0;
  for (let l = 0; l + 1 < MLP_SIZES.length; l++) f += 2 * batch * MLP_SIZES[l]! * MLP_SIZES[l + 1]! * (l === 0 ? 2 : 3);
  return f;
}
/** Tolerances of the training checks: |x − y| ≤ tol · max(|y|, 0.01 · max|y|), per tensor. */
export const TRAIN_TOL = { loss: 1e-4, params: 1e-4, grads: 1e-4 };
/**
 * Twice the rounds at half the budget, so the implementations alternate more often, and every timed
 * sample lasts at least about 50 ms (see Workload.sampleMs; one plain-JS step at B = 128 takes
 * 70–100 ms): a SIMD sample is a run of consecutive steps.
 */
export const TRAIN_ROUNDS = { rounds: 2 * CFG.rounds, budgetMs: CFG.budgetMs / 2, sampleMs: 50 };

export interface TrainConfig {
  variant: Exclude<TrainVariant, "gemms" | "rest">;
  /** Description for the table and the docs. */
  name: string;
  make: () => sd.NeuralNetwork;
  learningRate: number;
  impls: readonly ("simd" | "scalar" | "js")[];
  /** The plain-JS twin of the network (SGD + MSE configurations only); also the check's reference. */
  plain?: PlainMlpOptions;
}

export const TRAIN_CONFIGS: TrainConfig[] = [
  {
    // The like-for-like row: He init, ReLU hidden layers, linear output, MSE (gradient of the reported
    // mean), plain SGD. simdnet does what plain JS does, plus the trainer's finiteness check
    // (Σ g² per parameter) and the API's shape checks.
    variant: "main",
    name: "SGD + MSE, linear output",
    make: () => new sd.NeuralNetwork([...MLP_SIZES], { seed: 1, loss: "mse", optimizer: "sgd", outputActivation: "linear" }),
    learningRate: 0.01,
    impls: ["simd", "scalar", "js"],
    plain: { outputActivation: "linear", loss: "mse" },
  },
  {
    // The tutorial's network (ReLU output, N(0,1)·0.01 init, step 2(a − y)/rows, SGD): checked
    // against its plain-JS twin like the main row, timed on SIMD only.
    variant: "tutorial",
    name: "tutorial: SGD + mse-tutorial, ReLU output",
    make: () => sd.NeuralNetwork.tutorial([...MLP_SIZES], { seed: 1 }),
    learningRate: 0.01,
    impls: ["simd"],
    plain: { outputActivation: "relu", loss: "mse-tutorial" },
  },
  {
    // The default recipe (He init, linear output, softmax cross-entropy, Adam): informative, SIMD only.
    variant: "default",
    name: "default recipe: Adam + cross-entropy",
    make: () => new sd.NeuralNetwork([...MLP_SIZES], { seed: 1 }),
    learningRate: 1e-3,
    impls: ["simd"],
  },
];
export const MAIN_TRAIN = TRAIN_CONFIGS[0]!;
