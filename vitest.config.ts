import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Only the TypeScript suites: as-pect's *.spec.ts under tests/assembly are AssemblyScript.
    include: ["tests/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: "forks",
    reporters: ["default"],
  },
});
