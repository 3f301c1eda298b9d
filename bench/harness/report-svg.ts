// latest.svg: horizontal bars on a log scale, per workload, of simdnet best's speedup over every
// other implementation (median time ratio; right of 1× = simdnet best is faster).

import { fmt } from "../lib/stats.js";
import { COLUMNS } from "./context.js";
import type { Report } from "./report-model.js";

const COLORS = ["#00897b", "#9e9e9e", "#bcaaa4", "#ff9800", "#ffcc80", "#1e88e5", "#90caf9", "#8e24aa", "#43a047", "#e53935"];
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function ratiosSvg(report: Report, workloadIds: string[]): string {
  const best = report.ctx.best.label;
  const series = COLUMNS.filter((c) => c !== best);
  const rows = report.ctx.rows;
  const groups = workloadIds.map((id) => ({
    id,
    bars: series.map((c, i) => ({ c, color: COLORS[i % COLORS.length]!, r: rows.find((x) => x.workload === id && x.column === c) }))
      .filter((b) => b.r && !b.r.error && b.r.vsBest),
  }));
  const all = groups.flatMap((g) => g.bars.map((b) => b.r!.vsBest!));
  const lo = Math.min(0.1, ...all.map((v) => 10 ** Math.floor(Math.log10(v))));
  const hi = Math.max(10, ...all.map((v) => 10 ** Math.ceil(Math.log10(v))));
  const [left, width, barH, gap, top] = [250, 620, 11, 12, 58];
  const x = (v: number): number => left + (width * (Math.log10(v) - Math.log10(lo))) / (Math.log10(hi) - Math.log10(lo));
  let y = top;
  const parts: string[] = [];
  for (const g of groups) {
    const h = Math.max(1, g.bars.length) * barH;
    parts.push(`<text x="${left - 8}" y="${y + h / 2 + 4}" text-anchor="end" font-size="12">${esc(g.id)}</text>`);
    if (!g.bars.length) parts.push(`<text x="${left + 4}" y="${y + 9}" font-size="10" fill="#666">nothing else timed</text>`);
    g.bars.forEach((b, i) => {
      const v = b.r!.vsBest!;
      const [x0, x1] = [x(1), x(v)];
      parts.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y + i * barH}" width="${Math.max(1, Math.abs(x1 - x0)).toFixed(1)}" height="${barH - 2}" fill="${b.color}"><title>${esc(`${g.id}: ${b.c} takes ${fmt(v)}× ${best}'s time`)}</title></rect>`);
      parts.push(`<text x="${(v >= 1 ? x1 + 3 : x1 - 3).toFixed(1)}" y="${y + i * barH + 8}" font-size="9" text-anchor="${v >= 1 ? "start" : "end"}">${fmt(v)}×</text>`);
    });
    y += h + gap;
  }
  const bottom = y;
  const ticks: string[] = [];
  for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
    const v = 10 ** e;
    ticks.push(`<line x1="${x(v).toFixed(1)}" y1="${top - 4}" x2="${x(v).toFixed(1)}" y2="${bottom}" stroke="${v === 1 ? "#000" : "#ddd"}"/>`);
    ticks.push(`<text x="${x(v).toFixed(1)}" y="${bottom + 14}" font-size="10" text-anchor="middle">${Number(v.toPrecision(1))}×</text>`);
  }
  const legend = series.map((c, i) => {
    const [lx, ly] = [left + (i % 4) * 160, bottom + 26 + Math.floor(i / 4) * 16];
    return `<rect x="${lx}" y="${ly}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${lx + 14}" y="${ly + 9}" font-size="11">${esc(c === "numpy" ? "numpy (own process)" : c)}</text>`;
  });
  const m = report.machine;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${left + width + 60}" height="${bottom + 26 + Math.ceil(series.length / 4) * 16 + 10}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="14" font-weight="bold">${esc(`${best} speedup over each implementation (median time ratio, log scale; right of 1× = ${best} faster)`)}</text>`,
    `<text x="10" y="38" font-size="11" fill="#444">${esc(`${report.command} · ${m.cpuModel}, ${m.cores} cores · Node ${m.node} · ${m.date.slice(0, 16)}Z · machine ${report.busy.busy ? "busy" : "quiet"}`)}</text>`,
    ...ticks,
    ...parts,
    ...legend,
    `</svg>`,
  ].join("\n") + "\n";
}
