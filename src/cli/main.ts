#!/usr/bin/env node
// The `simdnet` command. Subcommands are thin: each lives in its own module under src/cli/.

import { enableRelaxedSimd } from "./build-option.js";
import { runDemo } from "./demo.js";
import { runGenerate, runTrainGpt } from "./gpt.js";
import { runStart } from "./start.js";
import { runTrainMlp } from "./train-mlp.js";

const USAGE = `Usage: simdnet <command>

Commands:
  start       what \`npm start\` runs: train-mlp, then a short train-gpt with a sample
  train-mlp   train the tutorial's neural network on MNIST digits and save it
  train-gpt   train a small GPT on a text (the embedded King James Bible excerpt by default)
  generate    generate text from a train-gpt checkpoint
  demo        a short tour of the ops with timings
  help        this text

\`simdnet <command> --help\` explains a command's options.
`;

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  switch (command) {
    case "start":
      return runStart(rest);
    case "train-mlp":
      return runTrainMlp(rest);
    case "train-gpt":
      return runTrainGpt(rest);
    case "generate":
      return runGenerate(rest);
    case "demo":
      await runDemo();
      return 0;
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE);
      return 0;
    default:
      process.stderr.write(`simdnet: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}

enableRelaxedSimd();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`simdnet: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
