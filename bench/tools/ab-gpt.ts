// A/B of the issue-10 targets: the GPT training step and cached generation, this tree against a base tree,
// both loaded into one process and timed in alternating order, round after round. CPU time per call
// (process.cpuUsage): on a shared host wall time mostly measures the other processes.
//
//   git archive dc42fe8 | tar -x -C /tmp/base && ln -s "$PWD/node_modules" /tmp/base/node_modules
//   (cd /tmp/base && npm run asbuild:simd && npm run asbuild:relaxed)
//   node --experimental-wasm-relaxed-simd --no-liftoff --import tsx bench/tools/ab-gpt.ts \
//     [--base=/tmp/base] [--build=relaxed|simd] [--rounds=9] [--only=train|generate]
//
// A base tree that already imports "#simdnet/platform" (later than dc42fe8) needs `node --conditions=source …`,
// so that its package.json maps the import to its src/ instead of an unbuilt dist/.
//
// Workloads are the bench's (bench/workloads/gpt-config.ts): the default model (vocab 62, context 64, d 128,
// 4 heads, 2 layers, tied W_U), a train step at batch 32 × 64 tokens, and greedy generation of 64 tokens after
// "Thequick" with the KV cache. Before timing, both trees must generate the same ids (they share the seed).

import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { GPT_CHARS, GPT_CONFIG, GPT_PROMPT, GPT_TRAIN_OPTIONS } from "../workloads/gpt-config.js";

const arg = (name: string, fallback: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const basePath = resolve(arg("base", "/tmp/base"));
const build = arg("build", "relaxed") as "relaxed" | "simd";
const rounds = Number(arg("rounds", "9"));
const only = arg("only", "");

type Sd = typeof import("../../src/index.js");
const here = (await import("../../src/index.js")) as Sd;
const base = (await import(pathToFileURL(`${basePath}/src/index.ts`).href)) as Sd;

interface Side { train: () => void; generate: () => Int32Array }

async function setup(sd: Sd): Promise<Side> {
  // One thread: the issue-10 targets are one-thread figures (the base tree has no threads and ignores the option).
  const backend = await sd.createBackend({ build, threads: 1 } as Parameters<Sd["createBackend"]>[0]);
  sd.setBackend(backend);
  const rng = new sd.Random(900);
  const tokens = new Int32Array(1 << 16);
  for (let i = 0; i < tokens.length; i++) tokens[i] = rng.int(GPT_CONFIG.vocabSize);
  const trainer = new sd.GptTrainer(new sd.GPT({ ...GPT_CONFIG, seed: 0 }), tokens, tokens, GPT_TRAIN_OPTIONS);
  const genModel = new sd.GPT({ ...GPT_CONFIG, seed: 0 });
  const tokenizer = sd.Tokenizer.characters(GPT_CHARS);
  const options = { maxNewTokens: 64, greedy: true };
  return {
    train: () => (sd.setBackend(backend), void trainer.trainStep()),
    generate: () => (sd.setBackend(backend), sd.generate(genModel, tokenizer, GPT_PROMPT, options).ids),
  };
}

const sides = { base: await setup(base), here: await setup(here) };
const idsBase = sides.base.generate(), idsHere = sides.here.generate();
const same = idsBase.length === idsHere.length && idsBase.every((v, i) => v === idsHere[i]);
console.log(`base ${basePath}, build ${build}, ${rounds} rounds; same generated ids: ${same}`);

/** CPU milliseconds per call of f over `reps` calls. */
function cpuMs(f: () => unknown, reps: number): number {
  const t = process.cpuUsage();
  for (let i = 0; i < reps; i++) f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000 / reps;
}

const jobs = [
  { name: "train step 32×64", key: "train" as const, reps: 3, tokens: 2048 },
  { name: "generate 64 (KV cache)", key: "generate" as const, reps: 15, tokens: 64 },
].filter((j) => only === "" || j.key === only);
const times = jobs.map(() => ({ base: [] as number[], here: [] as number[] }));
for (const j of jobs) for (const s of Object.values(sides)) s[j.key](); // warm-up
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? (["base", "here"] as const) : (["here", "base"] as const);
  jobs.forEach((j, i) => {
    for (const side of order) times[i]![side].push(cpuMs(sides[side][j.key], j.reps));
  });
}

const median = (x: number[]) => { const s = [...x].sort((p, q) => p - q); const m = s.length >> 1; return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
jobs.forEach((j, i) => {
  const { base: b, here: h } = times[i]!;
  const mb = median(b), mh = median(h);
  const perSec = (ms: number) => Math.round((j.tokens / ms) * 1000);
  console.log(
    `${j.name}: base ${mb.toFixed(2)} ms (${perSec(mb)} tokens/s), here ${mh.toFixed(2)} ms (${perSec(mh)} tokens/s); ` +
    `speed-up median ${(mb / mh).toFixed(3)}×, min/min ${(Math.min(...b) / Math.min(...h)).toFixed(3)}×; ` +
    `per round ${b.map((v, k) => (v / h[k]!).toFixed(2)).join(" ")}`,
  );
});
process.exit(0);
