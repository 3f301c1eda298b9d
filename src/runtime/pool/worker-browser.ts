// Entry of a pool worker in a browser (a module Web Worker): the start-up data is the first message.

import type { WorkerInit } from "./control.js";
import { runWorker } from "./worker-core.js";

const scope = globalThis as unknown as { onmessage: ((event: MessageEvent<WorkerInit>) => void) | null };
scope.onmessage = (event) => {
  scope.onmessage = null;
  runWorker(event.data);
};
