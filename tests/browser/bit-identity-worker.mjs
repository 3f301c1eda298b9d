// The browser side of the bit-identity test: a module Worker (a browser's main thread may not block
// in Atomics.wait, so threads run only in Workers) that runs the shared cases on every compared build
// with `threads` threads and zero thresholds, and posts the hashes back. run.mjs bundles it with
// esbuild (a Worker ignores the page's import map, and the library imports #simdnet/platform).
import * as sd from "../../dist/index.js";
import { BIT_IDENTITY_BUILDS, runBitIdentityCases, SPLIT_EVERYTHING } from "./bit-identity-cases.mjs";

self.onmessage = async ({ data }) => {
  try {
    const runs = [];
    for (const build of BIT_IDENTITY_BUILDS) {
      const backend = await sd.createBackend({ build, threads: data.threads, parallelThresholds: SPLIT_EVERYTHING });
      try {
        runs.push(await runBitIdentityCases(sd, backend));
      } finally {
        backend.dispose();
      }
    }
    self.postMessage({ runs, crossOriginIsolated: self.crossOriginIsolated === true, cores: navigator.hardwareConcurrency });
  } catch (error) {
    self.postMessage({ error: String(error && error.stack ? error.stack : error) });
  }
};
