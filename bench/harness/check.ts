// Checks before timing: every implementation — each simdnet build and thread count included — runs
// once on the same inputs and its output is compared with the workload's independent reference, computed
// in float64 by plain JS from the same float32 inputs: |x − y| ≤ tol · max(|y|, 0.01 · max|y|). A peer
// that fails becomes an error row (never timed); a simdnet build that fails is recorded in
// ctx.simdnetFailures too, and the bench exits non-zero (bench/main.ts).

import { maxRelError } from "../lib/plain.js";
import { message, type BenchContext } from "./context.js";
import type { Impl, ImplKind, Workload } from "./types.js";

/** Largest |x − y| / max(|y|, 0.01·max|y|); Infinity on a length mismatch, NaN counts as Infinity. */
export function relErr(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]!));
  return maxRelError(got, want, Math.max(0.01 * scale, 1e-30)).err;
}

export const key = (w: Workload, impl: Impl): string => `${w.id}/${impl.label}`;

export const isSimdnet = (kind: ImplKind): boolean => kind === "relaxed" || kind === "simd" || kind === "scalar";

/** Records a check; returns whether it passed. A simdnet failure is also kept for the exit code. */
export function record(ctx: BenchContext, w: Workload | string, impl: string, what: string | undefined, err: number, tol: number, against: string, kind?: ImplKind): boolean {
  const ok = err <= tol;
  const workload = typeof w === "string" ? w : w.id;
  ctx.checks.push({ workload, impl, what, against, maxRelErr: err, tol, ok });
  if (!ok && kind && isSimdnet(kind)) {
    const line = `${workload}: ${impl}${what ? ` ${what}` : ""} vs ${against}: max rel err ${err.toExponential(2)} > ${tol}`;
    ctx.simdnetFailures.push(line);
    console.error(`\nSIMDNET CHECK FAILED ${line}`);
  }
  return ok;
}

/** Records an impl as an error row (it is then not timed; runWorkload disposes every impl at the end). */
export function reject(w: Workload, impl: Impl, error: string): void {
  w.errors.push({ label: impl.label, kind: impl.kind, column: impl.column, error });
}

/** The workload's float64 reference, computed on first use and kept in ctx.references (by workload id). */
export function referenceOf(ctx: BenchContext, w: Workload): { values: ArrayLike<number>; tol: number; name: string } {
  let ref = ctx.references.get(w.id);
  if (!ref) {
    if (!w.reference) throw new Error(`${w.id}: no reference to check against`);
    ref = { values: w.reference(), tol: w.tol, name: w.referenceName ?? "float64 plain JS" };
    ctx.references.set(w.id, ref);
  }
  return ref;
}

/**
 * Checks one output against the reference of workload `workloadId` (which must have been checked in
 * process first: its reference is kept in ctx.references). For the external-process columns (numpy):
 * records the check and returns it; `ok` false means the row must not be reported as a timing.
 */
export function checkAgainstReference(ctx: BenchContext, workloadId: string, label: string, kind: ImplKind, got: ArrayLike<number>): { ok: boolean; err: number; tol: number; against: string } {
  const ref = ctx.references.get(workloadId);
  if (!ref) {
    ctx.checks.push({ workload: workloadId, impl: label, against: "no reference", maxRelErr: Infinity, tol: 0, ok: false });
    return { ok: false, err: Infinity, tol: 0, against: "no reference" };
  }
  const err = relErr(got, ref.values);
  const ok = record(ctx, workloadId, label, undefined, err, ref.tol, ref.name, kind);
  return { ok, err, tol: ref.tol, against: ref.name };
}

/** Runs every impl once (timing that first call), checks it against the reference; returns the impls that may be timed. */
export async function checkWorkload(ctx: BenchContext, w: Workload): Promise<Impl[]> {
  if (w.check) return w.check();
  const ok: Impl[] = [];
  const withResult = w.impls.filter((i) => i.result);
  if (withResult.length) referenceOf(ctx, w);
  for (const impl of w.impls) {
    try {
      await impl.before?.();
      const t0 = performance.now();
      await impl.run();
      ctx.firstCall.set(key(w, impl), performance.now() - t0);
      if (!impl.result) {
        ok.push(impl);
        continue;
      }
      const got = await impl.result();
      const c = checkAgainstReference(ctx, w.id, impl.label, impl.kind, got);
      if (c.ok) ok.push(impl);
      else reject(w, impl, `output mismatch vs ${c.against}: max rel err ${c.err.toExponential(2)} > ${c.tol}`);
    } catch (e) {
      reject(w, impl, `failed: ${message(e)}`);
      if (isSimdnet(impl.kind)) {
        ctx.simdnetFailures.push(`${w.id}: ${impl.label} failed: ${message(e)}`);
        console.error(`\nSIMDNET FAILED ${w.id}: ${impl.label}: ${message(e)}`);
      }
    }
  }
  return ok;
}
