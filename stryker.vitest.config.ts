// vitest settings for Stryker runs (stryker.config.mjs): the unit suites without the end-to-end runs
// (train-mlp, the default GPT run, the CLIs), which take minutes and would run for every covered mutant.
// MUTATE_TESTS="tests/adam-oracle.test.ts,tests/nn.test.ts" narrows the set further.

import { defineConfig } from "vitest/config";

const SLOW = ["tests/mnist-train.test.ts", "tests/gpt-default-run.test.ts", "tests/cli.test.ts", "tests/gpt-cli.test.ts"];
const only = process.env.MUTATE_TESTS?.split(",").map((s) => s.trim()).filter(Boolean);

export default defineConfig({
  test: {
    include: only ?? ["tests/*.test.ts"],
    exclude: only ? [] : SLOW,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
