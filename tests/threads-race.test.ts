// A stress test of back-to-back tiny jobs: the case where a worker wakes late for a job the calling thread finished
// alone, while the caller is writing the next job into the control block. Claiming from half-rewritten job
// words ran a part twice (or the wrong kernel on the next job's arguments); an in-place update run twice
// changes the result, so thousands of split in-place SGD steps must give exactly the one-thread bits. (The race
// is rare: this test did not catch the unfixed code on a quiet 2-core machine; it guards the protocol under load.)

import { afterAll, describe, expect, it } from "vitest";
import { createBackend, type Backend } from "../src/index.js";

const N = 4096; // split into parts of 16-float multiples; each part is a few ns of work
const STEPS = 3000;

function runSgd(b: Backend): Uint32Array {
  const param = b.allocator.alloc(N * 4);
  const grad = b.allocator.alloc(N * 4);
  const f = b.f32;
  for (let i = 0; i < N; i++) {
    f[(param >>> 2) + i] = Math.sin(i);
    f[(grad >>> 2) + i] = Math.cos(i * 0.37) * 1e-3;
  }
  // Alternate two kernels so a stale worker with the previous job's kernel would also show.
  for (let s = 0; s < STEPS; s++) {
    b.kernels.sgd_f32(N, 0.5, grad, param);
    b.kernels.scale_f32(N, 1.0000001, param, param);
  }
  const bits = new Uint32Array(b.memory.buffer, param, N).slice();
  b.allocator.free(param);
  b.allocator.free(grad);
  return bits;
}

describe("the pool under back-to-back jobs", () => {
  const backends: Backend[] = [];
  afterAll(() => backends.forEach((b) => b.dispose()));

  it(`${STEPS} pairs of split in-place updates on 2, 4 and 8 threads (more than the cores: workers get descheduled mid-job) give the one-thread bits`, async () => {
    const one = await createBackend({ build: "simd", threads: 1 });
    backends.push(one);
    const want = runSgd(one);
    for (const threads of [2, 4, 8]) {
      const b = await createBackend({ build: "simd", threads, parallelThresholds: { elementwise: 0 } });
      backends.push(b);
      if (b.info().threads < 2) continue; // no SharedArrayBuffer here: nothing to race
      const got = runSgd(b);
      let diff = 0;
      for (let i = 0; i < N; i++) if (got[i] !== want[i]) diff++;
      expect(diff, `${threads} threads: elements that differ from one thread`).toBe(0);
    }
  });
});
