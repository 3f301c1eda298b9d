// The worker pool: N − 1 workers plus the calling thread, on one shared Wasm memory.
//
// run() is synchronous: the caller writes each worker's calls into its slot of the control block,
// bumps the slot's SEQ (waking the worker), runs its own calls, then waits for every worker's DONE.
// Nothing in a job allocates, so memory can only grow on the calling thread, between jobs.
//
// Faults: a kernel that throws in a worker (a trap) is reported through the slot; a worker whose
// loop ends (crash, exit) marks its slot dead. Either way run() throws ThreadError after every
// other participant has finished (so no thread still writes into memory the caller reuses), and the
// pool shuts down: the backend goes on with one thread (see dispatch.ts).

import { ThreadError } from "../errors.js";
import {
  COMMAND, COMMAND_CRASH, COMMAND_RUN, COMMAND_STOP, DONE, KERNEL, MAX_ARGS, MAX_CALLS, NARGS, NCALLS, SEQ, STATE,
  STATE_DEAD, STATE_READY, STATUS, STATUS_ERROR, controlBytes, readError, workerSlot, type WorkerSlot,
} from "./control.js";
import type { SpawnWorker, WorkerHandle } from "./spawn.js";

type KernelFn = (...args: number[]) => number;

export interface PoolOptions {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  /** Total threads including the caller (>= 2). */
  threads: number;
  kernels: string[];
  spawn: SpawnWorker;
  /** Worker spin after a job before sleeping, ms. */
  spinMs?: number;
  /** How long to wait for workers to instantiate, ms. */
  startTimeoutMs?: number;
  /** Longest a caller waits for one job before declaring the worker lost, ms. */
  jobTimeoutMs?: number;
}

/** The caller spins this many polls on DONE before sleeping in Atomics.wait (a few µs). */
const CALLER_SPINS = 2000;
/** Atomics.wait slice while joining, so a dead worker or a timeout is noticed promptly. */
const WAIT_SLICE_MS = 50;

export class WorkerPool {
  readonly threads: number;
  private readonly slots: WorkerSlot[];
  private readonly handles: WorkerHandle[] = [];
  private readonly kernelIds = new Map<string, number>();
  private readonly jobTimeoutMs: number;
  private seq = 0;
  /** Parallel jobs run so far (tests check that a split really happened). */
  jobs = 0;
  private failure: string | undefined;
  private closed = false;

  private constructor(options: PoolOptions, private readonly control: SharedArrayBuffer) {
    this.threads = options.threads;
    options.kernels.forEach((name, i) => this.kernelIds.set(name, i));
    this.slots = Array.from({ length: options.threads - 1 }, (_, i) => workerSlot(control, i));
    this.jobTimeoutMs = options.jobTimeoutMs ?? 60_000;
  }

  /** Start the workers and wait until each has instantiated the module; throws ThreadError if one cannot. */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const control = new SharedArrayBuffer(controlBytes(options.threads - 1));
    const pool = new WorkerPool(options, control);
    for (let i = 0; i < options.threads - 1; i++) {
      const handle = options.spawn({
        module: options.module, memory: options.memory, control, index: i, kernels: options.kernels,
        spinMs: options.spinMs ?? 0.2,
      });
      handle.onFailure((message) => (pool.failure ??= message));
      pool.handles.push(handle);
    }
    const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
    for (const slot of pool.slots) {
      for (;;) {
        const state = Atomics.load(slot.words, slot.base + STATE);
        if (state === STATE_READY) break;
        const why = state === STATE_DEAD ? readError(slot) || "its loop ended" : pool.failure;
        if (why !== undefined || Date.now() > deadline) {
          pool.shutdown();
          throw new ThreadError(`thread pool: a worker did not start: ${why ?? `not ready after ${options.startTimeoutMs ?? 20_000} ms`}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    return pool;
  }

  /** False once shut down or after a fault; the dispatcher then runs everything on the calling thread. */
  get usable(): boolean {
    return !this.closed;
  }

  /** Why the pool stopped, if it did because of a fault. */
  get failureReason(): string | undefined {
    return this.failure;
  }

  /**
   * Run `calls` of kernel `name` (each a full argument list) across the threads: contiguous blocks of
   * calls, the first block on the calling thread. `perThread(t, args)` may rewrite a call's arguments
   * for thread t (per-thread scratch). Returns each call's result, in order.
   */
  run(name: string, fn: KernelFn, calls: number[][], perThread?: (thread: number, args: number[]) => void): number[] {
    if (this.closed) throw new ThreadError(`thread pool: ${name}: the pool is shut down`);
    const kernel = this.kernelIds.get(name);
    if (kernel === undefined) throw new ThreadError(`thread pool: ${name} is not a kernel the workers know`);
    const participants = Math.min(this.threads, calls.length);
    const results = new Array<number>(calls.length);
    const start = (p: number) => Math.floor((p * calls.length) / participants);
    const seq = (this.seq = (this.seq + 1) | 0);
    this.jobs++;
    // Post every worker's block before doing the caller's, so all threads start together.
    for (let p = 1; p < participants; p++) {
      const slot = this.slots[p - 1]!;
      const from = start(p), to = start(p + 1);
      if (to - from > MAX_CALLS) throw new ThreadError(`thread pool: ${name}: ${to - from} calls for one worker (at most ${MAX_CALLS})`);
      const nargs = calls[from]!.length;
      if (nargs > MAX_ARGS) throw new ThreadError(`thread pool: ${name}: ${nargs} arguments (at most ${MAX_ARGS})`);
      for (let c = from; c < to; c++) {
        const args = calls[c]!;
        perThread?.(p, args);
        slot.args.set(args, (c - from) * MAX_ARGS);
      }
      const w = slot.words, b = slot.base;
      Atomics.store(w, b + KERNEL, kernel);
      Atomics.store(w, b + NCALLS, to - from);
      Atomics.store(w, b + NARGS, nargs);
      Atomics.store(w, b + COMMAND, COMMAND_RUN);
      Atomics.store(w, b + SEQ, seq);
      Atomics.notify(w, b + SEQ);
    }
    let own: unknown;
    try {
      for (let c = 0; c < start(1); c++) results[c] = fn(...calls[c]!);
    } catch (err) {
      own = err;
    }
    const faults: string[] = [];
    for (let p = 1; p < participants; p++) {
      const slot = this.slots[p - 1]!;
      const fault = this.join(slot, seq, p);
      if (fault !== undefined) {
        faults.push(fault);
        continue;
      }
      const from = start(p);
      for (let c = from; c < start(p + 1); c++) results[c] = slot.results[c - from]!;
    }
    if (faults.length > 0) {
      this.failure = `${name}: ${faults.join("; ")}`;
      this.shutdown();
      throw new ThreadError(`thread pool: ${this.failure}; the backend continues on one thread`);
    }
    if (own !== undefined) throw own;
    return results;
  }

  /** Wait for worker p's DONE == seq; a fault description if it failed, died or timed out. */
  private join(slot: WorkerSlot, seq: number, p: number): string | undefined {
    const w = slot.words, done = slot.base + DONE;
    let spins = 0;
    let deadline = 0;
    for (;;) {
      const now = Atomics.load(w, done);
      if (now === seq) break;
      if (Atomics.load(w, slot.base + STATE) === STATE_DEAD) {
        return `worker ${p} died: ${readError(slot) || "its thread ended"}`;
      }
      if (spins < CALLER_SPINS) {
        spins++;
        continue;
      }
      if (deadline === 0) deadline = Date.now() + this.jobTimeoutMs;
      else if (Date.now() > deadline) return `worker ${p} did not finish within ${this.jobTimeoutMs} ms`;
      Atomics.wait(w, done, now, WAIT_SLICE_MS);
    }
    if (Atomics.load(w, slot.base + STATUS) === STATUS_ERROR) return `worker ${p}: ${readError(slot)}`;
    return undefined;
  }

  /** Test hook: make worker `p` (1-based) fail outside any kernel on its next job, as a crash would. */
  crashWorkerForTest(p: number): void {
    const slot = this.slots[p - 1]!;
    Atomics.store(slot.words, slot.base + COMMAND, COMMAND_CRASH);
    Atomics.store(slot.words, slot.base + SEQ, (this.seq = (this.seq + 1) | 0));
    Atomics.notify(slot.words, slot.base + SEQ);
  }

  /** Stop and terminate every worker. Idempotent. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    for (const slot of this.slots) {
      Atomics.store(slot.words, slot.base + COMMAND, COMMAND_STOP);
      Atomics.add(slot.words, slot.base + SEQ, 1);
      Atomics.notify(slot.words, slot.base + SEQ);
    }
    for (const handle of this.handles) handle.terminate();
  }

  /** The control block (for tests that inspect worker state). */
  get controlBuffer(): SharedArrayBuffer {
    return this.control;
  }
}
