// `simdnet start` (npm start): the two main jobs back to back — the tutorial's neural network on
// MNIST, then a short GPT run on the embedded text with a sample — so a new user sees both halves
// of the tutorial working in about a minute.

import { runTrainGpt } from "./gpt.js";
import { runTrainMlp } from "./train-mlp.js";

export async function runStart(argv: string[]): Promise<number> {
  if (argv.length > 0) {
    process.stderr.write("simdnet start takes no options; use train-mlp or train-gpt for a configurable run\n");
    return 2;
  }
  const mlp = await runTrainMlp([]);
  if (mlp !== 0) return mlp;
  console.log("\n— Now a short GPT run (the full default: npx simdnet train-gpt) —\n");
  return runTrainGpt(["--steps", "200", "--eval-every", "100", "--sample", "200"]);
}
