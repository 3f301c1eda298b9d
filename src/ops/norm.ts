// Layer normalization over the last axis (GPT-2's LayerNorm), forward and backward. x is [.., C] of any rank
// >= 1, normalized per row of C; gamma and beta are [C]; the saved statistics are [rows], rows = size / C.

import type { Backend } from "../runtime/backend.js";
import { ArgumentError, ShapeError, formatShape } from "../runtime/errors.js";
import type { Tensor } from "../runtime/tensor.js";
import { disposeOnThrow } from "../runtime/dispose-on-throw.js";
import { backendOf, output, requireDisjoint, requireFinite, requireInPlaceOrDisjoint, requireNoOverlap } from "./checks.js";
import type { OutOption } from "./elementwise.js";

/** Per-row statistics saved by the forward for the backward: mean and 1/√(var + eps), both [rows]. */
export interface LayerNormStats {
  mean: Tensor;
  rstd: Tensor;
}

export interface LayerNormOptions extends OutOption {
  /** Added to the variance (default 1e-5). Finite and >= 0. */
  eps?: number;
  /** Filled with each row's mean and rstd, for layerNormBackward. */
  stats?: LayerNormStats;
}

export interface LayerNormGrads {
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

/** rows and cols of x, after checking that gamma (and beta, if given) are [cols]. */
function normDims(op: string, x: Tensor, gamma: Tensor, beta?: Tensor): { rows: number; cols: number } {
  if (x.rank < 1) throw new ShapeError(`${op}: x must have rank >= 1, got shape ${formatShape(x.shape)}`);
  const cols = x.shape[x.rank - 1]!;
  for (const [name, t] of [["gamma", gamma], ["beta", beta]] as const) {
    if (t && (t.rank !== 1 || t.shape[0] !== cols)) {
      throw new ShapeError(`${op}: ${name} ${formatShape(t.shape)} must be [${cols}] to match the last axis of x ${formatShape(x.shape)}`);
    }
  }
  const rows = cols === 0 ? x.shape.slice(0, -1).reduce((a, b) => a * b, 1) : x.size / cols;
  return { rows, cols };
}

function checkStats(op: string, stats: LayerNormStats, rows: number, x: Tensor): void {
  for (const [name, t] of [["mean", stats.mean], ["rstd", stats.rstd]] as const) {
    if (t.rank !== 1 || t.shape[0] !== rows) {
      throw new ShapeError(`${op}: stats.${name} ${formatShape(t.shape)} must be [${rows}] (one per row of x ${formatShape(x.shape)})`);
    }
  }
}

/** A gradient output: the caller's tensor (its shape checked, with its name in the message) or a new one. */
function gradOutput(op: string, name: string, backend: Backend, shape: readonly number[], given?: Tensor): Tensor {
  if (given && (given.rank !== shape.length || given.shape.some((n, i) => n !== shape[i]))) {
    throw new ShapeError(`${op}: ${name} has shape ${formatShape(given.shape)}, the gradient has shape ${formatShape(shape)}`);
  }
  return output(op, backend, shape, given);
}

/**
 * out = (x − mean)/√(var + eps)·gamma + beta over the last axis. `out` may be x; it must not overlap
 * gamma, beta or the stats, and the stats must not overlap anything.
 */
export function layerNorm(x: Tensor, gamma: Tensor, beta: Tensor, options: LayerNormOptions = {}): Tensor {
  const op = "layerNorm";
  const { eps = 1e-5, stats } = options;
  const backend = stats ? backendOf(op, x, gamma, beta, stats.mean, stats.rstd) : backendOf(op, x, gamma, beta);
  const { rows, cols } = normDims(op, x, gamma, beta);
  requireFinite(op, "eps", eps);
  if (eps < 0) throw new ArgumentError(`${op}: eps must be >= 0, got ${eps}`);
  if (stats) {
    checkStats(op, stats, rows, x);
    requireDisjoint(op, { "stats.mean": stats.mean, "stats.rstd": stats.rstd });
    for (const [name, t] of [["stats.mean", stats.mean], ["stats.rstd", stats.rstd]] as const) requireNoOverlap(op, t, { x, gamma, beta, out: options.out }, name);
  }
  const out = output(op, backend, x.shape, options.out);
  if (options.out) {
    requireInPlaceOrDisjoint(op, out, { x });
    requireNoOverlap(op, out, { gamma, beta });
  }
  backend.kernels.layernorm_f32(
    rows, cols, x.ptr, gamma.ptr, beta.ptr, out.ptr, stats ? stats.mean.ptr : 0, stats ? stats.rstd.ptr : 0, eps,
  );
  return out;
}

/**
 * Gradients of layerNorm from the upstream dy (shape of x) and the stats its forward saved. dx may be dy;
 * dgamma and dbeta ([C]) are overwritten with the sums over all rows. No other output may overlap an
 * input or another output.
 */
export function layerNormBackward(
  dy: Tensor, x: Tensor, gamma: Tensor, stats: LayerNormStats,
  options: { dx?: Tensor; dgamma?: Tensor; dbeta?: Tensor } = {},
): LayerNormGrads {
  const op = "layerNormBackward";
  const backend = backendOf(op, dy, x, gamma, stats.mean, stats.rstd);
  const { rows, cols } = normDims(op, x, gamma);
  if (dy.rank !== x.rank || dy.shape.some((n, i) => n !== x.shape[i])) {
    throw new ShapeError(`${op}: dy ${formatShape(dy.shape)} must have the shape of x ${formatShape(x.shape)}`);
  }
  checkStats(op, stats, rows, x);
  const inputs = { x, gamma, "stats.mean": stats.mean, "stats.rstd": stats.rstd };
  requireDisjoint(op, { dx: options.dx, dgamma: options.dgamma, dbeta: options.dbeta });
  if (options.dx) {
    requireInPlaceOrDisjoint(op, options.dx, { dy }, "dx");
    requireNoOverlap(op, options.dx, inputs, "dx");
  }
  for (const name of ["dgamma", "dbeta"] as const) {
    const given = options[name];
    if (given) requireNoOverlap(op, given, { dy, ...inputs }, name);
  }
  // All three or none: a second allocation failing frees the first.
  const { dx, dgamma, dbeta } = disposeOnThrow(() => ({
    dx: gradOutput(op, "dx", backend, x.shape, options.dx),
    dgamma: gradOutput(op, "dgamma", backend, [cols], options.dgamma),
    dbeta: gradOutput(op, "dbeta", backend, [cols], options.dbeta),
  }));
  backend.kernels.layernorm_backward_f32(
    rows, cols, dy.ptr, x.ptr, gamma.ptr, stats.mean.ptr, stats.rstd.ptr, dx.ptr, dgamma.ptr, dbeta.ptr,
  );
  return { dx, dgamma, dbeta };
}
