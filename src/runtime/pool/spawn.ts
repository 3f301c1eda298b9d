// What the pool needs from a platform: start one worker on a WorkerInit, and a handle to end it.
// spawn-node.ts and spawn-browser.ts implement it; `#simdnet/platform` picks one (package.json "imports"
// conditions), so a browser bundle never reaches worker_threads, and Node never loads the Web Worker code.

import { platform } from "#simdnet/platform";
import type { WorkerInit } from "./control.js";

export interface WorkerHandle {
  /** End the thread now (its slot may be mid-job: the pool marks it dead first). */
  terminate(): void;
  /** Called at most once if the thread fails or exits on its own, with a description. */
  onFailure(listener: (message: string) => void): void;
}

export type SpawnWorker = (init: WorkerInit) => WorkerHandle;

/** The platform's spawner. */
export async function platformSpawner(): Promise<SpawnWorker> {
  return platform.spawner();
}
