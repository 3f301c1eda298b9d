// numpy peer: bench/peers/numpy_bench.py in a child python3 process, float32, with 1 or 2 BLAS
// threads (OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = MKL_NUM_THREADS = threads; OPENBLAS_CORETYPE and
// OPENBLAS_L2_SIZE removed from that child's environment only, so OpenBLAS picks its kernels for this
// CPU itself). It gets the very inputs the Node implementations get, times itself with
// time.perf_counter by the in-process rows' sampling rule (./child-run.ts) and runs after the Node
// workloads, so it is not interleaved with them: its columns are reported separately.
// What it does differently from simdnet: see numpy_bench.py's header.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChild, type ChildRun, type ChildTask, type Sampling } from "./child-run.js";

/** A task for the child-process peers (the name predates PyTorch and onnxruntime-web's 2-thread child). */
export type NumpyTask = ChildTask;

export function runNumpy(tasks: ChildTask[], threads: number, sampling: Sampling, timeoutS: number): ChildRun & { setup: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: `${threads}`, OMP_NUM_THREADS: `${threads}`, MKL_NUM_THREADS: `${threads}` };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const script = join(dirname(fileURLToPath(import.meta.url)), "numpy_bench.py");
  const own = tasks.filter((t) => t.kind !== "gpt-train");
  const run = runChild("python3", [script], env, own, sampling, timeoutS);
  const i = run.info as { numpy?: string; python?: string; blas?: string; threadpools?: { num_threads?: number; internal_api?: string }[] | null };
  const pools = i.threadpools?.map((t) => `${t.internal_api}: ${t.num_threads} thread(s)`).join(", ");
  return {
    ...run,
    setup: `numpy ${i.numpy} (python ${i.python}, BLAS ${(i.blas ?? "?").trim()}, OPENBLAS_NUM_THREADS=${threads}${pools ? `; threadpoolctl: ${pools}` : ""}), float32, timed with time.perf_counter in its own process`,
  };
}
