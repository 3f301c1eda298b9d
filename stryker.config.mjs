// StrykerJS: mutation testing of the TypeScript in src/ (docs/TESTING.md: how to run, scores, accepted
// survivors). Not part of `npm test`: a full run over src/ takes hours on a 2-core machine.
//
// Scope: MUTATE="src/nn/optimizers.ts,src/ops/optim.ts" npm run mutate   (default: the training code)
//        npm run mutate -- --mutate "src/nn/**/*.ts"                      (Stryker's own flag works too)
// Tests: the vitest suites in stryker.vitest.config.ts (MUTATE_TESTS narrows them, comma-separated).

const DEFAULT_SCOPE = ["src/nn/optimizers.ts", "src/nn/schedules.ts", "src/nn/train.ts", "src/nn/gather-rows.ts", "src/transformer/train.ts", "src/ops/optim.ts"];
const scope = process.env.MUTATE ? process.env.MUTATE.split(",").map((s) => s.trim()).filter(Boolean) : DEFAULT_SCOPE;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: scope,
  testRunner: "vitest",
  vitest: { configFile: "stryker.vitest.config.ts", related: false },
  // Error-message wording is asserted by pattern, not letter for letter: string-literal mutants would
  // only measure that. Mutants in module-level code run every test; skipped to keep runs short.
  mutator: { excludedMutations: ["StringLiteral"] },
  ignoreStatic: true,
  checkers: ["typescript"],
  // Only src/ is instrumented; the AssemblyScript sources are not TypeScript Babel can parse.
  disableTypeChecks: "src/**/*.ts",
  tsconfigFile: "tsconfig.json",
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // Each mutant runs only the tests that cover it.
  coverageAnalysis: "perTest",
  // Two cores shared with other work: one test-runner process and one checker by default.
  concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 1),
  // The sandbox needs the compiled kernels (build/ is git-ignored but must be copied).
  ignorePatterns: ["assembly", "tests/assembly", "dist", "bench/results", "reports", "web", "tests/browser", ".stryker-tmp", "scratch-tmp"],
  // MUTATE_BREAK=N makes a run below an N % score exit non-zero (the CI sample sets it).
  thresholds: { high: 90, low: 80, break: process.env.MUTATE_BREAK ? Number(process.env.MUTATE_BREAK) : null },
  timeoutMS: 60_000,
  timeoutFactor: 2,
  reporters: ["clear-text", "progress-append-only", "json", "html"],
  jsonReporter: { fileName: `reports/mutation/${process.env.MUTATE_REPORT ?? "mutation"}.json` },
  htmlReporter: { fileName: `reports/mutation/${process.env.MUTATE_REPORT ?? "mutation"}.html` },
  tempDirName: ".stryker-tmp",
  cleanTempDir: true,
};
