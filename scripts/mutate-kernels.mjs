#!/usr/bin/env node
// Mutation testing for the AssemblyScript kernels (Stryker cannot parse AssemblyScript). Each mutant below
// is a small, realistic bug written as exact text edits. For each: apply it, run the as-pect specs that
// should catch it (they compile assembly/ from source, no rebuild needed); if they all pass, rebuild the
// Wasm and run the vitest files too. Report caught/survived, restore the sources, rebuild once at the end.
//
//   npm run mutate:kernels                 every mutant
//   npm run mutate:kernels -- --only adam-bias1,exp-c4
//   npm run mutate:kernels -- --list
//   npm run mutate:kernels -- --no-rebuild   as-pect only: leaves build/ alone (e.g. while Stryker copies it)
//
// Writes reports/kernel-mutants.json. Takes ~1 minute per mutant caught by as-pect, ~4 with a rebuild.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** @type {{ id: string, what: string, edits: { file: string, from: string, to: string }[], specs: string[], tests: string[] }[]} */
const MUTANTS = [
  {
    id: "exp-c4",
    what: "exp polynomial coefficient C4 off by 1e-3 relative",
    edits: [{ file: "assembly/vmath.ts", from: "const C4: f32 = 4.166838899e-2;", to: "const C4: f32 = 4.171005738e-2;" }],
    specs: ["vmath"],
    tests: ["elementwise", "softmax"],
  },
  {
    id: "tanh-t5",
    what: "tanh small-argument series coefficient 2/15 off by 5e-4 relative",
    edits: [{ file: "assembly/vmath.ts", from: "const T5: f32 = 0.133333333333333333;", to: "const T5: f32 = 0.1334;" }],
    specs: ["vmath"],
    tests: ["elementwise"],
  },
  {
    id: "adam-bias1",
    what: "Adam: first-moment bias correction dropped",
    edits: [{ file: "assembly/optim.ts", from: "const ib1: f32 = <f32>1 / bias1", to: "const ib1: f32 = <f32>1" }],
    specs: ["optim"],
    tests: ["adam-oracle", "gpt-trainer-oracle"],
  },
  {
    id: "adamw-decay-in-gradient",
    what: "AdamW decay folded into the gradient (L2-regularised Adam) instead of decoupled",
    edits: [
      { file: "assembly/optim.ts", from: "const g = v128.load(grad + o);", to: "const g = fmadd(vwd, v128.load(param + o), v128.load(grad + o));" },
      { file: "assembly/optim.ts", from: "f32x4.mul(vlr, fmadd(vwd, p, step))", to: "f32x4.mul(vlr, step)" },
      { file: "assembly/optim.ts", from: "const g = load<f32>(grad + o);", to: "const g = load<f32>(grad + o) + weightDecay * load<f32>(param + o);" },
      { file: "assembly/optim.ts", from: "p - lr * (step + weightDecay * p)", to: "p - lr * step" },
    ],
    specs: ["optim"],
    tests: ["adam-oracle", "gpt-trainer-oracle"],
  },
  {
    id: "momentum-dampening",
    what: "heavy-ball momentum with (1 − μ) dampening in the scalar loop (the build without SIMD, and SIMD tails)",
    edits: [{ file: "assembly/optim.ts", from: "const vel = momentum * load<f32>(velocity + o) + load<f32>(grad + o);", to: "const vel = momentum * load<f32>(velocity + o) + (1 - momentum) * load<f32>(grad + o);" }],
    specs: ["optim"],
    tests: ["nn"],
  },
  {
    id: "sum-squares-drops-last",
    what: "sum of squares skips the last element",
    edits: [{ file: "assembly/optim.ts", from: "return <f32>sum_sq_f64(n, x, 0, false);", to: "return <f32>sum_sq_f64(n - 1, x, 0, false);" }],
    specs: ["optim"],
    tests: ["gpt-trainer-oracle", "nn"],
  },
  {
    id: "all-finite-simd",
    what: "finiteness check ignores non-finite values found by the vector loop",
    edits: [{ file: "assembly/optim.ts", from: "if (v128.any_true(acc)) return 0;", to: "if (v128.any_true(acc)) return 1;" }],
    specs: ["optim"],
    tests: ["nn"],
  },
  {
    id: "layernorm-eps-outside-sqrt",
    what: "LayerNorm: 1/(√var + ε) instead of 1/√(var + ε)",
    edits: [{ file: "assembly/norm.ts", from: "const r = <f32>1 / sqrt<f32>(sq_dev_sum(cols, xr, m) * invN + eps);", to: "const r = <f32>1 / (sqrt<f32>(sq_dev_sum(cols, xr, m) * invN) + eps);" }],
    specs: ["norm"],
    tests: ["layer-norm-layer", "norm"],
  },
  {
    id: "causal-mask-off-by-one",
    what: "causal softmax lets each row see one future column",
    edits: [{ file: "assembly/softmax.ts", from: "return min(max(i + 1 + (cols - rows), 0), cols);", to: "return min(max(i + 2 + (cols - rows), 0), cols);" }],
    specs: ["softmax"],
    tests: ["softmax"],
  },
  {
    id: "embedding-backward-no-zeroing",
    what: "embedding backward accumulates into dtable without zeroing it first",
    edits: [{ file: "assembly/embedding.ts", from: "fill_f32(vocab * d, 0, dtable);", to: "fill_f32(0, 0, dtable);" }],
    specs: ["embedding"],
    tests: ["embedding"],
  },
  {
    id: "sigmoid-backward-simd",
    what: "sigmoid backward y·(1 + y) in the vector loop",
    edits: [{ file: "assembly/activations.ts", from: "f32x4.mul(vy, f32x4.sub(one, vy))", to: "f32x4.mul(vy, f32x4.add(one, vy))" }],
    specs: ["activations"],
    tests: ["elementwise", "nn"],
  },
  {
    id: "gemm-k-block",
    what: "GEMM drops the last k of every cache block",
    edits: [{ file: "assembly/gemm.ts", from: "const kc = min(kcStep, k - pc);", to: "const kc = min(kcStep, k - pc) - (k - pc > 1 ? 1 : 0);" }],
    specs: ["gemm"],
    tests: ["matmul"],
  },
];

const args = process.argv.slice(2);
if (args.includes("--list")) {
  for (const m of MUTANTS) console.log(`${m.id.padEnd(30)} ${m.what}`);
  process.exit(0);
}
const onlyAt = args.indexOf("--only");
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(",")) : undefined;
const chosen = MUTANTS.filter((m) => !only || only.has(m.id));
if (only && chosen.length !== only.size) throw new Error(`unknown mutant id in --only ${args[onlyAt + 1]} (see --list)`);

const noRebuild = args.includes("--no-rebuild");
// as-pect resolves --config against the working directory: pass the name, not an absolute path.
const CONFIG_NAME = ".mutate-kernels.aspect.config.js";
const CONFIG = path.join(root, CONFIG_NAME);
const run = (cmd, cmdArgs, env = {}) => {
  const r = spawnSync(cmd, cmdArgs, { cwd: root, env: { ...process.env, ...env }, encoding: "utf8", timeout: 15 * 60_000 });
  return { ok: r.status === 0, timedOut: r.error?.code === "ETIMEDOUT", output: `${r.stdout ?? ""}${r.stderr ?? ""}` };
};

function applyEdits(m) {
  const originals = new Map();
  for (const e of m.edits) {
    const file = path.join(root, e.file);
    const text = originals.has(file) ? readFileSync(file, "utf8") : (originals.set(file, readFileSync(file, "utf8")), originals.get(file));
    const count = text.split(e.from).length - 1;
    if (count !== 1) {
      restore(originals);
      throw new Error(`${m.id}: "${e.from}" occurs ${count} times in ${e.file} (must be exactly once: the kernel changed, update the mutant)`);
    }
    writeFileSync(file, text.replace(e.from, e.to));
  }
  return originals;
}

function restore(originals) {
  for (const [file, text] of originals) writeFileSync(file, text);
}

writeFileSync(CONFIG, `import base from "./as-pect.config.js";\nexport default { ...base, entries: (process.env.MUTANT_SPECS ?? "").split(",") };\n`);
const aspect = (specs) => run("npx", ["asp", "--config", CONFIG_NAME, "--no-logo", "--summary"], { MUTANT_SPECS: specs.join(",") });
const results = [];
let rebuilt = false;
try {
  // Baseline: the specs must pass on the unmutated kernels, or every "catch" below would mean nothing.
  const allSpecs = [...new Set(chosen.flatMap((m) => m.specs))].map((s) => `tests/assembly/${s}.spec.ts`);
  const baseline = aspect(allSpecs);
  if (!baseline.ok) throw new Error(`baseline: as-pect fails on the unmutated kernels:\n${baseline.output.slice(-2000)}`);
  console.log(`baseline: ${allSpecs.length} spec files pass on the unmutated kernels`);
  for (const m of chosen) {
    const t0 = Date.now();
    const originals = applyEdits(m);
    let verdict;
    try {
      const specs = m.specs.map((s) => `tests/assembly/${s}.spec.ts`);
      const asp = aspect(specs);
      // A mutant that does not compile is not a test catch: say so (the mutant list needs fixing).
      const failedTests = /✖|\[Fail\]|❌ Fail|Failed:/.test(asp.output);
      if (!asp.ok && !failedTests && !asp.timedOut) throw new Error(`${m.id}: as-pect failed without a failing test (compile error?):\n${asp.output.slice(-2000)}`);
      if (!asp.ok) verdict = { caught: true, by: asp.timedOut ? "as-pect (timeout)" : `as-pect ${m.specs.join(", ")}` };
      else if (noRebuild) verdict = { caught: false, by: "(passed as-pect; vitest not run: --no-rebuild)" };
      else {
        rebuilt = true;
        const build = run("npm", ["run", "-s", "asbuild"]);
        if (!build.ok) verdict = { caught: true, by: "the compiler" };
        else {
          const vt = run("npx", ["vitest", "run", ...m.tests.map((t) => `tests/${t}.test.ts`)]);
          verdict = vt.ok ? { caught: false, by: "" } : { caught: true, by: vt.timedOut ? "vitest (timeout)" : `vitest ${m.tests.join(", ")}` };
        }
      }
    } finally {
      restore(originals);
    }
    const seconds = Math.round((Date.now() - t0) / 1000);
    results.push({ id: m.id, what: m.what, ...verdict, seconds });
    console.log(`${verdict.caught ? "caught  " : "SURVIVED"} ${m.id.padEnd(30)} ${verdict.by} (${seconds} s)`);
  }
} finally {
  rmSync(CONFIG, { force: true });
  if (rebuilt) {
    console.log("restoring build/ from the unmutated sources…");
    if (!run("npm", ["run", "-s", "asbuild"]).ok) console.error("REBUILD FAILED: run npm run asbuild");
  }
}
const caught = results.filter((r) => r.caught).length;
console.log(`\n${caught}/${results.length} kernel mutants caught`);
mkdirSync(path.join(root, "reports"), { recursive: true });
writeFileSync(path.join(root, "reports", "kernel-mutants.json"), JSON.stringify({ date: new Date().toISOString(), caught, total: results.length, results }, null, 2) + "\n");
process.exit(caught === results.length ? 0 : 1);
