// `simdnet start` (npm start): the two main jobs back to back — the tutorial's neural network on
// MNIST, then a short GPT run on the embedded text with a sample — so a new user sees both halves
// of the tutorial working in about a minute.

import { BUILD_HELP } from "./build-option.js";
import { COMMON_OPTIONS, parseOptions } from "./options.js";
import { COMMON_HELP, printVersion } from "./common.js";
import { runTrainGpt } from "./train-gpt.js";
import { runTrainMlp } from "./train-mlp.js";

export const START_HELP = `Usage: simdnet start [options]

What \`npm start\` runs: train-mlp with its defaults, then a 200-step train-gpt with a sample.
For a configurable run use train-mlp or train-gpt.

Options:
${BUILD_HELP}
${COMMON_HELP}`;

export async function runStart(argv: string[]): Promise<number> {
  const o = parseOptions("start", argv, COMMON_OPTIONS);
  if (o.flag("help")) return void process.stdout.write(START_HELP), 0;
  if (o.flag("version")) return printVersion();
  // Forward the kernel choice as the user wrote it (train-mlp and train-gpt parse it the same way).
  const build = [
    ...(o.string("build") ? ["--build", o.string("build")!] : []),
    ...(o.flag("scalar") ? ["--scalar"] : []),
    ...(o.string("threads") ? ["--threads", o.string("threads")!] : []),
  ];
  const mlp = await runTrainMlp(build);
  if (mlp !== 0) return mlp;
  console.log("\n— Now a short GPT run (the full default: npx simdnet train-gpt) —\n");
  return runTrainGpt(["--steps", "200", "--eval-every", "100", "--sample", "200", ...build]);
}
