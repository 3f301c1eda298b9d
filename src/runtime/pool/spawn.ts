// What the pool needs from a platform: start one worker on a WorkerInit, and a handle to end it.
// spawn-node.ts and spawn-browser.ts implement it; they are imported dynamically so that neither
// platform's module (worker_threads, Web Worker) is loaded where it does not exist.

import type { WorkerInit } from "./control.js";

export interface WorkerHandle {
  /** End the thread now (its slot may be mid-job: the pool marks it dead first). */
  terminate(): void;
  /** Called at most once if the thread fails or exits on its own, with a description. */
  onFailure(listener: (message: string) => void): void;
}

export type SpawnWorker = (init: WorkerInit) => WorkerHandle;

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/** The platform's spawner. */
export async function platformSpawner(): Promise<SpawnWorker> {
  if (isNode) return (await import("./spawn-node.js")).spawnNodeWorker();
  return (await import("./spawn-browser.js")).spawnBrowserWorker;
}
