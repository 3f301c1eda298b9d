// The kernel ABI is declared once, in assembly/. src/runtime/kernels.ts is generated from it; these tests
// prove the committed file is what the generator writes today, that every build's instance exports exactly
// those functions with the declared arity (both directions), and that every export has a caller in src/.

import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KERNEL_EXPORTS } from "../src/runtime/kernels.js";
import { BUILDS, backendFor } from "./helpers/backends.js";
// @ts-expect-error: a plain .mjs script without type declarations
import { generate, readFunction, readIndex } from "../scripts/gen-kernels.mjs";

const root = join(import.meta.dirname, "..");

/** Kernels that exist for tests and benchmarks only, and why. */
const REFERENCE_ONLY: Record<string, string> = {
  gemm_ref_f32: "the naive GEMM kept next to the fast one as the reference the specs and bench compare with",
};

describe("the kernel interface", () => {
  it("src/runtime/kernels.ts is exactly what scripts/gen-kernels.mjs writes from assembly/", () => {
    const committed = readFileSync(join(root, "src/runtime/kernels.ts"), "utf8");
    expect(committed === generate(), "kernels.ts is stale: run `npm run gen:kernels`").toBe(true);
  });

  it.each(BUILDS)("the %s build exports exactly KERNEL_EXPORTS, each with the declared number of parameters", async (build) => {
    const backend = await backendFor(build);
    const exported = Object.entries(backend.rawKernels as unknown as Record<string, unknown>);
    const functions = exported.filter(([, v]) => typeof v === "function").map(([k]) => k);
    const declared = [...KERNEL_EXPORTS] as string[];
    expect(functions.filter((n) => !declared.includes(n)), "exported by the module but not declared").toEqual([]);
    expect(declared.filter((n) => !functions.includes(n)), "declared but not exported").toEqual([]);
    // asc re-exports the imported memory; nothing else that is not a kernel may appear.
    expect(exported.filter(([, v]) => typeof v !== "function").map(([k]) => k), "non-function exports").toEqual(["memory"]);

    const index = readIndex(readFileSync(join(root, "assembly/index.ts"), "utf8")) as { name: string; module: string }[];
    for (const { name, module } of index) {
      const file = `assembly/${module}.ts`;
      const { params } = readFunction(readFileSync(join(root, file), "utf8"), name, file) as { params: string[] };
      const fn = (backend.rawKernels as unknown as Record<string, (...a: number[]) => unknown>)[name]!;
      expect(fn.length, `${name} arity`).toBe(params.length);
    }
  });

  it("every exported kernel has a caller in src/ (or is a documented reference)", () => {
    const sources: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (p.endsWith(".ts") && !p.endsWith(join("runtime", "kernels.ts"))) sources.push(readFileSync(p, "utf8"));
      }
    };
    walk(join(root, "src"));
    const all = sources.join("\n");
    const uncalled = KERNEL_EXPORTS.filter((k) => !(k in REFERENCE_ONLY) && !new RegExp(`\\b${k}\\b`).test(all));
    expect(uncalled).toEqual([]);
  });
});
