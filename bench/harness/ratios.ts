// Ratios and verdicts. Every row gets "× best" = its median / simdnet best's median (how many times
// faster simdnet best — the relaxed build where the engine accepts it — is) and the same against the
// plain SIMD build, each also as the median of per-round ratios (the two measured seconds apart, so
// load that comes and goes cancels better). Rows of a variant are compared with simdnet best's row of
// the same variant ("JS arrays" rows with its in-memory row). GEMM rows get % of the ceiling. Kernel
// rows also get: × untransposed (a transposed GEMM's time / the same impl's untransposed time), × step
// (an MLP step's part or other configuration / the same build's main step, per round), × no cache
// (cached generation's speedup over the same impl without the cache). The targets are judged on
// simdnet best, with the SIMD build's ratio shown beside it.

import { summarize } from "../lib/stats.js";
import { THREADED, type BenchContext } from "./context.js";
import type { Ceilings } from "./machine.js";
import type { Row } from "./types.js";

function perRound(r: Row, base: Row): number | undefined {
  if (!r.roundMedianMs || !base.roundMedianMs) return undefined;
  const ratios = r.roundMedianMs.map((t, i) => t / base.roundMedianMs![i]!).filter(Number.isFinite);
  return ratios.length ? summarize(ratios).medianMs : undefined;
}

/** The better of start and end per ceiling (load changes over a run). */
export function bestCeilings(start: Ceilings, end: Ceilings): Ceilings {
  const pick = <T extends { gflops: number } | undefined>(a: T, b: T): T => (a && b ? (b.gflops > a.gflops ? b : a) : a ?? b);
  return { mulAdd: pick(start.mulAdd, end.mulAdd), fma: pick(start.fma, end.fma) };
}

export function computeRatios(ctx: BenchContext, ceilings: Ceilings): void {
  for (const r of ctx.rows) {
    if (r.kind === "gemm" && r.gflops !== undefined) {
      const c = r.implKind === "relaxed" && ceilings.fma ? ceilings.fma : ceilings.mulAdd;
      r.pctOfCeiling = (100 * r.gflops) / c.gflops;
    }
    if (r.error) continue;
    const variant = r.variant === "JS arrays" ? undefined : r.variant;
    const same = (column: string): Row | undefined => ctx.rows.find((x) => x.workload === r.workload && x.column === column && x.variant === variant && !x.error);
    const best = same(ctx.best.label);
    const simd = same(ctx.build("simd").label);
    if (best && r !== best) {
      r.vsBest = r.medianMs / best.medianMs;
      r.vsBestPerRound = perRound(r, best);
    }
    if (simd && r !== simd && ctx.best.kind !== "simd") {
      r.vsSimd = r.medianMs / simd.medianMs;
      r.vsSimdPerRound = perRound(r, simd);
    }
    kernelRatios(ctx.rows, r);
  }
}

function kernelRatios(rows: Row[], r: Row): void {
  const untransposed = r.workload.match(/^(GEMM .*) \(.*\)$/)?.[1];
  const base = untransposed ? rows.find((x) => x.workload === untransposed && x.impl.split(" · ")[0] === r.impl.split(" · ")[0] && !x.error) : undefined;
  if (base) r.vsUntransposed = r.medianMs / base.medianMs;
  if (r.kind === "train" && r.variant && r.variant !== "main") {
    const main = rows.find((x) => x.workload === r.workload && x.column === r.column && x.variant === "main" && !x.error);
    if (main) r.vsMainStep = perRound(r, main);
  }
  if (r.workload.endsWith(", KV cache")) {
    const noCache = rows.find((x) => x.workload === r.workload.replace(/KV cache$/, "no cache") && x.impl === r.impl && !x.error);
    if (noCache) r.vsNoCache = noCache.medianMs / r.medianMs;
  }
}

export interface Target {
  target: string;
  workload: string;
  peer: string;
  need: number;
  /** simdnet best's speedup: median / median, and per round. */
  ratio?: number;
  perRound?: number;
  /** The plain SIMD build's speedup (median / median). */
  simdRatio?: number;
  verdict: string;
}

export function issueTargets(ctx: BenchContext, suite: "peers" | "kernels"): Target[] {
  const targets: Target[] = [];
  const simdOf = (workload: string, peer: string): number | undefined => {
    const r = ctx.rows.find((x) => x.workload === workload && x.column === peer && !x.error);
    const s = ctx.rows.find((x) => x.workload === workload && x.implKind === "simd" && !x.error);
    return r && s ? r.medianMs / s.medianMs : undefined;
  };
  // Met when both estimates (medians, per round) reach the target, not met when both miss it,
  // borderline otherwise (the run cannot tell). numpy has no per-round estimate (own process).
  const add = (target: string, workload: string, peer: string, need: number): void => {
    const r = ctx.rows.find((x) => x.workload === workload && x.column === peer);
    const ratio = r?.error ? undefined : r?.vsBest;
    const perRoundRatio = r?.error ? undefined : r?.vsBestPerRound;
    const estimates = [ratio, perRoundRatio].filter((v): v is number => v !== undefined);
    const verdict = ratio === undefined
      ? `not measured${r?.error ? ` (${r.error})` : ""}`
      : estimates.every((v) => v >= need) ? "met" : estimates.every((v) => v < need) ? "NOT met" : "borderline (the two estimates straddle the target)";
    targets.push({ target, workload, peer, need, ratio, perRound: perRoundRatio, simdRatio: simdOf(workload, peer), verdict });
  };
  if (suite === "kernels") {
    add("MLP step: ≥ 40× plain JS", "MLP step B=128", "plain JS", 40);
    return targets;
  }
  for (const n of [256, 512, 1024]) add("GEMM n ≥ 256: ≥ 1.8× tfjs-wasm", `GEMM n=${n}`, "tfjs-wasm", 1.8);
  add("softmax: ≥ 1.5× tfjs-wasm", "softmax 1024×1024", "tfjs-wasm", 1.5);
  add("attention: ≥ 2.5× onnxruntime-web", "causal MHA T=256 d=256 h=8", "onnxruntime-web", 2.5);
  add("attention: no slower than numpy", "causal MHA T=256 d=256 h=8", "numpy", 1);
  for (const b of [32, 128]) {
    add("MLP training: ≥ 15× tfjs-wasm", `MLP train B=${b}`, "tfjs-wasm", 15);
    add("MLP training: ≥ ½ of numpy", `MLP train B=${b}`, "numpy", 0.5);
  }
  // Issue 12: simdnet on 2 threads against onnxruntime-web on 2 threads (its own process, so medians
  // only; its fastest row: the standard-op or the fused Attention graph).
  const two = THREADED.find((t) => t.threads === 2)?.label;
  for (const workload of ["GEMM n=512", "causal MHA T=256 d=256 h=8"]) {
    const s = ctx.rows.find((x) => x.workload === workload && x.impl === two && !x.error);
    const peer = "onnxruntime-web 2 threads";
    const r = ctx.rows.filter((x) => x.workload === workload && x.column === peer && !x.error).sort((a, b) => a.medianMs - b.medianMs)[0];
    const ratio = r && s ? r.medianMs / s.medianMs : undefined;
    const verdict = ratio === undefined ? "not measured" : ratio >= 1.7 ? "met" : "NOT met";
    targets.push({ target: `${two ?? "simdnet 2 threads"}: ≥ 1.7× onnxruntime-web 2 threads (median / median)`, workload, peer, need: 1.7, ratio, verdict });
  }
  return targets;
}
