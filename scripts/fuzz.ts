// npm run fuzz -- [--per-format N] [--seed S] [--format NAME] [--json FILE]
//
// Mutates valid files of every format simdnet reads and loads each mutant as a Uint8Array, a Node
// Buffer and an offset view (tests/fuzz/run.ts says what counts as a failure). Prints one line per
// format and every failure with its index, so `--seed S --format NAME` reproduces it. Exits 1 on any
// failure. Run under `node --expose-gc` (the npm script does) so the JS heap is measured too.

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { backendInfo, init } from "../src/index.js";
import { allFormats } from "../tests/fuzz/formats.js";
import { fuzzFormat, type FormatReport } from "../tests/fuzz/run.js";

const { values } = parseArgs({
  options: {
    "per-format": { type: "string", default: "1000" },
    seed: { type: "string", default: "1" },
    format: { type: "string" },
    json: { type: "string" },
  },
});
const perFormat = Number(values["per-format"]);
const seed = Number(values.seed);
if (!(Number.isInteger(perFormat) && perFormat > 0) || !Number.isInteger(seed)) {
  console.error("usage: npm run fuzz -- [--per-format N] [--seed S] [--format NAME] [--json FILE]");
  process.exit(2);
}

await init();
const formats = allFormats().filter((f) => values.format === undefined || f.name === values.format);
if (formats.length === 0) {
  console.error(`no format named ${values.format}; formats: ${allFormats().map((f) => f.name).join(", ")}`);
  process.exit(2);
}
console.log(`fuzz: ${perFormat} mutants per format, seed ${seed}, build ${backendInfo().build}, heap measured: ${typeof (globalThis as { gc?: unknown }).gc === "function"}`);
const reports: FormatReport[] = [];
for (const format of formats) {
  const report = await fuzzFormat(format, {
    perFormat,
    seed,
    onProgress: (name, done) => { if (done % 1000 === 0) process.stderr.write(`  ${name}: ${done}\n`); },
  });
  reports.push(report);
  const rejected = Object.entries(report.rejected).map(([k, v]) => `${k} ${v}`).join(", ");
  console.log(
    `${report.format.padEnd(16)} ${report.mutants} mutants: ${report.accepted} accepted and confirmed, rejected: ${rejected || "none"}; ` +
      `${report.failures.length} failures; max growth ${(report.maxGrowth / 2 ** 20).toFixed(1)} MiB, slowest load ${report.slowestMs.toFixed(0)} ms, ${(report.ms / 1000).toFixed(1)} s`,
  );
  for (const f of report.failures) console.log(`  FAIL #${f.index} (${f.form}): ${f.problem}`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ perFormat, seed, reports }, null, 2));
process.exit(reports.some((r) => r.failures.length > 0) ? 1 : 0);
