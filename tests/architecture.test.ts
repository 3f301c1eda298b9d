// The import rules docs/ARCHITECTURE.md states, checked on the source: each folder of src/ may import
// only the folders below it, nothing in src/ imports anything outside src/ but the compiled kernels in build/
// (so never tests/ or bench/), and there are no import cycles.
// Dynamic imports count too (a `node:` module reached from browser code is a bundler failure).

import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..");
const src = join(root, "src");

/** Folder → the src/ folders it may import (besides itself). Keep in step with docs/ARCHITECTURE.md. */
export const MAY_IMPORT: Record<string, readonly string[]> = {
  runtime: [],
  ops: ["runtime"],
  data: ["runtime"],
  io: ["runtime"],
  nn: ["runtime", "ops", "io"],
  transformer: ["runtime", "ops", "nn", "io", "data"],
  jobs: ["runtime", "ops", "nn", "io", "data", "transformer"],
  cli: ["runtime", "ops", "nn", "io", "data", "transformer", "jobs", "index.ts"],
  web: ["runtime", "ops", "nn", "io", "data", "transformer", "jobs", "index.ts"],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    return e.isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** Relative specifiers imported by a file: static imports, re-exports and dynamic import("…"). */
function importsOf(text: string): string[] {
  const specs = new Set<string>();
  // `import type` is erased at compile time: it orders nothing at run time, so it is no cycle.
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s(?!type\s)[^;]*?from\s*"([^"]+)"/g)) specs.add(m[1]!);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*"([^"]+)"/g)) specs.add(m[1]!);
  for (const m of text.matchAll(/import\(\s*"([^"]+)"\s*\)/g)) specs.add(m[1]!);
  return [...specs];
}

/** The src/ folder a file belongs to ("index.ts" for src/index.ts itself). */
function layerOf(file: string): string {
  const rel = relative(src, file).split(/[\\/]/);
  return rel[0]!;
}

const files = sourceFiles(src);
const graph = new Map<string, string[]>();
for (const file of files) {
  const targets = importsOf(readFileSync(file, "utf8"))
    .filter((s) => s.startsWith("."))
    .map((s) => resolve(dirname(file), s).replace(/\.js$/, ".ts"));
  graph.set(file, targets);
}

describe("architecture: the import rules of docs/ARCHITECTURE.md", () => {
  it("every src/ folder is in the layer table", () => {
    const folders = new Set(files.map(layerOf).filter((l) => l !== "index.ts"));
    expect([...folders].filter((f) => !(f in MAY_IMPORT))).toEqual([]);
  });

  it("imports point downward only, and never into tests/ or bench/", () => {
    const violations: string[] = [];
    for (const [file, targets] of graph) {
      const from = layerOf(file);
      for (const target of targets) {
        const rel = relative(src, target);
        if (rel.startsWith("..")) {
          // build/ holds the compiled kernels (the embedded-module fallback imports build/simdnet.inline.js).
          if (relative(root, target).startsWith(`build${sep}`)) continue;
          violations.push(`${relative(root, file)} imports ${relative(root, target)} (outside src/)`);
          continue;
        }
        const to = layerOf(target);
        if (from === "index.ts" || to === from) continue;
        if (!(MAY_IMPORT[from] ?? []).includes(to)) violations.push(`${relative(root, file)} (${from}) imports ${rel} (${to})`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("there are no import cycles between files", () => {
    const state = new Map<string, "open" | "done">();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === "done") return;
      if (state.get(file) === "open") {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(src, f)).join(" → "));
        return;
      }
      state.set(file, "open");
      for (const t of graph.get(file) ?? []) if (graph.has(t)) visit(t, [...path, file]);
      state.set(file, "done");
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
