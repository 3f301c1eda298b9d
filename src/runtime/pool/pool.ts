// The worker pool: N − 1 workers plus the calling thread, on one shared Wasm memory.
//
// run() is synchronous: the caller writes the job (kernel, calls) into the control block, bumps SEQ
// (waking the workers), then claims calls itself like any worker, and waits until every call is done
// (control.ts explains the claim counter). Nothing in a job allocates, so memory can only grow on the
// calling thread, between jobs.
//
// Faults, each a ThreadError thrown once every claimed call has finished (so no thread still writes
// into memory the caller reuses):
// - a call that throws (a trap: bad pointers or sizes) on any thread: the op fails, the pool stays;
// - a worker whose loop ends (crash, exit) marks its slot dead: the pool shuts down and the backend
//   goes on with one thread (see backend.ts). A dead worker that held no call is reported on the job
//   during which it is found dead; one that held a call, as soon as the caller notices (≤ 20 ms).

import type { WasmMemory, WasmModule } from "../host-types.js";
import { ThreadError } from "../errors.js";
import {
  claimCalls, CLAIM, CLAIM_CLOSED, COMMAND, COMMAND_RUN, COMMAND_STOP, controlBytes, controlViews, CRASH, DONE, ERROR_LENGTH,
  ERROR_THREAD, KERNEL, MAX_ARGS, MAX_CALLS, MAX_WORKERS, NARGS, NCALLS, readText, recordJobError, SCRATCH_ARG, SEQ,
  SEQ_MASK, STATE, STATE_DEAD, STATE_READY, TIMING, WORKER_ERROR_LENGTH, workerBase, workerErrorBytes, type Control,
} from "./control.js";
import type { SpawnWorker, WorkerHandle } from "./spawn.js";

type KernelFn = (...args: number[]) => number;

export interface PoolOptions {
  module: WasmModule;
  memory: WasmMemory;
  /** Total threads including the caller (>= 2). */
  threads: number;
  kernels: string[];
  spawn: SpawnWorker;
  /** Worker spin after a job before sleeping, ms. */
  spinMs?: number;
  /** How long to wait for workers to instantiate, ms. */
  startTimeoutMs?: number;
  /** Longest a caller waits for the calls a worker has claimed before declaring it lost, ms. */
  jobTimeoutMs?: number;
}

/** The caller polls DONE at least this many times before it may sleep in Atomics.wait (a few µs). */
const CALLER_SPINS = 4000;
/**
 * …and for this long in all, ms. Waking a caller that slept costs more than the wait it saves: in the MLP
 * training step (B = 128) on 2 threads the caller slept in 0.1–0.2 joins per step after the polls alone,
 * and the step's median was 862–972 µs; polling 0.2 ms made it 825–857 µs (0.01–0.05 sleeps per step,
 * bench/tools/probe-mlp-pool.ts, quiet 2-core machine). The caller has nothing else to do while it waits.
 */
const CALLER_SPIN_MS = 0.2;
/** Atomics.wait slice while joining, so a dead worker or a timeout is noticed promptly. */
const WAIT_SLICE_MS = 20;

export class WorkerPool {
  readonly threads: number;
  /** Parallel jobs run so far (tests check that a split really happened). */
  jobs = 0;
  /** Joins in which the calling thread went to sleep in Atomics.wait (each costs a wake-up). */
  joinSleeps = 0;
  private readonly c: Control;
  private readonly handles: WorkerHandle[] = [];
  private readonly kernelIds = new Map<string, number>();
  private readonly jobTimeoutMs: number;
  /** How long (ms) the caller polls in a join before it sleeps (CALLER_SPIN_MS; probes change it). */
  callerSpinMs = CALLER_SPIN_MS;
  private seq = 0;
  private failure: string | undefined;
  private closed = false;

  private constructor(options: PoolOptions, readonly controlBuffer: SharedArrayBuffer) {
    this.threads = options.threads;
    options.kernels.forEach((name, i) => this.kernelIds.set(name, i));
    this.c = controlViews(controlBuffer, options.threads - 1);
    this.jobTimeoutMs = options.jobTimeoutMs ?? 60_000;
  }

  /** Start the workers and wait until each has instantiated the module; throws ThreadError if one cannot. */
  static async start(options: PoolOptions): Promise<WorkerPool> {
    const workers = options.threads - 1;
    if (!(workers >= 1 && workers <= MAX_WORKERS)) throw new ThreadError(`thread pool: ${options.threads} threads (2 to ${MAX_WORKERS + 1})`);
    const control = new SharedArrayBuffer(controlBytes(workers));
    const pool = new WorkerPool(options, control);
    for (let i = 0; i < workers; i++) {
      const handle = options.spawn({
        module: options.module, memory: options.memory, control, workers, index: i, kernels: options.kernels,
        spinMs: options.spinMs ?? 0.5,
      });
      handle.onFailure((message) => (pool.failure ??= message));
      pool.handles.push(handle);
    }
    const timeout = options.startTimeoutMs ?? 20_000;
    const deadline = Date.now() + timeout;
    for (let i = 0; i < workers; i++) {
      for (;;) {
        const state = Atomics.load(pool.c.words, workerBase(i) + STATE);
        if (state === STATE_READY) break;
        const why = state === STATE_DEAD ? pool.workerError(i) : pool.failure;
        if (why !== undefined || Date.now() > deadline) {
          pool.shutdown();
          throw new ThreadError(`thread pool: worker ${i + 1} did not start: ${why ?? `not ready after ${timeout} ms`}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    return pool;
  }

  /**
   * Time every call (bench/tools/gemm-split-ab.ts): afterwards callTimes() tells which thread ran each call
   * of the last job and for how long. Off by default (a performance.now() pair per call).
   */
  set timing(on: boolean) {
    Atomics.store(this.c.words, TIMING, on ? 1 : 0);
  }

  /** The last job's calls, when timing is on: the thread (0 = caller) that ran each and its ms. */
  callTimes(): { thread: number; ms: number }[] {
    const n = Atomics.load(this.c.words, NCALLS);
    return Array.from({ length: n }, (_, i) => ({ thread: this.c.timings[2 * i]!, ms: this.c.timings[2 * i + 1]! }));
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
   * Run `calls` of kernel `name` (each a full argument list, outputs disjoint) on every thread that
   * claims them, the calling thread included. When `scratchArg` is given, a worker replaces that
   * argument with `scratch[thread]` (thread 1…N−1): its own scratch region. Returns each call's result.
   */
  run(name: string, fn: KernelFn, calls: number[][], scratchArg = -1, scratch?: readonly number[]): number[] {
    if (this.closed) throw new ThreadError(`thread pool: ${name}: the pool is shut down`);
    const kernel = this.kernelIds.get(name);
    if (kernel === undefined) throw new ThreadError(`thread pool: ${name} is not a kernel the workers know`);
    if (calls.length > MAX_CALLS) throw new ThreadError(`thread pool: ${name}: ${calls.length} calls in one job (at most ${MAX_CALLS})`);
    const nargs = calls[0]?.length ?? 0;
    if (nargs > MAX_ARGS) throw new ThreadError(`thread pool: ${name}: ${nargs} arguments (at most ${MAX_ARGS})`);
    const { words: w, args, results } = this.c;
    // Close the claim word before touching the job: a worker still leaving the previous job must not
    // claim from words half rewritten (claimCalls reads them between a CLAIM read and its exchange).
    Atomics.store(w, CLAIM, CLAIM_CLOSED);
    calls.forEach((call, i) => args.set(call, i * MAX_ARGS));
    if (scratchArg >= 0 && scratch) this.c.scratch.set(scratch.slice(0, this.threads));
    const seq = (this.seq = (this.seq + 1) & SEQ_MASK);
    this.jobs++;
    Atomics.store(w, KERNEL, kernel);
    Atomics.store(w, NCALLS, calls.length);
    Atomics.store(w, NARGS, nargs);
    Atomics.store(w, SCRATCH_ARG, scratchArg);
    Atomics.store(w, DONE, 0);
    Atomics.store(w, ERROR_THREAD, 0);
    Atomics.store(w, CLAIM, seq << 7);
    Atomics.store(w, COMMAND, COMMAND_RUN);
    Atomics.store(w, SEQ, seq);
    Atomics.notify(w, SEQ);

    let own: unknown;
    claimCalls(this.c, seq, 0, () => fn, (err) => {
      own ??= err;
      recordJobError(this.c, 0, err);
    });
    const fault = this.join(calls.length) ?? this.deadWorker();
    if (fault !== undefined) return this.fail(name, fault);
    const errorThread = Atomics.load(w, ERROR_THREAD) - 1;
    if (errorThread >= 0) {
      // A call threw (a trap: bad pointers or sizes). The threads are fine and stay; the op fails.
      const where = errorThread === 0 ? "on the calling thread" : `on worker ${errorThread}`;
      throw new ThreadError(`${name} failed ${where}: ${readText(w, ERROR_LENGTH, this.c.jobError)}`, { cause: own });
    }
    return Array.from(results.subarray(0, calls.length));
  }

  /** A worker is lost: shut the pool down (the backend continues on one thread) and throw. */
  private fail(name: string, fault: string): never {
    this.failure = `${name}: ${fault}`;
    this.shutdown();
    throw new ThreadError(`thread pool: ${this.failure}; the backend continues on one thread`);
  }

  /** Wait until DONE reaches `ncalls`; a fault description if a worker died or timed out instead. */
  private join(ncalls: number): string | undefined {
    const w = this.c.words;
    let spins = 0;
    let spinUntil = 0;
    let deadline = 0;
    for (;;) {
      const done = Atomics.load(w, DONE);
      if (done >= ncalls) return undefined;
      if (spins < CALLER_SPINS) {
        spins++;
        continue;
      }
      if (this.callerSpinMs > 0) {
        // Keep polling until about callerSpinMs has passed since the polls began (clock read every 256 polls).
        spinUntil ||= performance.now() + this.callerSpinMs - CALLER_SPINS * 1e-6;
        if ((++spins & 255) !== 0 || performance.now() < spinUntil) continue;
      }
      const dead = this.deadWorker();
      if (dead !== undefined) return dead;
      if (deadline === 0) {
        deadline = Date.now() + this.jobTimeoutMs;
        this.joinSleeps++;
      }
      else if (Date.now() > deadline) return `${ncalls - done} call(s) not finished within ${this.jobTimeoutMs} ms`;
      Atomics.wait(w, DONE, done, WAIT_SLICE_MS);
    }
  }

  private deadWorker(): string | undefined {
    for (let i = 0; i < this.c.workers; i++) {
      if (Atomics.load(this.c.words, workerBase(i) + STATE) === STATE_DEAD) {
        return `worker ${i + 1} died: ${this.workerError(i) ?? "its thread ended"}`;
      }
    }
    return undefined;
  }

  private workerError(i: number): string | undefined {
    const text = readText(this.c.words, workerBase(i) + WORKER_ERROR_LENGTH, workerErrorBytes(this.controlBuffer, this.c.workers, i));
    return text || undefined;
  }

  /** Test hook: make worker `p` (1-based) fail outside any kernel when it next wakes, as a crash would. */
  crashWorkerForTest(p: number): void {
    Atomics.store(this.c.words, workerBase(p - 1) + CRASH, 1);
    this.seq = (this.seq + 1) & SEQ_MASK;
    Atomics.store(this.c.words, CLAIM, CLAIM_CLOSED);
    Atomics.store(this.c.words, NCALLS, 0);
    Atomics.store(this.c.words, CLAIM, this.seq << 7); // a job with no calls
    Atomics.store(this.c.words, SEQ, this.seq);
    Atomics.notify(this.c.words, SEQ);
  }

  /** Stop and terminate every worker. Idempotent. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.c.words, COMMAND, COMMAND_STOP);
    Atomics.add(this.c.words, SEQ, 1);
    Atomics.notify(this.c.words, SEQ);
    // Workers leave their loop on STOP (and mark their slots dead); terminate any that did not —
    // a worker still inside a kernel, and browser workers, which never end by themselves.
    const timer = setTimeout(() => this.handles.forEach((h) => h.terminate()), 200);
    (timer as { unref?: () => void }).unref?.();
  }
}
