// Checks before timing: every implementation runs once on the same inputs and its output is compared
// with simdnet best's (the relaxed build where the engine accepts it, else SIMD):
// |x − y| ≤ tol · max(|y|, 0.01 · max|y|). A mismatch turns the row into an error; it is never timed.

import { maxRelError } from "../lib/plain.js";
import { message, type BenchContext } from "./context.js";
import type { Impl, Workload } from "./types.js";

/** Largest |x − y| / max(|y|, 0.01·max|y|); Infinity on a length mismatch, NaN counts as Infinity. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  return maxRelError(got, want, Math.max(0.01 * scale, 1e-30)).err;
}

export const key = (w: Workload, impl: Impl): string => `${w.id}/${impl.label}`;

/** The impl of simdnet best in a workload. */
export function bestImpl(ctx: BenchContext, w: Workload): Impl | undefined {
  return w.impls.find((i) => i.kind === ctx.best.kind);
}

/** Records a check; returns whether it passed. */
export function record(ctx: BenchContext, w: Workload, impl: string, what: string | undefined, err: number, tol: number, against = ctx.best.label): boolean {
  const ok = err <= tol;
  ctx.checks.push({ workload: w.id, impl, what, against, maxRelErr: err, tol, ok });
  return ok;
}

/** Records an impl as an error row (it is then not timed; runWorkload disposes every impl at the end). */
export function reject(w: Workload, impl: Impl, error: string): void {
  w.errors.push({ label: impl.label, kind: impl.kind, column: impl.column, error });
}

/** Runs every impl once (timing that first call), checks it against simdnet best; returns the impls that may be timed. */
export async function checkWorkload(ctx: BenchContext, w: Workload): Promise<Impl[]> {
  if (w.check) return w.check();
  const outputs = new Map<Impl, Float32Array>();
  for (const impl of w.impls) {
    try {
      await impl.before?.();
      const t0 = performance.now();
      await impl.run();
      ctx.firstCall.set(key(w, impl), performance.now() - t0);
      if (impl.result) outputs.set(impl, Float32Array.from(await impl.result()));
    } catch (e) {
      reject(w, impl, `failed: ${message(e)}`);
    }
  }
  const ref = bestImpl(ctx, w);
  const want = ref ? outputs.get(ref) : undefined;
  if (!want) throw new Error(`${w.id}: ${ctx.best.label} produced no output`);
  ctx.bestOutputs.set(w.id, want);
  const ok: Impl[] = [];
  for (const impl of w.impls) {
    const got = outputs.get(impl);
    if (!got) continue;
    if (impl === ref) {
      ok.push(impl);
      continue;
    }
    const err = relErr(got, want);
    if (record(ctx, w, impl.label, undefined, err, w.tol)) ok.push(impl);
    else reject(w, impl, `output mismatch vs ${ctx.best.label}: max rel err ${err.toExponential(2)} > ${w.tol}`);
  }
  return ok;
}
