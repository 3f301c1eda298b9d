// Output checks before timing: every implementation runs once on the same inputs (its first call is
// timed: slow calls then get one sample per round) and its output is compared against a float64
// reference where the workload has one, else against plain JS, else against scalar:
// |x − y| ≤ tol · max(|y|, 0.01 · max|y|).

import { maxRelError } from "../lib/plain.js";
import type { KernelContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

/**
 * Largest |x − y| / max(|y|, 0.01 · max|y|). Unlike harness/check.ts's relErr, a length mismatch
 * throws (maxRelError), so it shows as "check threw" in the notes rather than as an Infinity error.
 */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  return maxRelError(got, want, Math.max(0.01 * scale, 1e-30)).err;
}

/**
 * Records the checks of a workload's own check() (training: loss, gradients, parameters); `suffix`
 * is appended to impl names (the MLP's non-main configurations). ok() is false once any failed.
 */
export function checkRecorder(ctx: KernelContext, id: string, suffix = "") {
  let ok = true;
  const record = (impl: string, what: string, against: string, err: number, tol: number): void => {
    const pass = err <= tol;
    ok &&= pass;
    ctx.checks.push({ workload: id, impl: `${impl}${suffix}`, what, against, maxRelErr: err, tol, ok: pass });
    if (!pass) console.error(`\nCHECK FAILED ${id}: ${impl}${suffix} ${what} vs ${against}: max rel err ${err.toExponential(2)} > ${tol}`);
  };
  return { record, ok: () => ok };
}

export function checkWorkload(ctx: KernelContext, w: Workload): boolean {
  const outputs = new Map<Impl, Float32Array>();
  for (const impl of w.impls) {
    // An impl without output whose first call a check() already made and timed is not run again.
    if (!impl.result && ctx.firstCallMs.has(`${w.id}/${impl.label}`)) continue;
    const t0 = performance.now();
    impl.run();
    ctx.firstCallMs.set(`${w.id}/${impl.label}`, performance.now() - t0);
    if (impl.result) outputs.set(impl, impl.result().slice());
  }
  if (outputs.size === 0) return true;
  const withOut = w.impls.filter((i) => outputs.has(i));
  const js = withOut.find((i) => i.impl === "js");
  const ref = w.reference?.();
  let ok = true;
  for (const impl of withOut) {
    // Each output against the float64 reference if there is one, else against plain JS, else scalar.
    const other = ref ? undefined : impl === js ? withOut.find((i) => i.impl === "scalar") : js ?? withOut.find((i) => i !== impl && i.impl === "scalar");
    const want = ref ?? (other ? outputs.get(other) : undefined);
    if (!want) continue;
    const err = relError(outputs.get(impl)!, want);
    const pass = err <= w.tol;
    ok &&= pass;
    ctx.checks.push({ workload: w.id, impl: impl.label, against: ref ? "float64 reference" : other!.label, maxRelErr: err, tol: w.tol, ok: pass });
    if (!pass) console.error(`CHECK FAILED ${w.id}: ${impl.label} vs ${ref ? "float64 reference" : other!.label}: max rel err ${err.toExponential(2)} > ${w.tol}`);
  }
  return ok;
}
