// Both builds, for suites that run every op on SIMD and on scalar. Created once per test file.

import { createBackend, setBackend, type Backend } from "../../src/index.js";

export type BuildName = "simd" | "scalar";
export const BUILDS: readonly BuildName[] = ["simd", "scalar"];

const cache = new Map<BuildName, Promise<Backend>>();

export function backendFor(build: BuildName): Promise<Backend> {
  let p = cache.get(build);
  if (!p) cache.set(build, (p = createBackend({ simd: build === "simd" })));
  return p;
}

/** Make `build` the current backend (where tensor()/randn() allocate) and return it. */
export async function useBuild(build: BuildName): Promise<Backend> {
  const b = await backendFor(build);
  setBackend(b);
  return b;
}
