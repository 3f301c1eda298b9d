// Small helpers for the benchmark harness: statistics over merged samples, machine info, formatting.

import os from "node:os";
import { readFileSync } from "node:fs";

export interface Summary {
  medianMs: number;
  minMs: number;
  maxMs: number;
  p75Ms: number;
  samples: number;
}

export function summarize(samplesMs: readonly number[]): Summary {
  const s = [...samplesMs].sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { medianMs: NaN, minMs: NaN, maxMs: NaN, p75Ms: NaN, samples: 0 };
  const q = (p: number): number => {
    const x = (n - 1) * p;
    const lo = Math.floor(x);
    const hi = Math.ceil(x);
    return s[lo]! + (s[hi]! - s[lo]!) * (x - lo);
  };
  return { medianMs: q(0.5), minMs: s[0]!, maxMs: s[n - 1]!, p75Ms: q(0.75), samples: n };
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  cpuFlags: string[];
  totalMemoryGiB: number;
  loadAverage1m: number;
  platform: string;
  arch: string;
  node: string;
  v8: string;
  date: string;
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  let flags: string[] = [];
  try {
    const line = readFileSync("/proc/cpuinfo", "utf8").split("\n").find((l) => l.startsWith("flags"));
    const all = new Set(line?.split(":")[1]?.trim().split(/\s+/) ?? []);
    flags = ["sse4_2", "avx", "avx2", "fma", "avx512f"].filter((f) => all.has(f));
  } catch {
    // not Linux: leave empty
  }
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    cpuFlags: flags,
    totalMemoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage1m: Math.round(os.loadavg()[0]! * 100) / 100,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    node: process.versions.node,
    v8: process.versions.v8,
    date: new Date().toISOString(),
  };
}

/** Fixed-width-ish number formatting for tables. */
export function fmt(x: number | undefined | null, digits = 3): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return "—";
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  if (a >= 1) return x.toFixed(digits);
  return x.toPrecision(digits);
}

/** Render rows as an aligned plain-text table (for the console) and as Markdown. */
export function renderTable(header: string[], rows: string[][]): { text: string; markdown: string } {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[-—0-9.,×%e+ –]*$/.test(r[i] ?? "")));
  const pad = (s: string, i: number): string => (numeric[i] ? s.padStart(widths[i]!) : s.padEnd(widths[i]!));
  const line = (r: string[]): string => r.map((c, i) => pad(c ?? "", i)).join("  ");
  const text = [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
  const md = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (numeric[i] ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  return { text, markdown: md };
}
