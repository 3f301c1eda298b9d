// The record of one run that every report writer reads (report.ts: console and JSON; report-md.ts:
// Markdown; report-svg.ts: SVG). Its own module so the writers do not import each other.

import type { MachineInfo } from "../lib/stats.js";
import type { BenchContext } from "./context.js";
import type { BusyMonitor, Ceilings } from "./machine.js";
import type { Target } from "./ratios.js";

export interface Report {
  ctx: BenchContext;
  suite: "peers" | "kernels";
  mode: "quick" | "full";
  command: string;
  machine: MachineInfo;
  load: { at: string; load1m: number }[];
  busy: ReturnType<BusyMonitor["verdict"]>;
  ceiling: { start: Ceilings; end: Ceilings; used: Ceilings };
  setups: Record<string, string>;
  method: string[];
  notes: string[];
  targets: Target[];
  checksPassed: number;
  checksFailed: number;
  /** simdnet checks that failed (the run exits non-zero). */
  simdnetFailures: string[];
  elapsedSeconds: number;
}
