#!/usr/bin/env node
// Build only what is out of date, so `npm install && npm start && npm test` builds once: `prepare`
// (run by npm install / npm ci / npm pack), `prestart` and `pretest` all call this, and only the first
// finds anything to do. A part is stale when an input is newer than its oldest output, or an output
// is missing:
//   kernels: assembly/**, asconfig.json          → src/runtime/kernels.ts (only if its text changes),
//            build/simdnet{.relaxed,,.scalar}{,.shared}.wasm, build/simdnet.inline.js
//   library: src/**, tsconfig*.json, package.json → dist/ (marker: dist/index.js; tsc rewrites every file)
// `npm run build` still rebuilds everything unconditionally.
//
//   node scripts/ensure-built.mjs     prints what it built, or that everything was up to date

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function newestInput(paths) {
  let newest = 0;
  for (const p of paths.map((q) => join(root, q))) {
    if (!existsSync(p)) continue;
    const s = statSync(p);
    if (s.isDirectory()) {
      for (const e of readdirSync(p, { recursive: true, withFileTypes: true })) {
        if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
      }
    } else newest = Math.max(newest, s.mtimeMs);
  }
  return newest;
}

function oldestOutput(paths) {
  let oldest = Infinity;
  for (const p of paths.map((q) => join(root, q))) {
    if (!existsSync(p)) return -Infinity; // missing: stale
    oldest = Math.min(oldest, statSync(p).mtimeMs);
  }
  return oldest;
}

const PARTS = [
  {
    name: "kernels",
    script: "build:kernels",
    inputs: ["assembly", "asconfig.json", "scripts/inline-wasm.mjs", "scripts/gen-kernels.mjs"],
    outputs: [
      "build/simdnet.relaxed.wasm", "build/simdnet.wasm", "build/simdnet.scalar.wasm",
      "build/simdnet.relaxed.shared.wasm", "build/simdnet.shared.wasm", "build/simdnet.scalar.shared.wasm",
      "build/simdnet.inline.js",
    ],
  },
  {
    name: "library",
    script: "build:ts",
    inputs: ["src", "tsconfig.json", "tsconfig.build.json", "package.json"],
    outputs: ["dist/index.js"],
  },
];

const built = [];
for (const part of PARTS) {
  if (newestInput(part.inputs) <= oldestOutput(part.outputs)) continue;
  console.log(`ensure-built: ${part.name} out of date, running npm run ${part.script}`);
  const run = spawnSync(`npm run ${part.script}`, { cwd: root, stdio: "inherit", shell: true });
  if (run.status !== 0) process.exit(run.status ?? 1);
  built.push(part.name);
}
console.log(built.length > 0 ? `ensure-built: built ${built.join(" and ")}` : "ensure-built: kernels and library up to date, nothing to build");
