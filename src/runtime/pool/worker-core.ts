// The body of a pool worker, the same in Node and in browsers: instantiate the kernel module on the
// shared memory, then loop — wait for a job, claim and run its calls until none are left, repeat.
// The worker never allocates in the Wasm memory and never grows it: the calling thread owns both.

import {
  claimCalls, COMMAND, COMMAND_STOP, controlViews, CRASH, DONE, recordJobError, SEQ, SEQ_MASK, STATE, STATE_DEAD,
  STATE_READY, WORKER_ERROR_LENGTH, workerBase, workerErrorBytes, writeText, type WorkerInit,
} from "./control.js";

type KernelFn = (...args: number[]) => number;

/** Run until told to stop. Returns normally on COMMAND_STOP; the caller's entry file ends the thread. */
export function runWorker(init: WorkerInit): void {
  const c = controlViews(init.control, init.workers);
  const w = c.words;
  const base = workerBase(init.index);
  const thread = init.index + 1;
  // Whatever ends the loop (stop, a thrown error, a crash), the caller must learn of it without waiting
  // for a message it cannot receive while it blocks in Atomics.wait: mark the slot dead and wake it.
  try {
    const instance = new WebAssembly.Instance(init.module, {
      env: {
        memory: init.memory,
        abort(_msg: number, _file: number, line: number, column: number) {
          throw new Error(`simdnet kernel aborted at ${line}:${column}`);
        },
      },
    });
    const exports = instance.exports as Record<string, unknown>;
    const fns = init.kernels.map((name) => exports[name] as KernelFn);
    Atomics.store(w, base + STATE, STATE_READY);
    let seen = Atomics.load(w, SEQ);
    for (;;) {
      seen = waitForJob(w, seen, init.spinMs);
      if (Atomics.load(w, COMMAND) === COMMAND_STOP) return;
      if (Atomics.load(w, base + CRASH) !== 0) throw new Error("worker crash requested by a test");
      // The kernel is read with the job's other words inside claimCalls (see there why).
      // A trap (out-of-bounds access, unreachable) is an exception here: it is recorded for the caller.
      claimCalls(c, seen & SEQ_MASK, thread, (k) => fns[k], (err) => recordJobError(c, thread, err));
    }
  } catch (err) {
    writeText(w, base + WORKER_ERROR_LENGTH, workerErrorBytes(init.control, init.workers, init.index), String((err as Error)?.message ?? err));
    throw err;
  } finally {
    markDead(init);
  }
}

/** Mark this worker's slot dead and wake a caller waiting for the job (also used by the entries' exit hooks). */
export function markDead(init: WorkerInit): void {
  const c = controlViews(init.control, init.workers);
  Atomics.store(c.words, workerBase(init.index) + STATE, STATE_DEAD);
  Atomics.notify(c.words, DONE);
}

/**
 * Wait until SEQ differs from `seen` and return the new value. Spin for `spinMs` first: training calls
 * ops back to back, and waking from Atomics.wait costs tens of µs, more than many ops take; after the
 * spin the worker sleeps so an idle pool costs no CPU.
 */
function waitForJob(words: Int32Array, seen: number, spinMs: number): number {
  let now = Atomics.load(words, SEQ);
  if (now !== seen) return now;
  const until = performance.now() + spinMs;
  let n = 0;
  while (now === seen) {
    if ((++n & 255) === 0 && performance.now() > until) Atomics.wait(words, SEQ, seen);
    now = Atomics.load(words, SEQ);
  }
  return now;
}
