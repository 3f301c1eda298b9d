// The body of a pool worker, the same in Node and in browsers: instantiate the kernel module on the
// shared memory, then loop — wait for a job in the control block, run its calls, report, repeat.
// The worker never allocates in the Wasm memory and never grows it: the calling thread owns both.

import {
  COMMAND, COMMAND_CRASH, COMMAND_STOP, DONE, KERNEL, MAX_ARGS, NARGS, NCALLS, SEQ, STATE, STATE_DEAD,
  STATE_READY, STATUS, STATUS_ERROR, STATUS_OK, workerSlot, writeError, type WorkerInit,
} from "./control.js";

type KernelFn = (...args: number[]) => number;

/** Run until told to stop. Returns normally on COMMAND_STOP; the caller's entry file ends the thread. */
export function runWorker(init: WorkerInit): void {
  const slot = workerSlot(init.control, init.index);
  const { words, base, args, results } = slot;
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
    Atomics.store(words, base + STATE, STATE_READY);
    let seen = Atomics.load(words, base + SEQ);
    const call: number[] = [];
    for (;;) {
      seen = waitForJob(words, base + SEQ, seen, init.spinMs);
      const command = Atomics.load(words, base + COMMAND);
      if (command === COMMAND_STOP) return;
      if (command === COMMAND_CRASH) throw new Error("worker crash requested by a test");
      const fn = fns[Atomics.load(words, base + KERNEL)]!;
      const ncalls = Atomics.load(words, base + NCALLS);
      const nargs = Atomics.load(words, base + NARGS);
      try {
        for (let c = 0; c < ncalls; c++) {
          call.length = nargs;
          for (let i = 0; i < nargs; i++) call[i] = args[c * MAX_ARGS + i]!;
          results[c] = fn(...call);
        }
        Atomics.store(words, base + STATUS, STATUS_OK);
      } catch (err) {
        // A trap (out-of-bounds access, unreachable) is an exception here: report it, keep serving.
        writeError(slot, String((err as Error)?.stack ?? err));
        Atomics.store(words, base + STATUS, STATUS_ERROR);
      }
      Atomics.store(words, base + DONE, seen);
      Atomics.notify(words, base + DONE);
    }
  } catch (err) {
    writeError(slot, String((err as Error)?.stack ?? err));
    throw err;
  } finally {
    markDead(init);
  }
}

/** Mark this worker's slot dead and wake a caller waiting on it (also used by the entries' exit hooks). */
export function markDead(init: WorkerInit): void {
  const { words, base } = workerSlot(init.control, init.index);
  Atomics.store(words, base + STATE, STATE_DEAD);
  Atomics.notify(words, base + DONE);
}

/**
 * Wait until SEQ differs from `seen` and return the new value. Spin for `spinMs` first: training calls
 * ops back to back, and waking from Atomics.wait costs tens of µs, more than many ops take; after the
 * spin the worker sleeps so an idle pool costs no CPU.
 */
function waitForJob(words: Int32Array, index: number, seen: number, spinMs: number): number {
  let now = Atomics.load(words, index);
  if (now !== seen) return now;
  const until = performance.now() + spinMs;
  let n = 0;
  while (now === seen) {
    if ((++n & 255) === 0 && performance.now() > until) {
      Atomics.wait(words, index, seen);
    }
    now = Atomics.load(words, index);
  }
  return now;
}
