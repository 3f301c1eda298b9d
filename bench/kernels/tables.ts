// The three tables of the report, each as plain text (console) and Markdown: the kernels (GFLOP/s
// and speedups), the MLP training step (samples/s is its figure of merit) and the GPT rows (tokens/s).

import { fmt, renderTable } from "../lib/stats.js";
import { GPT_CONFIG } from "../workloads/gpt-config.js";
import { MAIN_TRAIN } from "./mlp-config.js";
import type { Row } from "./types.js";

type Table = { text: string; markdown: string };

/** A speedup cell: "1.23×", or "—" when there is none. */
export const times = (x: number | undefined): string => (x !== undefined ? `${fmt(x)}×` : "—");

export function kernelTable(rows: Row[]): Table {
  const header = ["workload", "impl", "median ms", "min–max ms", "n", "GFLOP/s", "× vs JS", "× vs scalar", "note"];
  const tableRows = rows.filter((r) => r.group !== "train" && r.group !== "transformer").map((r) => {
    const note: string[] = [];
    if (r.error) note.push(r.error);
    if (r.vsUntransposed !== undefined) note.push(`${fmt(r.vsUntransposed)}× untransposed time`);
    if (r.pctOfCeiling !== undefined) note.push(`${r.pctOfCeiling.toFixed(0)}% of SIMD ceiling`);
    return [
      r.workload, r.impl, fmt(r.medianMs), `${fmt(r.minMs)}–${fmt(r.maxMs)}`, String(r.samples), fmt(r.gflops),
      r.vsJs !== undefined ? `${fmt(r.vsJs)}×` : "—", r.vsScalar !== undefined ? `${fmt(r.vsScalar)}×` : "—", note.join("; "),
    ];
  });
  return renderTable(header, tableRows);
}

export function trainTable(rows: Row[]): Table {
  const trainHeader = ["workload", "impl", "ms / step", "min–max ms", "samples×steps", "samples/s", "GEMM GFLOP/s", "× vs JS", "per round", "mins", "× vs scalar", "per round", "note"];
  const trainTableRows = rows.filter((r) => r.group === "train").map((r) => {
    const note: string[] = [];
    if (r.error) note.push(r.error);
    if (r.gemmShare !== undefined) note.push(`its 8 GEMMs alone: ${(100 * r.gemmShare).toFixed(0)}% of the step time`);
    if (r.restShare !== undefined) note.push(`the rest alone: ${(100 * r.restShare).toFixed(0)}%`);
    if (r.vsMainStep !== undefined) note.push(`${fmt(r.vsMainStep)}× the ${MAIN_TRAIN.name} step time`);
    if (r.variant === "gemms") note.push("the step's products only (8 gemm_f32 calls)");
    return [
      r.workload, r.impl, fmt(r.medianMs), `${fmt(r.minMs)}–${fmt(r.maxMs)}`, `${r.samples}×${r.reps ?? 1}`, fmt(r.samplesPerSec), fmt(r.gflops),
      times(r.vsJs), times(r.vsJsPerRound), times(r.vsJsMin), times(r.vsScalar), times(r.vsScalarPerRound), note.join("; "),
    ];
  });
  return renderTable(trainHeader, trainTableRows);
}

export const gptTitle = `GPT (vocab ${GPT_CONFIG.vocabSize}, context ${GPT_CONFIG.contextLength}, d ${GPT_CONFIG.dModel}, ${GPT_CONFIG.heads} heads, ${GPT_CONFIG.layers} layers; the default model of simdnet train-gpt)`;

export function gptTable(rows: Row[]): Table {
  const gptHeader = ["workload", "impl", "median ms / call", "min–max ms", "n", "tokens / call", "tokens/s", "× vs JS", "× vs scalar", "note"];
  return renderTable(gptHeader, rows.filter((r) => r.group === "transformer").map((r) => {
    const note: string[] = [];
    if (r.error) note.push(r.error);
    if (r.vsNoCache !== undefined) note.push(`${fmt(r.vsNoCache)}× the no-cache speed`);
    return [
      r.workload, r.impl, fmt(r.medianMs), `${fmt(r.minMs)}–${fmt(r.maxMs)}`, String(r.samples), String(r.tokens ?? "—"), fmt(r.tokensPerSec),
      times(r.vsJs), times(r.vsScalar), note.join("; "),
    ];
  }));
}
