// Finite-difference gradient checks for the backward ops. The scalar loss is L = Σ out·R for a fixed
// random R, computed in float64 from the op's own float32 forward output; each checked input element is
// moved by ±ε and (L₊ − L₋)/(x₊ − x₋) is compared with the backward's dL/dx (which is the backward run
// with dout = R).

import { expect } from "vitest";

export interface FiniteDiffCase {
  /** The forward inputs; elements are perturbed in place and restored. */
  inputs: Float32Array[];
  /** Input names for messages. */
  names: string[];
  /** Runs the op's forward on the current inputs and returns its output (float32). */
  forward: (inputs: Float32Array[]) => ArrayLike<number>;
  /** The backward's gradients, one per input (same lengths as inputs). */
  grads: ArrayLike<number>[];
  /** The weights R of the loss. */
  r: ArrayLike<number>;
  /** Step (default 1e-2). */
  eps?: number;
  /** Elements checked per input (evenly spread; default 24, all when fewer). */
  samples?: number;
  /** |fd − g| is divided by max(|fd|, |g|, floor): below the floor the check is absolute (default 1e-2). */
  floor?: number;
  what: string;
}

export function lossOf(out: ArrayLike<number>, r: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * r[i]!;
  return s;
}

/** Asserts relative error < 1e-2 for every checked element; returns the worst relative error seen. */
export function checkFiniteDiff(c: FiniteDiffCase): number {
  const eps = c.eps ?? 1e-2;
  const samples = c.samples ?? 24;
  const floor = c.floor ?? 1e-2;
  let worst = 0;
  c.inputs.forEach((x, which) => {
    const g = c.grads[which]!;
    expect(g.length, `${c.what}: gradient length of ${c.names[which]}`).toBe(x.length);
    const count = Math.min(samples, x.length);
    for (let s = 0; s < count; s++) {
      const i = count === x.length ? s : Math.floor(((s + 0.5) * x.length) / count);
      const x0 = x[i]!;
      x[i] = x0 + eps;
      const hi = x[i]!;
      const lp = lossOf(c.forward(c.inputs), c.r);
      x[i] = x0 - eps;
      const lo = x[i]!;
      const lm = lossOf(c.forward(c.inputs), c.r);
      x[i] = x0;
      const fd = (lp - lm) / (hi - lo);
      const rel = Math.abs(fd - g[i]!) / Math.max(Math.abs(fd), Math.abs(g[i]!), floor);
      if (!(rel < 1e-2)) {
        throw new Error(`${c.what}: d/d${c.names[which]}[${i}]: backward ${g[i]}, finite difference ${fd} (relative error ${rel.toExponential(2)})`);
      }
      worst = Math.max(worst, rel);
    }
  });
  return worst;
}
