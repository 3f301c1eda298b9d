// Backend.kernels: the module's exports, with the kernels in plans.ts routed through the pool when
// a call is big enough to pay for the dispatch. Ops call `backend.kernels.gemm_f32(...)` exactly as
// before; whether it ran on one thread or four is invisible in the result (bit-identical).

import type { Kernels } from "../kernels.js";
import { PLANS, type Family } from "./plans.js";
import type { WorkerPool } from "./pool.js";

/**
 * Smallest work (the family's unit: multiply-adds for GEMM, add-equivalent elements for elementwise
 * kernels, elements for row kernels) worth splitting: about 20–30 µs of single-thread work, several
 * times the dispatch + join round trip, so two threads win clearly from there on. From
 * bench/tools/threads-threshold.ts (docs/PERFORMANCE.md "Threads"); re-derive them there on a quiet machine.
 */
export const DEFAULT_THRESHOLDS: Readonly<Record<Family, number>> = {
  gemm: 1 << 19, // ≈ 80³: 25–40 µs on one thread
  elementwise: 1 << 17, // an add over 128 Ki floats, a GELU over 16 Ki: ~20 µs
  rows: 1 << 15, // softmax 128×256: ~30 µs
};

/** What the dispatcher needs from its backend. */
export interface PoolHost {
  /** The pool, if one is running and usable. */
  activePool(): WorkerPool | undefined;
  /** A scratch region of `bytes` owned by thread `t` (>= 1), allocated on the calling thread. */
  threadScratch(t: number, bytes: number): number;
  /** Current thresholds (tests set them to 0 to force every splittable call through the pool). */
  thresholds: Record<Family, number>;
}

type KernelFn = (...args: number[]) => number;

export function dispatchingKernels(raw: Kernels, host: PoolHost): Kernels {
  const out: Record<string, unknown> = {};
  const exports = raw as unknown as Record<string, KernelFn>;
  for (const name of Object.keys(raw)) out[name] = exports[name];
  for (const [name, plan] of Object.entries(PLANS)) {
    const fn = exports[name]!;
    // Split calls go to the plan's range variant, if it has one; a whole call keeps the original.
    const partName = plan.runs ?? name;
    const partFn = exports[partName]!;
    out[name] = (...args: number[]): number => {
      const pool = host.activePool();
      const parallel = pool !== undefined && plan.work(args) >= host.thresholds[plan.family];
      if (!parallel && !plan.fixed) return fn(...args);
      const split = plan.split(args, parallel ? pool!.threads : 1, raw);
      if (split === undefined) return fn(...args);
      let results: number[];
      if (parallel) {
        const scratch = split.scratch;
        let regions: number[] | undefined;
        if (scratch !== undefined) {
          // Allocate every thread's region before any worker starts: allocation may grow memory.
          regions = [0];
          for (let t = 1; t < pool!.threads; t++) regions.push(host.threadScratch(t, scratch.bytes));
        }
        results = pool!.run(partName, partFn, split.calls, scratch?.arg ?? -1, regions);
      } else {
        results = split.calls.map((call) => partFn(...call));
      }
      // Kernels without a combine step return nothing.
      return split.combine ? split.combine(results) : (undefined as unknown as number);
    };
  }
  return out as unknown as Kernels;
}

/** Names of the kernels the workers may be asked to run. */
export const PARALLEL_KERNELS: string[] = [
  ...new Set([...Object.keys(PLANS), ...Object.values(PLANS).flatMap((p) => (p.runs ? [p.runs] : []))]),
];
