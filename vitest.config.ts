import { defineConfig } from "vitest/config";

export default defineConfig({
  // Resolve `#simdnet/platform` (package.json "imports") to the TypeScript sources, not to dist/, so
  // the suites test the code as it is now, built or not.
  ssr: { resolve: { conditions: ["source", "node", "import", "default"] } },
  test: {
    // Only the TypeScript suites: as-pect's *.spec.ts under tests/assembly are AssemblyScript.
    include: ["tests/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Node 20 accepts relaxed SIMD only behind this flag; with it the suites also cover the relaxed
    // (fused multiply-add) build, which is what Node >= 22 and Chromium pick by default.
    execArgv: ["--experimental-wasm-relaxed-simd"],
    reporters: ["default"],
  },
});
