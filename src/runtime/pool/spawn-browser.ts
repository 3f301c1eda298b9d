// Browsers: pool workers are module Web Workers. The URL is written inline in `new Worker(new URL(…,
// import.meta.url))` so bundlers (esbuild, Vite, webpack 5) find and emit the worker file.

import type { WorkerInit } from "./control.js";
import type { WorkerHandle } from "./spawn.js";

export function spawnBrowserWorker(init: WorkerInit): WorkerHandle {
  const worker = new Worker(new URL("./worker-browser.js", import.meta.url), { type: "module", name: `simdnet-${init.index + 1}` });
  let listener: ((message: string) => void) | undefined;
  let failed = false;
  worker.onerror = (event) => {
    if (failed) return;
    failed = true;
    listener?.(`worker ${init.index + 1} failed: ${event.message}`);
  };
  worker.postMessage(init);
  return {
    terminate: () => {
      failed = true;
      worker.terminate();
    },
    onFailure: (l) => (listener = l),
  };
}
