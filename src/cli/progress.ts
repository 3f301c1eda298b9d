// A one-line progress display for long loops: bar, percentage, rate, a metric, ETA. On a terminal
// it redraws in place; elsewhere (CI logs, pipes) it stays silent and callers print summary lines.

export interface ProgressLine {
  update(done: number, total: number, fields: Record<string, string>): void;
  /** Clear the line so the caller can print a permanent one. */
  clear(): void;
}

export function progressLine(stream: NodeJS.WriteStream = process.stdout, width = 24): ProgressLine {
  const live = Boolean(stream.isTTY);
  let lastDraw = 0;
  return {
    update(done, total, fields) {
      if (!live) return;
      const now = performance.now();
      if (done < total && now - lastDraw < 80) return; // redraw at most ~12×/s
      lastDraw = now;
      const frac = total > 0 ? done / total : 1;
      const filled = Math.round(frac * width);
      const bar = "█".repeat(filled) + "░".repeat(width - filled);
      const extra = Object.entries(fields).map(([k, v]) => `${k} ${v}`).join("  ");
      stream.write(`\r\x1b[2K${bar} ${(frac * 100).toFixed(0).padStart(3)}%  ${extra}`);
    },
    clear() {
      if (live) stream.write("\r\x1b[2K");
    },
  };
}

export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "?";
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, "0")}s`;
}
