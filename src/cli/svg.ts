// Standalone SVG charts for the command line and the browser demo: training/validation loss curves
// and attention-weight heatmaps. Plain strings, no DOM, no dependencies: write them to a .svg file
// or put them in a page. All text is XML-escaped; characters XML does not allow become U+FFFD.

import { ArgumentError, ShapeError } from "../runtime/errors.js";

export interface ChartPoint {
  x: number;
  y: number;
}

export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

export interface LossChartOptions {
  title?: string;
  xLabel?: string;
  yLabel?: string;
  /** Whole image, in pixels. Default 640. */
  width?: number;
  /** Whole image, in pixels. Default 400. */
  height?: number;
}

export interface HeatmapOptions {
  title?: string;
  /** Side of one cell, in pixels. Default 24. */
  cellSize?: number;
}

const FONT = "font-family=\"system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif\"";
const PALETTE = ["#1f6fb4", "#e0702a", "#2a9d3f", "#c8323a", "#8a5cb8", "#8c5a4b", "#d35fb7", "#6f6f6f", "#a8a81e", "#1fa8bc"];
const AXIS = "#444";
const GRID = "#e6e6e6";

/** Escape text for XML content or a double-quoted attribute; drop characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return String(text)
    // C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF are not allowed in XML 1.0.
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** A number as an SVG coordinate: at most 2 decimals, no "-0". */
function n(v: number): string {
  const r = Math.round(v * 100) / 100;
  return Object.is(r, -0) ? "0" : String(r);
}

function checkSize(op: string, name: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new ArgumentError(`${op}: ${name} must be a finite number >= ${min}, got ${String(value)}`);
  }
  return value;
}

function checkText(op: string, name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string") throw new ArgumentError(`${op}: ${name} must be a string, got ${typeof value}`);
  return value;
}

/** Rough width of a label in pixels (SVG text cannot be measured without a renderer). */
function textWidth(text: string, fontSize: number): number {
  return [...text].length * fontSize * 0.6;
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart) covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): { lo: number; hi: number; step: number; ticks: number[] } {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) throw new ArgumentError(`niceTicks: bounds must be finite, got ${lo} and ${hi}`);
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(1, count - 1);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(k * step);
  return { lo: first * step, hi: last * step, step, ticks };
}

/** Decimals needed to write multiples of `step` exactly (0.25 → 2, 5 → 0, 0.001 → 3). */
function decimalsFor(step: number): number {
  for (let d = 0; d <= 12; d++) {
    const scaled = step * 10 ** d;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-6 * Math.max(1, scaled)) return d;
  }
  return 12;
}

/** Tick labels for one axis: fixed decimals enough for the step, or exponent form for the whole axis if its values are huge or tiny. */
function formatTicks(ticks: number[], step: number): string[] {
  const maxAbs = Math.max(...ticks.map(Math.abs));
  const exponent = maxAbs >= 1e6 || maxAbs < 1e-3;
  return ticks.map((v) => {
    if (Math.abs(v) < step * 1e-9) return "0";
    return exponent ? Number(v.toPrecision(6)).toExponential() : v.toFixed(decimalsFor(step));
  });
}

/**
 * A line chart of one or more series (e.g. training and validation loss per step): axes with round
 * ticks and a light grid, one colour and one `<path class="series">` per series (in the order given),
 * a legend, optional title and axis labels. Points with a non-finite x or y are skipped and break the
 * line there; a point with no neighbour in its run is drawn as a dot. Empty input gives empty axes.
 */
export function lossChartSvg(series: ChartSeries[], options: LossChartOptions = {}): string {
  const op = "lossChartSvg";
  if (!Array.isArray(series)) throw new ArgumentError(`${op}: series must be an array of { name, points }, got ${typeof series}`);
  const width = checkSize(op, "width", options.width ?? 640, 120);
  const height = checkSize(op, "height", options.height ?? 400, 100);
  const title = checkText(op, "title", options.title);
  const xLabel = checkText(op, "xLabel", options.xLabel);
  const yLabel = checkText(op, "yLabel", options.yLabel);
  series.forEach((s, i) => {
    if (s === null || typeof s !== "object" || typeof s.name !== "string" || !Array.isArray(s.points)) {
      throw new ArgumentError(`${op}: series ${i} must be { name: string, points: { x, y }[] }`);
    }
  });

  // Runs of consecutive finite points, per series.
  const runs: ChartPoint[][][] = series.map((s) => {
    const out: ChartPoint[][] = [];
    let run: ChartPoint[] = [];
    for (const p of s.points) {
      const ok = p !== null && typeof p === "object" && Number.isFinite(p.x) && Number.isFinite(p.y);
      if (ok) run.push(p);
      else if (run.length > 0) {
        out.push(run);
        run = [];
      }
    }
    if (run.length > 0) out.push(run);
    return out;
  });
  let xMin = Infinity, xMax = -Infinity, yMin = Infinity, yMax = -Infinity;
  for (const s of runs) for (const run of s) for (const p of run) {
    if (p.x < xMin) xMin = p.x;
    if (p.x > xMax) xMax = p.x;
    if (p.y < yMin) yMin = p.y;
    if (p.y > yMax) yMax = p.y;
  }
  const empty = xMin === Infinity;
  if (empty) [xMin, xMax, yMin, yMax] = [0, 1, 0, 1];
  const xt = niceTicks(xMin, xMax, Math.max(2, Math.min(10, Math.floor(width / 90))));
  const yt = niceTicks(yMin, yMax, Math.max(2, Math.min(10, Math.floor(height / 60))));

  const fontSize = 12;
  const xTickLabels = formatTicks(xt.ticks, xt.step);
  const yTickLabels = formatTicks(yt.ticks, yt.step);
  const yTickWidth = Math.max(...yTickLabels.map((t) => textWidth(t, fontSize)));
  const legendWidth = series.length === 0 ? 0 : 36 + Math.min(180, Math.max(...series.map((s) => textWidth(s.name, fontSize))));
  const left = 14 + (yLabel ? 22 : 0) + yTickWidth + 8;
  const right = 16 + legendWidth;
  const top = title ? 40 : 16;
  const bottom = 20 + fontSize + (xLabel ? 22 : 0);
  const plotW = Math.max(10, width - left - right);
  const plotH = Math.max(10, height - top - bottom);
  const sx = (x: number) => left + ((x - xt.lo) / (xt.hi - xt.lo)) * plotW;
  const sy = (y: number) => top + plotH - ((y - yt.lo) / (yt.hi - yt.lo)) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" ${FONT} font-size="${fontSize}">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  if (title) out.push(`<text x="${n(left + plotW / 2)}" y="24" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);

  // Grid and ticks.
  out.push(`<g class="grid" stroke="${GRID}" stroke-width="1">`);
  for (const t of xt.ticks) out.push(`<line x1="${n(sx(t))}" y1="${n(top)}" x2="${n(sx(t))}" y2="${n(top + plotH)}"/>`);
  for (const t of yt.ticks) out.push(`<line x1="${n(left)}" y1="${n(sy(t))}" x2="${n(left + plotW)}" y2="${n(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="axes" stroke="${AXIS}" stroke-width="1">`);
  out.push(`<line x1="${n(left)}" y1="${n(top + plotH)}" x2="${n(left + plotW)}" y2="${n(top + plotH)}"/>`);
  out.push(`<line x1="${n(left)}" y1="${n(top)}" x2="${n(left)}" y2="${n(top + plotH)}"/>`);
  for (const t of xt.ticks) out.push(`<line x1="${n(sx(t))}" y1="${n(top + plotH)}" x2="${n(sx(t))}" y2="${n(top + plotH + 5)}"/>`);
  for (const t of yt.ticks) out.push(`<line x1="${n(left - 5)}" y1="${n(sy(t))}" x2="${n(left)}" y2="${n(sy(t))}"/>`);
  out.push(`</g>`);
  out.push(`<g class="tick-labels" fill="${AXIS}">`);
  xt.ticks.forEach((t, k) => out.push(`<text x="${n(sx(t))}" y="${n(top + plotH + 8 + fontSize)}" text-anchor="middle">${escapeXml(xTickLabels[k]!)}</text>`));
  yt.ticks.forEach((t, k) => out.push(`<text x="${n(left - 8)}" y="${n(sy(t) + fontSize * 0.35)}" text-anchor="end">${escapeXml(yTickLabels[k]!)}</text>`));
  out.push(`</g>`);
  if (xLabel) out.push(`<text x="${n(left + plotW / 2)}" y="${n(height - 8)}" text-anchor="middle">${escapeXml(xLabel)}</text>`);
  if (yLabel) {
    const cx = 16, cy = top + plotH / 2;
    out.push(`<text x="${n(cx)}" y="${n(cy)}" text-anchor="middle" transform="rotate(-90 ${n(cx)} ${n(cy)})">${escapeXml(yLabel)}</text>`);
  }
  if (empty) out.push(`<text x="${n(left + plotW / 2)}" y="${n(top + plotH / 2)}" text-anchor="middle" fill="#999">no data</text>`);

  // Series.
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const d = runs[i]!.map((run) => run.map((p, k) => `${k === 0 ? "M" : "L"}${n(sx(p.x))} ${n(sy(p.y))}`).join(" ")).join(" ");
    out.push(`<path class="series" d="${d}" fill="none" stroke="${colour}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"><title>${escapeXml(s.name)}</title></path>`);
    for (const run of runs[i]!) {
      if (run.length === 1) out.push(`<circle cx="${n(sx(run[0]!.x))}" cy="${n(sy(run[0]!.y))}" r="3" fill="${colour}"/>`);
    }
  });

  // Legend, to the right of the plot.
  if (series.length > 0) {
    const lx = left + plotW + 16;
    out.push(`<g class="legend">`);
    series.forEach((s, i) => {
      const y = top + 8 + i * 20;
      const colour = PALETTE[i % PALETTE.length]!;
      const name = [...s.name].length > 30 ? `${[...s.name].slice(0, 29).join("")}…` : s.name;
      out.push(`<line x1="${n(lx)}" y1="${n(y)}" x2="${n(lx + 22)}" y2="${n(y)}" stroke="${colour}" stroke-width="3"/>`);
      out.push(`<text x="${n(lx + 28)}" y="${n(y + fontSize * 0.35)}">${escapeXml(name)}</text>`);
    });
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}

const WHITE: [number, number, number] = [255, 255, 255];
const DARK: [number, number, number] = [8, 48, 107];

/** Weight in [0, 1] (clamped) → a colour from white to dark blue; NaN → grey. */
function shade(w: number): string {
  if (!Number.isFinite(w)) return "#c8c8c8";
  const t = Math.min(1, Math.max(0, w));
  const c = WHITE.map((v, i) => Math.round(v + (DARK[i]! - v) * t));
  return `#${c.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** Make whitespace tokens visible (a character tokenizer has " " and "\n") and shorten long labels. */
function visibleLabel(label: string): string {
  const shown = label.replace(/ /g, "␣").replace(/\n/g, "↵").replace(/\t/g, "⇥").replace(/\r/g, "␍");
  const chars = [...shown];
  return chars.length > 14 ? `${chars.slice(0, 13).join("")}…` : shown;
}

function formatWeight(w: number): string {
  return Number.isFinite(w) ? String(Math.round(w * 1000) / 1000) : String(w);
}

/**
 * Attention weights as a grid: row i (a query token, labelled by rowLabels[i]) and column j (a key
 * token, colLabels[j]) shaded from white (0) to dark blue (1), values clamped to [0, 1], NaN grey.
 * `weights` is rows × cols, row-major (Float32Array) or one array per row. Every cell has a tooltip
 * with its exact weight; whitespace labels are shown as ␣ ↵ ⇥; a colour scale sits on the right.
 */
export function attentionHeatmapSvg(
  weights: Float32Array | number[][],
  rowLabels: string[],
  colLabels: string[],
  options: HeatmapOptions = {},
): string {
  const op = "attentionHeatmapSvg";
  if (!Array.isArray(rowLabels) || !Array.isArray(colLabels)) throw new ArgumentError(`${op}: rowLabels and colLabels must be arrays of strings`);
  [...rowLabels, ...colLabels].forEach((l, i) => {
    if (typeof l !== "string") throw new ArgumentError(`${op}: label ${i} must be a string, got ${typeof l}`);
  });
  const rows = rowLabels.length;
  const cols = colLabels.length;
  const cell = checkSize(op, "cellSize", options.cellSize ?? 24, 2);
  const title = checkText(op, "title", options.title);
  let at: (i: number, j: number) => number;
  if (weights instanceof Float32Array) {
    if (weights.length !== rows * cols) {
      throw new ShapeError(`${op}: weights has ${weights.length} values, expected ${rows} rows × ${cols} columns = ${rows * cols} (one row per row label, one column per column label)`);
    }
    at = (i, j) => weights[i * cols + j]!;
  } else if (Array.isArray(weights)) {
    if (weights.length !== rows) throw new ShapeError(`${op}: weights has ${weights.length} rows, expected ${rows} (one per row label)`);
    weights.forEach((row, i) => {
      if (!Array.isArray(row) && !ArrayBuffer.isView(row)) throw new ArgumentError(`${op}: weights row ${i} is not an array`);
      if ((row as ArrayLike<number>).length !== cols) {
        throw new ShapeError(`${op}: weights row ${i} has ${(row as ArrayLike<number>).length} values, expected ${cols} (one per column label)`);
      }
    });
    at = (i, j) => Number(weights[i]![j]);
  } else {
    throw new ArgumentError(`${op}: weights must be a Float32Array or an array of rows, got ${typeof weights}`);
  }

  const fontSize = Math.max(9, Math.min(13, cell * 0.5));
  const rowShown = rowLabels.map(visibleLabel);
  const colShown = colLabels.map(visibleLabel);
  const rowLabelWidth = rows === 0 ? 0 : Math.max(...rowShown.map((l) => textWidth(l, fontSize)));
  const colLabelHeight = cols === 0 ? 0 : Math.max(...colShown.map((l) => textWidth(l, fontSize)));
  const titleHeight = title ? 30 : 0;
  const pad = 12;
  const left = pad + rowLabelWidth + 8;
  const top = pad + titleHeight + colLabelHeight + 8;
  const gridW = cols * cell;
  const gridH = rows * cell;
  const scaleH = Math.max(80, Math.min(gridH, 240));
  const scaleX = left + gridW + 20;
  const width = Math.max(scaleX + 16 + 40 + pad, title ? textWidth(title, 15) + 2 * pad : 0);
  const height = Math.max(top + gridH, top + scaleH) + pad + 4;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${n(width)}" height="${n(height)}" viewBox="0 0 ${n(width)} ${n(height)}" ${FONT} font-size="${n(fontSize)}">`);
  out.push(`<rect width="100%" height="100%" fill="#ffffff"/>`);
  if (title) out.push(`<text x="${n(pad)}" y="${n(pad + 16)}" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);

  out.push(`<g class="cells" stroke="#ffffff" stroke-width="${cell >= 8 ? 0.5 : 0}">`);
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const w = at(i, j);
      out.push(
        `<rect x="${n(left + j * cell)}" y="${n(top + i * cell)}" width="${n(cell)}" height="${n(cell)}" fill="${shade(w)}">` +
          `<title>${escapeXml(`${rowLabels[i]} → ${colLabels[j]}: ${formatWeight(w)}`)}</title></rect>`,
      );
    }
  }
  out.push(`</g>`);
  if (rows > 0 && cols > 0) out.push(`<rect x="${n(left)}" y="${n(top)}" width="${n(gridW)}" height="${n(gridH)}" fill="none" stroke="#888" stroke-width="1"/>`);

  out.push(`<g class="row-labels" text-anchor="end">`);
  rowShown.forEach((l, i) => {
    out.push(`<text x="${n(left - 6)}" y="${n(top + (i + 0.5) * cell + fontSize * 0.35)}">${escapeXml(l)}</text>`);
  });
  out.push(`</g>`);
  out.push(`<g class="col-labels" text-anchor="start">`);
  colShown.forEach((l, j) => {
    const x = left + (j + 0.5) * cell + fontSize * 0.35;
    const y = top - 6;
    out.push(`<text x="${n(x)}" y="${n(y)}" transform="rotate(-90 ${n(x)} ${n(y)})">${escapeXml(l)}</text>`);
  });
  out.push(`</g>`);
  if (rows === 0 || cols === 0) out.push(`<text x="${n(left)}" y="${n(top + 16)}" fill="#999">no weights</text>`);

  // Colour scale: 1 at the top, 0 at the bottom, in discrete steps (no gradient ids to clash when
  // several charts share a page).
  const steps = 32;
  out.push(`<g class="scale">`);
  for (let k = 0; k < steps; k++) {
    const t = 1 - (k + 0.5) / steps;
    out.push(`<rect x="${n(scaleX)}" y="${n(top + (k * scaleH) / steps)}" width="14" height="${n(scaleH / steps + 0.5)}" fill="${shade(t)}"/>`);
  }
  out.push(`<rect x="${n(scaleX)}" y="${n(top)}" width="14" height="${n(scaleH)}" fill="none" stroke="#888" stroke-width="1"/>`);
  for (const [v, label] of [[1, "1"], [0.5, "0.5"], [0, "0"]] as const) {
    const y = top + (1 - v) * scaleH;
    out.push(`<line x1="${n(scaleX + 14)}" y1="${n(y)}" x2="${n(scaleX + 18)}" y2="${n(y)}" stroke="#888"/>`);
    out.push(`<text x="${n(scaleX + 21)}" y="${n(y + fontSize * 0.35)}" font-size="11">${label}</text>`);
  }
  out.push(`</g>`);
  out.push(`</svg>`);
  return out.join("\n") + "\n";
}
