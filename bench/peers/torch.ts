// PyTorch CPU peer: bench/peers/torch_bench.py in a child /usr/bin/python3 (Debian's python3-torch with
// libopenblas0-pthread: a bench-only install, npm run bench:install-peers), the MLP and GPT training
// steps with torch.set_num_threads(1 or 2) (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set alike), timed
// by its own clock with the in-process rows' sampling rule. Missing torch → "not installed" rows.
// What it does differently from simdnet: see torch_bench.py's header.

import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runChild, type ChildRun, type ChildTask, type Sampling } from "./child-run.js";

const NOT_INSTALLED = "not installed: run npm run bench:install-peers";

export function runTorch(tasks: ChildTask[], threads: number, sampling: Sampling, timeoutS: number): ChildRun & { setup: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: `${threads}`, OMP_NUM_THREADS: `${threads}`, MKL_NUM_THREADS: `${threads}` };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const script = join(dirname(fileURLToPath(import.meta.url)), "torch_bench.py");
  const own = tasks.filter((t) => t.kind === "train" || t.kind === "gpt-train");
  const run = runChild("/usr/bin/python3", [script, `${threads}`], env, own, sampling, timeoutS);
  if (run.error && /No module named 'torch'|could not run/.test(run.error)) return { info: {}, results: [], error: NOT_INSTALLED, setup: NOT_INSTALLED };
  const i = run.info as { torch?: string; python?: string; threads?: number; blas?: string };
  return { ...run, setup: `PyTorch ${i.torch} CPU (python ${i.python}, torch.set_num_threads(${i.threads}), ${i.blas}), float32, timed with time.perf_counter in its own process` };
}
