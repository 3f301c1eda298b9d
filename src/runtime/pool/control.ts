// The shared control block between the calling thread and the workers: one SharedArrayBuffer,
// separate from the Wasm memory (so a job never depends on the allocator). Only this file knows the
// layout; the caller (pool.ts) and the workers (worker-core.ts) both use it.
//
// One job at a time: its kernel, its calls' arguments and results, and a claim counter. Every thread
// (the caller included) takes calls by compare-exchange on CLAIM until none are left, so a worker the
// OS has not scheduled yet simply takes nothing, and the others do its share. Which thread runs a
// call never changes its result (the calls' outputs are disjoint and each is computed the same way).
// CLAIM holds (job sequence number << 7) | next call index, so a worker that wakes late for a job that
// has already finished sees another sequence number and claims nothing.
//
// Arguments travel as float64: every kernel parameter is an i32, a pointer below 4 GiB or an f32, and
// a JS number passed twice converts to the same Wasm value both times.

import type { WasmMemory, WasmModule } from "../host-types.js";

/** Word indices of the job header (Int32). */
export const SEQ = 0; // bumped to post a job (workers Atomics.wait on it)
export const COMMAND = 1; // COMMAND_RUN or COMMAND_STOP, read with SEQ
export const KERNEL = 2; // index into the kernel name list sent at start-up
export const NCALLS = 3;
export const NARGS = 4;
export const SCRATCH_ARG = 5; // argument index each thread replaces with its own scratch, or -1
export const CLAIM = 6; // (seq << 7) | next call
/** CLAIM while the caller rewrites a job: matches no job's tag (tags are seq << 7 with seq < 2^24). */
export const CLAIM_CLOSED = -1;
/** Nonzero: every thread records which thread ran each call and for how long (Control.timings). */
export const TIMING = 7;
export const DONE = 16; // calls finished in this job (own cache line: every thread adds to it)
export const ERROR_THREAD = 17; // 0, or 1 + the thread whose call threw first
export const ERROR_LENGTH = 18;

/** Per-worker slot words, at workerBase(i). */
export const STATE = 0;
export const CRASH = 1; // test hook: the worker throws outside any kernel on its next wake-up
export const WORKER_ERROR_LENGTH = 2;

export const STATE_STARTING = 0;
export const STATE_READY = 1;
/** The worker's loop has ended (stopped, crashed or exited): it will never answer again. */
export const STATE_DEAD = 2;

export const COMMAND_RUN = 0;
export const COMMAND_STOP = 1;

export const MAX_CALLS = 64;
/** attention_rows_backward_f32 takes 27. */
export const MAX_ARGS = 28;
export const MAX_WORKERS = 63;
/** Sequence numbers wrap below 2^24 so that seq << 7 stays a positive int32. */
export const SEQ_MASK = 0xffffff;

const HEADER_WORDS = 32;
const WORKER_WORDS = 16;
const ERROR_BYTES = 1024;

/** Typed views over the control block. */
export interface Control {
  words: Int32Array;
  args: Float64Array;
  results: Float64Array;
  /** Scratch pointer of each thread (index 0 = the caller, unused). */
  scratch: Float64Array;
  /** Text of the first call that threw in this job. */
  jobError: Uint8Array;
  /** When TIMING is set: per call, the thread that ran it and its duration in ms (pairs). */
  timings: Float64Array;
  workers: number;
}

function layout(workers: number) {
  const words = (HEADER_WORDS + workers * WORKER_WORDS) * 4;
  const args = words;
  const results = args + MAX_CALLS * MAX_ARGS * 8;
  const scratch = results + MAX_CALLS * 8;
  const jobError = scratch + (workers + 1) * 8;
  const workerErrors = jobError + ERROR_BYTES;
  // Appended last, so the offsets above stay those of a worker built before it (it ignores TIMING).
  const timings = Math.ceil((workerErrors + workers * ERROR_BYTES) / 8) * 8;
  return { words, args, results, scratch, jobError, workerErrors, timings, total: timings + MAX_CALLS * 16 };
}

export function controlBytes(workers: number): number {
  return layout(workers).total;
}

export function controlViews(buffer: SharedArrayBuffer, workers: number): Control {
  const l = layout(workers);
  return {
    words: new Int32Array(buffer, 0, l.words / 4),
    args: new Float64Array(buffer, l.args, MAX_CALLS * MAX_ARGS),
    results: new Float64Array(buffer, l.results, MAX_CALLS),
    scratch: new Float64Array(buffer, l.scratch, workers + 1),
    jobError: new Uint8Array(buffer, l.jobError, ERROR_BYTES),
    timings: new Float64Array(buffer, l.timings, MAX_CALLS * 2),
    workers,
  };
}

/** First word of worker i's slot (0-based worker index; it is thread i + 1). */
export function workerBase(i: number): number {
  return HEADER_WORDS + i * WORKER_WORDS;
}

export function workerErrorBytes(buffer: SharedArrayBuffer, workers: number, i: number): Uint8Array {
  return new Uint8Array(buffer, layout(workers).workerErrors + i * ERROR_BYTES, ERROR_BYTES);
}

/** Write `message` as UTF-8 into `area` (truncated to fit) and record its length at words[lengthIndex]. */
export function writeText(words: Int32Array, lengthIndex: number, area: Uint8Array, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, area.length);
  area.set(bytes);
  Atomics.store(words, lengthIndex, bytes.length);
}

export function readText(words: Int32Array, lengthIndex: number, area: Uint8Array): string {
  const n = Atomics.load(words, lengthIndex);
  // TextDecoder refuses views on a SharedArrayBuffer: copy out first.
  return new TextDecoder().decode(area.slice(0, n));
}

/** The shared claim loop: take calls of job `seq` until none are left; run each on `fn`. */
export function claimCalls(
  c: Control, seq: number, thread: number, kernelFor: (kernel: number) => ((...args: number[]) => number) | undefined,
  onError: (err: unknown) => void,
): void {
  const w = c.words;
  const tag = seq << 7;
  for (;;) {
    // Seqlock-style: the caller closes CLAIM before it rewrites a job and opens it with the new tag
    // after, so job words read between a CLAIM read with this tag and a successful compare-exchange
    // from that same value all belong to this job. A worker that woke late for a finished job may
    // see the next job's words being written; its exchange then fails, or its tag no longer matches.
    const cur = Atomics.load(w, CLAIM);
    if ((cur & ~127) !== tag) return;
    const ncalls = Atomics.load(w, NCALLS);
    const nargs = Atomics.load(w, NARGS);
    const scratchArg = Atomics.load(w, SCRATCH_ARG);
    const fn = kernelFor(Atomics.load(w, KERNEL));
    const scratch = thread > 0 && scratchArg >= 0 ? c.scratch[thread]! : 0;
    if ((cur & 127) >= ncalls || fn === undefined) return;
    if (Atomics.compareExchange(w, CLAIM, cur, cur + 1) !== cur) continue;
    const idx = cur & 127;
    const call: number[] = new Array(nargs);
    for (let i = 0; i < nargs; i++) call[i] = c.args[idx * MAX_ARGS + i]!;
    if (thread > 0 && scratchArg >= 0) call[scratchArg] = scratch;
    const timed = Atomics.load(w, TIMING) !== 0;
    const t0 = timed ? performance.now() : 0;
    try {
      c.results[idx] = fn(...call);
    } catch (err) {
      onError(err);
    }
    if (timed) {
      c.timings[2 * idx] = thread;
      c.timings[2 * idx + 1] = performance.now() - t0;
    }
    if (Atomics.add(w, DONE, 1) + 1 === ncalls) Atomics.notify(w, DONE);
  }
}

/** Record the first call error of a job (from any thread); later ones are dropped. */
export function recordJobError(c: Control, thread: number, err: unknown): void {
  if (Atomics.compareExchange(c.words, ERROR_THREAD, 0, thread + 1) === 0) {
    writeText(c.words, ERROR_LENGTH, c.jobError, String((err as Error)?.message ?? err));
  }
}

/** What a worker needs to start: the compiled module, the shared memory and its place in the block. */
export interface WorkerInit {
  module: WasmModule;
  memory: WasmMemory;
  control: SharedArrayBuffer;
  /** Workers in the pool (the control block's layout depends on it). */
  workers: number;
  /** This worker's index (0-based; it is thread index + 1, the caller being thread 0). */
  index: number;
  /** Kernel export names, indexed by the KERNEL word. */
  kernels: string[];
  /** How long a worker spins on SEQ after a job before it sleeps in Atomics.wait, in ms. */
  spinMs: number;
}
