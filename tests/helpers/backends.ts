// Every build the engine accepts, for suites that run each op on all of them. Created once per test file.
// vitest.config.ts passes --experimental-wasm-relaxed-simd, so under Node 20 that is relaxed, simd and scalar.

import { createBackend, engineSupportsRelaxedSimd, setBackend, type Backend, type BuildName } from "../../src/index.js";

export type { BuildName };
export const BUILDS: readonly BuildName[] = engineSupportsRelaxedSimd() ? ["relaxed", "simd", "scalar"] : ["simd", "scalar"];

const cache = new Map<BuildName, Promise<Backend>>();

export function backendFor(build: BuildName): Promise<Backend> {
  let p = cache.get(build);
  if (!p) cache.set(build, (p = createBackend({ build })));
  return p;
}

/** Make `build` the current backend (where tensor()/randn() allocate) and return it. */
export async function useBuild(build: BuildName): Promise<Backend> {
  const b = await backendFor(build);
  setBackend(b);
  return b;
}
