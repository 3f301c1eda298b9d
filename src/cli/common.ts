// What every command shares: the --help/--version lines, the version itself, plurals, and Ctrl-C
// handling that lets a training job stop at a step boundary and save instead of dying mid-step.

import { readFileSync } from "node:fs";

/** "1 epoch", "2 epochs". */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : many}`;
}

export const COMMON_HELP = `  --help, -h           this text
  --version            the simdnet version
`;

export function version(): string {
  // From src/cli/ (tsx) and dist/cli/ (built) alike, package.json is two folders up.
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function printVersion(): number {
  process.stdout.write(`simdnet ${version()}\n`);
  return 0;
}

/**
 * Run a job with Ctrl-C (SIGINT) and SIGTERM turned into a stop request: the job finishes its step,
 * saves a checkpoint and returns. A second signal exits at once (the last saved checkpoint stays whole,
 * since saves are atomic).
 */
export async function interruptible(run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write(`\nsimdnet: ${name}: stopping after this step and saving (again to quit at once)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await run(controller.signal);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
