// The shared control block between the calling thread and the workers: one SharedArrayBuffer,
// separate from the Wasm memory (so a job never depends on the allocator), with one slot per worker.
// Only this file knows the layout; the caller (pool.ts) and the workers (worker-core.ts) both use it.
//
// Per worker: 16 Int32 words (64 bytes, one cache line, so two workers never share a line they
// write), then MAX_CALLS × MAX_ARGS float64 arguments, MAX_CALLS float64 results and an error text.
// Arguments travel as float64: every kernel parameter is an i32, a pointer below 4 GiB or an f32, and
// a JS number passed twice converts to the same Wasm value both times.

/** Word indices inside a worker's Int32 slot. */
export const SEQ = 0; // the caller bumps it to post a job (workers Atomics.wait on it)
export const DONE = 1; // the worker copies SEQ here when the job is finished (the caller waits on it)
export const KERNEL = 2; // index into the kernel name list sent at start-up
export const NCALLS = 3; // calls in this job
export const NARGS = 4; // arguments per call
export const STATUS = 5; // STATUS_OK or STATUS_ERROR for the last job
export const STATE = 6; // STATE_* below
export const COMMAND = 7; // COMMAND_* below, read with SEQ
export const ERROR_LENGTH = 8; // bytes of UTF-8 error text

export const STATE_STARTING = 0;
export const STATE_READY = 1;
/** The worker's loop has ended (stopped, crashed or exited): it will never answer again. */
export const STATE_DEAD = 2;

export const COMMAND_RUN = 0;
export const COMMAND_STOP = 1;
/** Test hook: the worker throws outside any kernel, as a crash would (see tests/threads-lifecycle.test.ts). */
export const COMMAND_CRASH = 2;

export const STATUS_OK = 0;
export const STATUS_ERROR = 1;

export const SLOT_WORDS = 16;
export const MAX_CALLS = 64;
export const MAX_ARGS = 20;
const ERROR_BYTES = 1024;

const SLOT_BYTES = SLOT_WORDS * 4;
const ARGS_BYTES = MAX_CALLS * MAX_ARGS * 8;
const RESULTS_BYTES = MAX_CALLS * 8;
const WORKER_BYTES = SLOT_BYTES + ARGS_BYTES + RESULTS_BYTES + ERROR_BYTES;

/** Typed views over one worker's part of the control block. */
export interface WorkerSlot {
  /** The whole block as Int32 (Atomics need the block's view; `base` is this worker's first word). */
  words: Int32Array;
  base: number;
  args: Float64Array;
  results: Float64Array;
  error: Uint8Array;
}

export function controlBytes(workers: number): number {
  return workers * WORKER_BYTES;
}

export function workerSlot(buffer: SharedArrayBuffer, worker: number): WorkerSlot {
  const start = worker * WORKER_BYTES;
  return {
    words: new Int32Array(buffer),
    base: start / 4,
    args: new Float64Array(buffer, start + SLOT_BYTES, MAX_CALLS * MAX_ARGS),
    results: new Float64Array(buffer, start + SLOT_BYTES + ARGS_BYTES, MAX_CALLS),
    error: new Uint8Array(buffer, start + SLOT_BYTES + ARGS_BYTES + RESULTS_BYTES, ERROR_BYTES),
  };
}

/** Write `message` as UTF-8 into the slot's error area (truncated to fit) and record its length. */
export function writeError(slot: WorkerSlot, message: string): void {
  const bytes = new TextEncoder().encode(message).subarray(0, slot.error.length);
  slot.error.set(bytes);
  Atomics.store(slot.words, slot.base + ERROR_LENGTH, bytes.length);
}

export function readError(slot: WorkerSlot): string {
  const n = Atomics.load(slot.words, slot.base + ERROR_LENGTH);
  // TextDecoder refuses views on a SharedArrayBuffer: copy out first.
  return new TextDecoder().decode(slot.error.slice(0, n));
}

/** What a worker needs to start: the compiled module, the shared memory and its place in the block. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** This worker's slot (0-based; the calling thread has no slot). */
  index: number;
  /** Kernel export names, indexed by the KERNEL word. */
  kernels: string[];
  /** How long a worker spins on SEQ after a job before it sleeps in Atomics.wait, in ms. */
  spinMs: number;
}
