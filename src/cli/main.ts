#!/usr/bin/env node
// The `simdnet` command. Subcommands are thin: each lives in its own module under src/cli/, parses
// its flags with options.ts and runs a library job (src/jobs) or a few ops.

import { enableRelaxedSimd } from "./build-option.js";
import { runDemoCommand } from "./demo.js";
import { runGenerate } from "./generate.js";
import { runTrainGpt } from "./train-gpt.js";
import { runStart } from "./start.js";
import { runTrainMlp } from "./train-mlp.js";
import { printVersion } from "./common.js";
import { suggest } from "./options.js";

const USAGE = `Usage: simdnet <command> [options]

Commands:
  start       what \`npm start\` runs: train-mlp, then a short train-gpt with a sample
  train-mlp   train the tutorial's neural network on MNIST digits and save it
  train-gpt   train a small GPT on a text (the embedded King James Bible excerpt by default)
  generate    generate text from a train-gpt checkpoint
  demo        a short tour of the ops with timings
  help        this text

\`simdnet <command> --help\` explains a command's options; \`simdnet --version\` prints the version.
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  start: runStart,
  "train-mlp": runTrainMlp,
  "train-gpt": runTrainGpt,
  generate: runGenerate,
  demo: runDemoCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  const run = COMMANDS[command];
  if (run) return run(rest);
  if (command === "help" || command === "--help" || command === "-h") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "--version" || command === "version") return printVersion();
  const near = suggest(command, Object.keys(COMMANDS));
  process.stderr.write(`simdnet: unknown command "${command}"${near ? ` (did you mean ${near}?)` : ""}\n\n${USAGE}`);
  return 2;
}

enableRelaxedSimd();
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`simdnet: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
