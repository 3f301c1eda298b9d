#!/usr/bin/env node
// The `simdnet` command. Subcommands are thin: each lives in its own module under src/cli/.

import { runDemo } from "./demo.js";

const USAGE = `Usage: simdnet <command>

Commands:
  demo     a short tour of the ops with timings (what \`npm start\` runs)
  help     this text
`;

async function main(argv: string[]): Promise<number> {
  const [command = "demo"] = argv;
  switch (command) {
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

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`simdnet: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
