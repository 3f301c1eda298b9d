// Entry of a pool worker under Node's worker_threads: the start-up data arrives as workerData.
// process.exit() inside a worker skips `finally`, so an exit hook marks the slot dead as well.

import { workerData } from "node:worker_threads";
import type { WorkerInit } from "./control.js";
import { markDead, runWorker } from "./worker-core.js";

const init = workerData as WorkerInit;
process.on("exit", () => markDead(init));
runWorker(init);
