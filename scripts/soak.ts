// npm run soak [-- --mlp-steps N --gpt-steps N]: the long soak (defaults: MNIST 100,000 steps, GPT
// 5,000 steps with generation every 250). Exits non-zero if anything grows after warm-up:
// live tensors, allocator bytes or Wasm memory at all, RSS by more than RSS_LIMIT.
import { describeReport, soakGpt, soakMlp, type SoakReport } from "./soak-run.js";

const RSS_LIMIT = 32 * 2 ** 20;

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${process.argv[i + 1]}`);
  return n;
}

const log = (line: string) => console.log(line);
const reports: SoakReport[] = [];
reports.push(await soakMlp(flag("mlp-steps", 100_000), 500, log));
reports.push(await soakGpt(flag("gpt-steps", 5_000), 50, 250, {}, log));
let failed = false;
for (const r of reports) {
  console.log(describeReport(r));
  const g = r.growth;
  if (g.numTensors !== 0 || g.allocatedBytes !== 0 || g.wasmBytes !== 0 || g.rss > RSS_LIMIT) {
    console.log(`  FAIL: ${r.name} grew after warm-up`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
