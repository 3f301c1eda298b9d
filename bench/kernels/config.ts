// The command line and the timing configuration of the kernel bench (full and quick mode).

const argv = process.argv.slice(2);

export const quick = argv.includes("--quick");
/** `--only=REGEX`: time only the workloads whose id matches (the ceiling always runs); for development. */
const onlyArg = argv.find((a) => a.startsWith("--only="));
export const only = onlyArg ? new RegExp(onlyArg.slice("--only=".length)) : undefined;

// Many short rounds rather than a few long ones: on a shared machine, load comes and goes, and
// alternating often spreads it evenly over the implementations being compared.
// A call slower than slowCallMs gets no warmup and one sample per round until its samples add up to
// slowTaskCapMs: the plain-JS GEMM at n = 1024 would otherwise dominate the run.
export const CFG = quick
  ? { rounds: 2, budgetMs: 100, minSamples: 2, slowCallMs: 1000, slowTaskCapMs: 3000, jsMaxN: 512 }
  : { rounds: 6, budgetMs: 200, minSamples: 2, slowCallMs: 1000, slowTaskCapMs: 10000, jsMaxN: 1024 };

/** Plain-JS GEMM at n = 1024 is skipped when the n = 512 run predicts a call longer than this. */
export const JS_1024_MAX_PREDICTED_MS = 6000;
