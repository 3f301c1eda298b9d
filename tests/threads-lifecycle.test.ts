// The pool's lifecycle and faults: the thread count and its reason, a script that ends exits, dispose()
// terminates the workers, a worker's trap or crash becomes a ThreadError on the calling thread, and the
// backend then runs on one thread with the same results. Memory growth between parallel ops.

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ArgumentError, createBackend, ThreadError, type Backend } from "../src/index.js";
import { STATE, STATE_DEAD, workerBase } from "../src/runtime/pool/control.js";
import { gemmGrid } from "../src/runtime/pool/plans.js";
import type { WorkerPool } from "../src/runtime/pool/pool.js";

const ZERO = { gemm: 0, elementwise: 0, rows: 0 };
const run = promisify(execFile);

/** C = A·B (n×n, filled deterministically) on `b` through backend.kernels; returns C's bytes. */
function gemm(b: Backend, n: number, cPtr?: number): Uint32Array {
  const a = b.allocator.alloc(n * n * 4), bb = b.allocator.alloc(n * n * 4);
  const c = cPtr ?? b.allocator.alloc(n * n * 4);
  const f = b.f32;
  for (let i = 0; i < n * n; i++) {
    f[a / 4 + i] = Math.sin(i * 0.37);
    f[bb / 4 + i] = Math.cos(i * 0.11);
  }
  b.kernels.gemm_f32(0, 0, n, n, n, 1, a, n, bb, n, 0, c, n, b.scratch(b.rawKernels.gemm_scratch_bytes()));
  const out = new Uint32Array(b.memory.buffer, c, n * n).slice();
  b.allocator.free(a);
  b.allocator.free(bb);
  if (cPtr === undefined) b.allocator.free(c);
  return out;
}

/** Worker i's (0-based) state word in the pool's control block. */
function workerState(pool: WorkerPool, i: number): number {
  return Atomics.load(new Int32Array(pool.controlBuffer), workerBase(i) + STATE);
}

async function waitUntil(cond: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 5));
  }
  return true;
}

describe("thread count", () => {
  it("reports the threads it runs and why", async () => {
    const b = await createBackend({ threads: 3 });
    expect(b.info().threads).toBe(3);
    expect(b.info().threadsReason).toMatch(/3 threads \(3 requested\)/);
    expect(b.info().source).toMatch(/\.shared\.wasm$/);
    b.dispose();
    const one = await createBackend({ threads: 1 });
    expect(one.info()).toMatchObject({ threads: 1, threadsReason: "1 thread requested" });
    expect(one.workerPool).toBeUndefined();
  });

  it('"auto" (the default) uses every available core', async () => {
    const { availableParallelism } = await import("node:os");
    const b = await createBackend();
    expect(b.info().threads).toBe(availableParallelism());
    expect(b.info().threadsReason).toContain(`auto: ${availableParallelism()} cores`);
    b.dispose();
  });

  it("rejects a thread count that is not a positive integer, naming it", async () => {
    for (const threads of [0, -1, 1.5, 1000]) {
      await expect(createBackend({ threads })).rejects.toThrow(ArgumentError);
    }
    await expect(createBackend({ threads: 0 })).rejects.toThrow(/threads must be "auto" or an integer from 1 to 64, got 0/);
  });

  it("runs a caller-given module that imports an unshared memory on one thread, saying why", async () => {
    const { readFile } = await import("node:fs/promises");
    const bytes = await readFile(new URL("../build/simdnet.wasm", import.meta.url));
    const b = await createBackend({ build: "simd", wasm: bytes, threads: 2 });
    expect(b.info().threads).toBe(1);
    expect(b.info().threadsReason).toMatch(/does not import a shared memory/);
  });
});

describe("shared memory layout", () => {
  it("workers' instances write only the static data below heap_base; host blocks start above it", async () => {
    const two = await createBackend({ build: "simd", threads: 3 });
    const one = await createBackend({ build: "simd", threads: 1 });
    const base = two.rawKernels.heap_base();
    expect(base).toBeGreaterThan(1024); // the module has static tables (re-applied by every instance)
    const ptr = two.allocator.alloc(64);
    expect(ptr).toBeGreaterThanOrEqual(base);
    // Same module, same data segments: the bytes below heap_base agree after 2 more instantiations.
    expect(new Uint8Array(two.memory.buffer, 0, base)).toEqual(new Uint8Array(one.memory.buffer, 0, base));
    two.allocator.free(ptr);
    two.dispose();
  });
});

describe("thresholds", () => {
  it("small calls stay on the calling thread, calls above the threshold are split", async () => {
    const b = await createBackend({ threads: 2 });
    const pool = b.workerPool!;
    const jobs = pool.jobs;
    gemm(b, 16); // 4096 multiply-adds: far below DEFAULT_THRESHOLDS.gemm
    expect(pool.jobs).toBe(jobs);
    gemm(b, 96); // 884,736 ≥ 2^19
    expect(pool.jobs).toBe(jobs + 1);
    b.parallelThresholds.gemm = Infinity;
    gemm(b, 96);
    expect(pool.jobs).toBe(jobs + 1);
    b.dispose();
  });
});

describe("call timing (probes)", () => {
  it("records which thread ran each call of the last job, and nothing while off", async () => {
    const b = await createBackend({ threads: 3, parallelThresholds: ZERO });
    const pool = b.workerPool!;
    const before = gemm(b, 96);
    pool.timing = true;
    expect(gemm(b, 96)).toEqual(before); // timing does not change results
    const times = pool.callTimes();
    const grid = gemmGrid(96, 96, 96, 3, 1); // below 2^24 multiply-adds: one part per thread
    expect(times.length).toBe(grid.rows.length * grid.cols.length);
    for (const t of times) {
      expect([0, 1, 2]).toContain(t.thread);
      expect(t.ms).toBeGreaterThan(0);
    }
    pool.timing = false;
    // The timings area is the control block's last 64 (thread, ms) pairs: poison it, then nothing may write it.
    new Float64Array(pool.controlBuffer).fill(-1, new Float64Array(pool.controlBuffer).length - 128);
    gemm(b, 96);
    expect(pool.callTimes().every((t) => t.thread === -1 && t.ms === -1)).toBe(true);
    b.dispose();
  });
});

describe("lifecycle", () => {
  it("a script that inits 2 threads and ends exits by itself", async () => {
    const child = new URL("./fixtures/threads-child.mts", import.meta.url).pathname;
    // The timeout only guards against a hang; a working pool exits as soon as the script ends.
    const { stdout } = await run(process.execPath, ["--import", "tsx", child], { timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toMatchObject({ threads: 2 });
  });

  it("dispose() terminates the workers; the backend goes on with one thread and the same bits", async () => {
    const b = await createBackend({ threads: 3, parallelThresholds: ZERO });
    const pool = b.workerPool!;
    const before = gemm(b, 67);
    expect(pool.jobs).toBeGreaterThan(0);
    b.dispose();
    expect(await waitUntil(() => [0, 1].every((i) => workerState(pool, i) === STATE_DEAD))).toBe(true);
    expect(b.info()).toMatchObject({ threads: 1, threadsReason: "1 thread: the pool of 3 was disposed" });
    expect(gemm(b, 67)).toEqual(before);
    b.dispose(); // idempotent
  });

  it("memory grown between ops is visible to the workers", async () => {
    const b = await createBackend({ threads: 2, parallelThresholds: ZERO, initialMemoryMB: 2 });
    const one = await createBackend({ threads: 1 });
    const big = b.allocator.alloc(24 * 1024 * 1024); // grows the shared memory past its initial 2 MiB
    expect(b.memory.buffer.byteLength).toBeGreaterThan(24 * 1024 * 1024);
    const jobs = b.workerPool!.jobs;
    expect(gemm(b, 129)).toEqual(gemm(one, 129));
    expect(b.workerPool!.jobs).toBeGreaterThan(jobs);
    b.allocator.free(big);
    b.dispose();
  });
});

describe("faults", () => {
  it("a trap in a split call becomes a ThreadError naming the kernel; the pool stays and still gives the same bits", async () => {
    const b = await createBackend({ threads: 2, parallelThresholds: ZERO });
    const good = gemm(b, 64);
    // C placed so its first rows end exactly at the end of memory: every later part traps, on
    // whichever thread claims it.
    const end = b.memory.buffer.byteLength;
    for (let i = 0; i < 5; i++) {
      expect(() => gemm(b, 64, end - 16 * 64 * 4)).toThrow(/^gemm_f32 failed on (the calling thread|worker 1): .*out of bounds/);
    }
    expect(() => gemm(b, 64, end - 16 * 64 * 4)).toThrow(ThreadError);
    expect(b.info().threads).toBe(2);
    const jobs = b.workerPool!.jobs;
    expect(gemm(b, 64)).toEqual(good);
    expect(b.workerPool!.jobs).toBe(jobs + 1);
  });

  it("a worker that dies outside a kernel is reported on the next op, not waited for", async () => {
    const b = await createBackend({ threads: 3, parallelThresholds: ZERO });
    const good = gemm(b, 64);
    const pool = b.workerPool!;
    pool.crashWorkerForTest(2);
    expect(await waitUntil(() => workerState(pool, 1) === STATE_DEAD)).toBe(true);
    let error: unknown;
    try {
      gemm(b, 64);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ThreadError);
    expect((error as Error).message).toMatch(/gemm_f32: worker 2 died: .*crash requested by a test.*continues on one thread/s);
    expect(b.info().threads).toBe(1);
    expect(gemm(b, 64)).toEqual(good);
  });
});
