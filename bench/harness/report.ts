// The run's record: bench/results/latest.json (kernels.json for the kernel suite: everything —
// machine, load, ceilings, setups, method, targets, rows with per-round medians, checks, references'
// names), latest.md and latest.svg (kernels.md, kernels.svg), and the console summary.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CFG } from "./context.js";
import { markdown, summaryLegend, tables } from "./report-md.js";
import type { Report } from "./report-model.js";
import { ratiosSvg } from "./report-svg.js";

export function writeReport(report: Report, workloadIds: string[], write: boolean): void {
  const base = report.suite === "kernels" ? "kernels" : "latest";
  const t = tables(report.ctx, workloadIds, report.targets);
  console.log(`\n${t.detail.text}\n`);
  console.log(`Summary. ${summaryLegend(report.ctx).replace(/\*\*/g, "")}\n${t.summary.text}\n`);
  console.log(`Targets (judged on ${report.ctx.best.label}):\n${t.target.text}\n`);
  console.log(`Checks against the references:\n${t.checks.text}\n`);
  for (const n of report.notes) console.log(`note: ${n}`);
  console.log(`checks against the references: ${report.checksPassed} passed, ${report.checksFailed} failed${report.simdnetFailures.length ? ` — ${report.simdnetFailures.length} of simdnet's` : ""}`);
  console.log(`machine ${report.busy.busy ? `BUSY: ${report.busy.reasons.join("; ")}` : "quiet"}; load ${report.load.map((l) => l.load1m).join(" → ")}; total ${report.elapsedSeconds.toFixed(1)} s`);
  if (!write) {
    console.log(`filtered run (--only / --peers): bench/results/${base}.* not written`);
    return;
  }
  const outDir = join(dirname(fileURLToPath(import.meta.url)), "..", "results");
  mkdirSync(outDir, { recursive: true });
  const { ctx, ...rest } = report;
  const json = {
    ...rest,
    bestBuild: ctx.best.label,
    backends: Object.fromEntries(ctx.liveBuilds.map((b) => [b.backend.info().threads > 1 ? b.label : b.kind, b.backend.info()])),
    config: { ...CFG, timer: "tinybench hrtimeNow (child processes: time.perf_counter / performance.now)" },
    results: ctx.rows,
    references: Object.fromEntries([...ctx.references].map(([id, r]) => [id, { name: r.name, tol: r.tol }])),
    checks: ctx.checks,
  };
  writeFileSync(join(outDir, `${base}.json`), JSON.stringify(json, (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v), 2) + "\n");
  writeFileSync(join(outDir, `${base}.md`), markdown(report, t));
  writeFileSync(join(outDir, `${base}.svg`), ratiosSvg(report, workloadIds));
  console.log(`wrote ${join(outDir, `${base}.json`)}, ${base}.md and ${base}.svg`);
}
