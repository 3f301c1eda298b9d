#!/usr/bin/env node
// Writes src/runtime/kernels.ts from assembly/: the one place the kernel ABI is declared is the
// AssemblyScript source, so adding a kernel is one edit (export it from assembly/index.ts).
//
//   node scripts/gen-kernels.mjs          write the file
//   node scripts/gen-kernels.mjs --check  exit 1 if the file is stale (tests/kernels-interface.test.ts does this too)
//
// What it reads: the names re-exported by assembly/index.ts (`export { a, b } from "./family"`), each
// one's `export function name(params): ret` in its family file (and the doc comment above it), and the
// `export const ACT_*: i32 = N` activation codes of assembly/activations.ts. Every AssemblyScript numeric
// type crosses the boundary as a JS number (pointers are byte offsets), so the TypeScript side only
// needs names, arity and whether a value comes back.

import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(root, "src/runtime/kernels.ts");

const NUMERIC = new Set(["i8", "u8", "i16", "u16", "i32", "u32", "i64", "u64", "isize", "usize", "f32", "f64", "bool"]);

/** [{ name, module }] in the order assembly/index.ts exports them. */
export function readIndex(source) {
  const out = [];
  const re = /export\s*\{([^}]*)\}\s*from\s*"\.\/([\w-]+)"/g;
  for (const m of source.matchAll(re)) {
    for (const raw of m[1].split(",")) {
      const name = raw.trim();
      if (name === "") continue;
      if (/\sas\s/.test(name)) throw new Error(`gen-kernels: renamed export "${name}" is not supported`);
      out.push({ name, module: m[2] });
    }
  }
  return out;
}

/** The signature and doc comment of `export function name(...)` in an AssemblyScript file. */
export function readFunction(source, name, file) {
  const at = source.search(new RegExp(`export function ${name}\\s*\\(`));
  if (at < 0) throw new Error(`gen-kernels: ${file} does not define export function ${name}`);
  const open = source.indexOf("(", at);
  let depth = 0;
  let close = open;
  for (; close < source.length; close++) {
    if (source[close] === "(") depth++;
    else if (source[close] === ")" && --depth === 0) break;
  }
  const params = source
    .slice(open + 1, close)
    .split(",")
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => {
      const m = /^(\w+)\s*:\s*(\w+)$/.exec(p);
      if (!m) throw new Error(`gen-kernels: ${file} ${name}: cannot read parameter "${p}"`);
      if (!NUMERIC.has(m[2])) throw new Error(`gen-kernels: ${file} ${name}: parameter ${m[1]} has non-numeric type ${m[2]}`);
      return m[1];
    });
  const ret = /^\s*:\s*(\w+)/.exec(source.slice(close + 1))?.[1];
  if (ret === undefined) throw new Error(`gen-kernels: ${file} ${name}: no return type`);
  if (ret !== "void" && !NUMERIC.has(ret)) throw new Error(`gen-kernels: ${file} ${name}: non-numeric return type ${ret}`);
  return { params, returns: ret !== "void", doc: docAbove(source, at) };
}

/** The comment block (/** … *\/ or // lines) right above `at`, as plain lines. */
function docAbove(source, at) {
  const before = source.slice(0, at).replace(/\s+$/, "");
  if (before.endsWith("*/")) {
    const start = before.lastIndexOf("/**");
    if (start < 0) return [];
    return before
      .slice(start + 3, -2)
      .split("\n")
      .map((l, i) => (i === 0 ? l.trim() : l.replace(/^\s*\*\s?/, "").trimEnd()))
      .filter((l, i, all) => l !== "" || (i > 0 && i < all.length - 1));
  }
  const lines = before.split("\n");
  const doc = [];
  for (let i = lines.length - 1; i >= 0 && /^\s*\/\//.test(lines[i]); i--) doc.unshift(lines[i].replace(/^\s*\/\/\s?/, ""));
  return doc;
}

/** `ACT_RELU: i32 = 1` constants → [["relu", 1], …]. */
export function readActivationCodes(source) {
  return [...source.matchAll(/export const ACT_(\w+)\s*:\s*i32\s*=\s*(\d+)\s*;/g)].map((m) => [m[1].toLowerCase(), Number(m[2])]);
}

export function generate() {
  const index = readFileSync(join(root, "assembly/index.ts"), "utf8");
  const entries = readIndex(index);
  const seen = new Set();
  const lines = [];
  let lastModule = "";
  for (const { name, module } of entries) {
    if (seen.has(name)) throw new Error(`gen-kernels: ${name} is exported twice by assembly/index.ts`);
    seen.add(name);
    const file = `assembly/${module}.ts`;
    const fn = readFunction(readFileSync(join(root, file), "utf8"), name, file);
    if (module !== lastModule) {
      lines.push("", `  // ${file}`);
      lastModule = module;
    }
    if (fn.doc.length === 1) {
      lines.push(`  /** ${fn.doc[0].replace(/\*\//g, "* /")} */`);
    } else if (fn.doc.length > 1) {
      lines.push("  /**", ...fn.doc.map((l) => (l === "" ? "   *" : `   * ${l.replace(/\*\//g, "* /")}`)), "   */");
    }
    const params = fn.params.map((p) => `${p}: number`).join(", ");
    lines.push(`  ${name}(${params}): ${fn.returns ? "number" : "void"};`);
  }
  const codes = readActivationCodes(readFileSync(join(root, "assembly/activations.ts"), "utf8"));
  const names = entries.map((e) => `  "${e.name}",`);
  return `// GENERATED by scripts/gen-kernels.mjs from assembly/ — do not edit; run \`npm run gen:kernels\`.
// The Wasm module's exports as the host sees them: the raw-pointer ABI of assembly/index.ts. Pointers are
// byte offsets into the backend's memory; sizes are element counts. Backend checks at instantiation that the
// module exports exactly KERNEL_EXPORTS (a stale build fails at init, not mid-run).

export interface Kernels {${lines.join("\n")}
}

/** Every function the module exports, in assembly/index.ts order. */
export const KERNEL_EXPORTS: readonly (keyof Kernels)[] = [
${names.join("\n")}
];

/** Checked at instantiation: the same list (kept under its older name for callers). */
export const REQUIRED_EXPORTS = KERNEL_EXPORTS;

/** Activation codes of the fused GEMM epilogue (\`export const ACT_*\` in assembly/activations.ts). */
export const ACTIVATION_CODES = {
${codes.map(([n, c]) => `  ${n}: ${c},`).join("\n")}
} as const;
`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const text = generate();
  if (process.argv.includes("--check")) {
    const current = readFileSync(OUT, "utf8");
    if (current !== text) {
      console.error("src/runtime/kernels.ts is stale: run `npm run gen:kernels`");
      process.exit(1);
    }
  } else if (!existsSync(OUT) || readFileSync(OUT, "utf8") !== text) {
    // Only when the text changes: an unchanged interface must not make the library look stale.
    writeFileSync(OUT, text);
  }
}
