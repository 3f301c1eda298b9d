// Speedups between the rows of a run, added to the rows themselves: × vs plain JS and × vs scalar
// everywhere; for the MLP transposes the time relative to the untransposed product and GEMM's share
// of the SIMD ceiling; for the training step per-round and fastest-sample ratios, the share of its
// GEMMs and of the rest, and the other configurations against the main one; for generation the
// KV cache's speedup. Not bench/harness/ratios.ts: that one compares every column with simdnet best.

import { summarize } from "../lib/stats.js";
import type { CeilingResult } from "./ceiling.js";
import type { Row } from "./types.js";

/** Median over rounds of (num's round median / den's round median): rounds pair the two in time. */
function perRoundRatio(num: Row | undefined, den: Row | undefined): number | undefined {
  if (!num?.roundMedianMs || !den?.roundMedianMs || num.error || den.error) return undefined;
  const ratios = num.roundMedianMs.map((t, i) => t / den.roundMedianMs![i]!).filter(Number.isFinite);
  return ratios.length ? summarize(ratios).medianMs : undefined;
}

export function computeRatios(rows: Row[], ceiling: CeilingResult): void {
  for (const r of rows) {
    if (r.error) continue;
    if (r.group === "transformer") {
      // Speedups against the scalar row of the same mode and the plain-JS row; with the KV cache, also
      // against the same backend without it.
      const same = rows.filter((x) => x.workload === r.workload && !x.error);
      const js = same.find((x) => x.implKind === "js");
      const sc = same.find((x) => x.implKind === "scalar" && x.mode === r.mode);
      if (js && r.implKind !== "js") r.vsJs = js.medianMs / r.medianMs;
      if (sc) r.vsScalar = sc.medianMs / r.medianMs;
      const noCache = r.mode === "KV cache" ? same.find((x) => x.implKind === r.implKind && x.mode === "no cache") : undefined;
      if (noCache) r.vsNoCache = noCache.medianMs / r.medianMs;
      continue;
    }
    if (r.group === "train") {
      // Speedups between rows of the same variant (main: SIMD, scalar, plain JS; gemms: SIMD, scalar);
      // per-round ratios pair the rows in time, so load that comes and goes over the run cancels better.
      const same = rows.filter((x) => x.workload === r.workload && !x.error);
      const js = same.find((x) => x.implKind === "js" && x.variant === r.variant);
      const sc = same.find((x) => x.implKind === "scalar" && x.variant === r.variant);
      if (js && r.implKind !== "js") {
        r.vsJs = js.medianMs / r.medianMs;
        r.vsJsPerRound = perRoundRatio(js, r);
        r.vsJsMin = js.minMs / r.minMs;
      }
      if (sc) {
        r.vsScalar = sc.medianMs / r.medianMs;
        if (r !== sc) r.vsScalarPerRound = perRoundRatio(sc, r);
      }
      if (r.variant === "main") {
        r.gemmShare = perRoundRatio(same.find((x) => x.variant === "gemms" && x.implKind === r.implKind), r);
        r.restShare = perRoundRatio(same.find((x) => x.variant === "rest" && x.implKind === r.implKind), r);
      }
      if (r.variant === "tutorial" || r.variant === "default") r.vsMainStep = perRoundRatio(r, same.find((x) => x.variant === "main" && x.implKind === r.implKind));
      continue;
    }
    const same = rows.filter((x) => x.workload === r.workload);
    const js = same.find((x) => x.implKind === "js");
    const sc = same.find((x) => x.implKind === "scalar");
    if (js && r.implKind !== "js") r.vsJs = js.medianMs / r.medianMs;
    if (sc && r.implKind !== "ceiling") r.vsScalar = sc.medianMs / r.medianMs;
    const baseId = r.group === "mlp" && r.workload.includes("(") ? r.workload.replace(/ \(.*\)$/, "") : undefined;
    const base = baseId ? rows.find((x) => x.workload === baseId && x.implKind === r.implKind) : undefined;
    if (base) r.vsUntransposed = r.medianMs / base.medianMs;
    if ((r.group === "gemm" || r.group === "mlp") && r.implKind === "simd" && r.gflops) r.pctOfCeiling = (100 * r.gflops) / ceiling.gflops;
  }
}
