// One-off: cached generation on 1 thread against N threads, interleaved (the issue-10/12 question whether a
// worker pool should keep the decode step's weight panels). Wall time per generate() call, medians.
//   node --conditions=source --experimental-wasm-relaxed-simd --no-liftoff --import tsx bench/tools/gen-threads.ts [rounds]
import * as sd from "../../src/index.js";
import { GPT_CHARS, GPT_CONFIG, GPT_PROMPT } from "../workloads/gpt-config.js";

const rounds = Number(process.argv[2] ?? 9);
const tokenizer = sd.Tokenizer.characters(GPT_CHARS);
const runs = await Promise.all([1, 2].map(async (threads) => {
  const backend = await sd.createBackend({ build: "relaxed", threads });
  sd.setBackend(backend);
  const model = new sd.GPT({ ...GPT_CONFIG, seed: 0 });
  return { threads, backend, model, times: [] as number[], ids: "" };
}));
const options = { maxNewTokens: 64, useCache: true, greedy: true };
for (let r = 0; r < rounds; r++) {
  for (const run of r % 2 ? [...runs].reverse() : runs) {
    sd.setBackend(run.backend);
    for (let i = 0; i < 3; i++) sd.generate(run.model, tokenizer, GPT_PROMPT, options); // warm
    for (let i = 0; i < 15; i++) {
      const t0 = performance.now();
      run.ids = Array.from(sd.generate(run.model, tokenizer, GPT_PROMPT, options).ids).join(",");
      run.times.push(performance.now() - t0);
    }
  }
}
const median = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!;
for (const run of runs) console.log(`${run.threads} thread(s): median ${median(run.times).toFixed(3)} ms, min ${Math.min(...run.times).toFixed(3)} ms`);
console.log(`same ids: ${runs[0]!.ids === runs[1]!.ids}`);
for (const run of runs) run.backend.dispose();
