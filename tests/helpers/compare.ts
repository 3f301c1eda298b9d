// Comparisons with tolerances that scale with the problem, and messages that say where it failed.

import { expect } from "vitest";

/**
 * |actual − expected| <= atol + rtol·|expected| elementwise. Reports the worst element.
 * Infinite expected values must match exactly.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (!Number.isFinite(e)) {
      if (a !== e) throw new Error(`${what}: element ${i} is ${a}, expected ${e}`);
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || excess > worstExcess || Number.isNaN(excess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new Error(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (|diff| ${Math.abs(actual[worst]! - expected[worst]!)} > ${atol} + ${rtol}·|expected|)`);
  }
}

/** Deterministic pseudo-random floats in [-1, 1) without touching the library under test. */
export function randomFloats(n: number, seed: number): Float32Array {
  let s = (seed * 2654435761) >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}
