// vitest settings for Stryker runs (stryker.config.mjs): the unit suites without the end-to-end runs
// (train-mlp, the default GPT run, the CLIs), which take minutes and would run for every covered mutant.
// MUTATE_TESTS="tests/adam-oracle.test.ts,tests/nn.test.ts" narrows the set further.

import { defineConfig, mergeConfig } from "vitest/config";
import base from "./vitest.config.js";

const SLOW = ["tests/mnist-train.test.ts", "tests/gpt-default-run.test.ts", "tests/cli.test.ts", "tests/gpt-cli.test.ts"];
const only = process.env.MUTATE_TESTS?.split(",").map((s) => s.trim()).filter(Boolean);

// On top of vitest.config.ts (its `source` condition resolves #simdnet/platform to src/: without it the
// suites fail to load and Stryker finds no tests); the test files are replaced, not merged. Stryker runs
// vitest's threads pool, where execArgv cannot be set: V8 flags are per process, so the threads get the
// relaxed-SIMD flag from `npm run mutate`'s node command instead.
const config = mergeConfig(base, defineConfig({ test: { exclude: only ? [] : SLOW } }));
const { execArgv: _perProcessOnly, pool: _strykerChooses, ...test } = config.test ?? {};
config.test = { ...test, include: only ?? ["tests/*.test.ts"] };
export default config;
