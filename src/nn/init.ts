// Weight initialisation schemes. All draw from one seeded Random, so a seed fixes every weight.

import { ArgumentError } from "../runtime/errors.js";
import type { Random } from "../runtime/random.js";

/**
 * - "tutorial": N(0, 1)·0.01, as the tutorial's Neuron does (np.random.randn(n, 1) * 0.01)
 * - "he": N(0, 2/inputs), for ReLU layers (keeps activation variance from shrinking layer to layer)
 * - "xavier": N(0, 2/(inputs + outputs)), for sigmoid/tanh/linear layers
 * - "gpt2": N(0, 0.02²), GPT-2's choice for every weight matrix of a transformer
 */
export type InitScheme = "tutorial" | "he" | "xavier" | "gpt2";
export const INIT_SCHEMES: readonly InitScheme[] = ["tutorial", "he", "xavier", "gpt2"];

export function initWeights(scheme: InitScheme, inputs: number, outputs: number, rng: Random): Float32Array {
  let std: number;
  switch (scheme) {
    case "tutorial":
      std = 0.01;
      break;
    case "he":
      std = Math.sqrt(2 / inputs);
      break;
    case "xavier":
      std = Math.sqrt(2 / (inputs + outputs));
      break;
    case "gpt2":
      std = 0.02;
      break;
    default:
      throw new ArgumentError(`unknown weight init "${String(scheme)}" (choose ${INIT_SCHEMES.join(", ")})`);
  }
  const w = new Float32Array(inputs * outputs);
  for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
  return w;
}
