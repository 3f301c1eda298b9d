// The tables (console text and Markdown) and latest.md / kernels.md: machine and busy verdict,
// ceilings, setups, the summary (a line per workload, a column per implementation), the targets, every
// row, the checks and the method.

import { fmt, renderTable } from "../lib/stats.js";
import { COLUMNS, suite, type BenchContext } from "./context.js";
import type { Target } from "./ratios.js";
import type { Row } from "./types.js";
import type { Report } from "./report-model.js";

const x = (v: number | undefined): string => (v !== undefined ? `${fmt(v)}×` : "—");

export function metric(r: Row): string {
  if (r.kind === "gemm") return `${fmt(r.gflops)} GFLOP/s`;
  if (r.kind === "train") return `${fmt(r.perSecond)} samples/s`;
  if (r.kind === "gpt-train" || r.kind === "gpt-generate") return `${fmt(r.perSecond)} tokens/s`;
  return `${fmt(r.medianMs)} ms`;
}

/** "n/a" (does not exist or not applicable), "skipped" (too slow for this mode) or "error". */
export function shortError(e: string): string {
  return /^not run/.test(e) ? "n/a" : /^skipped/.test(e) ? "skipped" : "error";
}

export function tables(ctx: BenchContext, workloadIds: string[], targets: Target[]) {
  const relaxedLive = ctx.best.kind === "relaxed";
  const header = ["workload", "impl", "median ms", "min–max ms", "n", "GFLOP/s", "% ceiling", "samples or tokens/s", "× best", "per round", ...(relaxedLive ? ["× SIMD", "per round"] : []), "note"];
  const detail = renderTable(header, ctx.rows.map((r) => [
    r.workload, r.impl, fmt(r.medianMs), r.error ? "—" : `${fmt(r.minMs)}–${fmt(r.maxMs)}`, String(r.samples), fmt(r.gflops),
    r.pctOfCeiling !== undefined ? `${r.pctOfCeiling.toFixed(0)}%` : "—", fmt(r.perSecond),
    x(r.vsBest), x(r.vsBestPerRound), ...(relaxedLive ? [x(r.vsSimd), x(r.vsSimdPerRound)] : []),
    r.error ?? rowNote(r),
  ]));
  // Summary: figure per implementation; in parentheses simdnet best's speedup over it (and the SIMD build's).
  // A column with several timed rows (tfjs-wasm's tuned GPT variant) shows its fastest, marked with *.
  // Parts of a step and other configurations (kernel suite) are in All rows only.
  const summary = renderTable(["workload", ...COLUMNS], workloadIds.map((id) => [id, ...COLUMNS.map((c) => {
    const all = ctx.rows.filter((row) => row.workload === id && row.column === c && (!row.variant || row.variant === "main" || row.variant === "JS arrays"));
    const timed = all.filter((row) => !row.error).sort((a, b) => a.medianMs - b.medianMs);
    const r = timed[0] ?? all[0];
    if (!r) return "—";
    if (r.error) return shortError(r.error);
    const ratios = [r.vsBest, r.vsSimd].filter((v): v is number => v !== undefined).map((v) => `${fmt(v)}×`);
    const mark = timed.length > 1 ? "*" : "";
    return ratios.length ? `${metric(r)}${mark} (${ratios.join(" / ")})` : `${metric(r)}${mark}`;
  })]));
  const target = renderTable(
    ["target", "workload", `${ctx.best.label} speedup`, "per round", ...(relaxedLive ? ["simdnet SIMD speedup"] : []), "needed", "verdict"],
    targets.map((t) => [t.target, t.workload, x(t.ratio), x(t.perRound), ...(relaxedLive ? [x(t.simdRatio)] : []), `${t.need}×`, t.verdict]),
  );
  const checks = renderTable(["workload", "impl", "what", "against", "max rel err", "tol", "ok"], ctx.checks.map((c) => [
    c.workload, c.impl, c.what ?? "output", c.against, c.maxRelErr.toExponential(2), c.tol === 0 ? "0" : c.tol.toExponential(2), c.ok ? "yes" : "NO",
  ]));
  return { detail, summary, target, checks };
}

/** The row's note with the kernel suite's extra ratios. */
function rowNote(r: Row): string {
  const parts = [r.note];
  if (r.reps && r.reps > 1) parts.push(`samples of ${r.reps} calls`);
  if (r.vsUntransposed !== undefined) parts.push(`${fmt(r.vsUntransposed)}× the untransposed time`);
  if (r.vsMainStep !== undefined) parts.push(`${fmt(r.vsMainStep)}× the main step's time (per round)`);
  if (r.vsNoCache !== undefined) parts.push(`${fmt(r.vsNoCache)}× the no-cache speed`);
  return parts.filter(Boolean).join("; ");
}

export function summaryLegend(ctx: BenchContext): string {
  const both = ctx.best.kind === "relaxed";
  return [
    "GEMM in GFLOP/s, softmax and attention in ms, MLP training in samples/s, GPT in tokens/s.",
    ...(suite === "kernels" ? [] : ["simdnet rows keep their data in Wasm memory and write into preallocated tensors; the **JS arrays** columns are the same builds copying the inputs in from Float32Arrays and the output out into one per call, as the peers that take JS arrays do."]),
    both
      ? "In parentheses: how many times faster **simdnet best = simdnet relaxed** (the relaxed-SIMD build, fused multiply-add; the engine accepted it) is, then how many times faster the plain **simdnet SIMD** build is (median / median)."
      : `In parentheses: how many times faster **simdnet best = ${ctx.best.label}** is (median / median); the relaxed build did not run: ${ctx.build("relaxed").error}.`,
    "* = the fastest of several rows of that implementation (tfjs-wasm GPT: the tuned variant with explicit transposes; see All rows).",
    "n/a = the implementation does not exist for this workload; skipped = too slow for this mode (see All rows); error = failed or failed its check (see All rows).",
  ].join(" ");
}

export function markdown(report: Report, t: ReturnType<typeof tables>): string {
  const m = report.machine;
  const busy = report.busy;
  const c = report.ceiling;
  const ceilingLine = `Wasm ceiling (bench/lib/ceiling.ts): f32x4 mul+add chains ${fmt(c.start.mulAdd.gflops)} GFLOP/s at the start, ${fmt(c.end.mulAdd.gflops)} at the end` +
    (c.start.fma ? `; relaxed_madd (FMA) chains ${fmt(c.start.fma.gflops)} at the start, ${fmt(c.end.fma?.gflops)} at the end` : "; no FMA ceiling (relaxed SIMD not accepted)") +
    `. GEMM "% ceiling" is against the better of start and end (the FMA ceiling for the relaxed build).`;
  return [
    report.suite === "kernels" ? `# simdnet kernels: builds vs plain JS (${report.mode})` : `# simdnet vs peers (${report.mode})`,
    "",
    `\`${report.command}\` · ${m.date} · ${report.elapsedSeconds.toFixed(0)} s`,
    "",
    `Machine: ${m.cpuModel}, ${m.cores} cores (${m.cpuFlags.join(", ")}), ${m.totalMemoryGiB} GiB, ${m.platform} ${m.arch} · Node ${m.node}, V8 ${m.v8}.`,
    `Load average (1 min): ${report.load.map((l) => `${l.load1m} (${l.at})`).join(", ")}. CPU time of this process / wall time over the Node part: ${fmt(busy.cpuOverWall)}.`,
    `**Machine ${busy.busy ? "busy" : "quiet"} during the run**${busy.reasons.length ? `: ${busy.reasons.join("; ")}` : " (load ≤ 0.5 at the start and below cores − 0.5 throughout, full CPU time, ceilings within 10 %)"}.`,
    "",
    ceilingLine,
    "",
    "Implementations:",
    "",
    ...Object.entries(report.setups).map(([k, v]) => `- **${k}**: ${v}`),
    "",
    "## Summary",
    "",
    summaryLegend(report.ctx),
    "",
    t.summary.markdown,
    "",
    "![ratios](latest.svg)",
    "",
    "## Targets",
    "",
    `Judged on ${report.ctx.best.label} (both estimates must reach the target); the SIMD build's ratio for comparison.`,
    "",
    t.target.markdown,
    "",
    "## All rows",
    "",
    t.detail.markdown,
    "",
    "## Checks",
    "",
    `Against independent references (float64 plain JS; the GPT rows: plain JS bench/lib/plain-gpt.ts): ${report.checksPassed} passed, ${report.checksFailed} failed${report.simdnetFailures.length ? ` — **simdnet failed ${report.simdnetFailures.length}: ${report.simdnetFailures.join("; ")}**` : ""}.`,
    "",
    t.checks.markdown,
    "",
    "## Method",
    "",
    ...report.method.map((s) => `- ${s}`),
    ...report.notes.map((n) => `- Note: ${n}`),
    "",
  ].join("\n");
}
