// Splitting an index range into per-thread pieces.

/**
 * Split [0, total) into at most `parts` contiguous ranges of nearly equal size whose starts are
 * multiples of `unit`, none shorter than `minLength` (a short last range merges into the one before).
 * Alignment to the kernels' vector and tile widths is what keeps results bit-identical: every element
 * lands in the same lane / tile position / tail loop as in one call over the whole range.
 */
export function splitAligned(total: number, parts: number, unit: number, minLength = 1): [number, number][] {
  const units = Math.ceil(total / unit);
  const p = Math.max(1, Math.min(parts, units));
  const ranges: [number, number][] = [];
  for (let i = 0; i < p; i++) {
    const start = Math.floor((i * units) / p) * unit;
    const end = Math.min(total, Math.floor(((i + 1) * units) / p) * unit);
    if (end > start) ranges.push([start, end]);
  }
  const last = ranges[ranges.length - 1];
  if (ranges.length > 1 && last !== undefined && last[1] - last[0] < minLength) {
    ranges.pop();
    ranges[ranges.length - 1]![1] = last[1];
  }
  return ranges;
}

/** Fixed chunks of `size` over [0, total), independent of any thread count. */
export function fixedChunks(total: number, size: number): [number, number][] {
  const out: [number, number][] = [];
  for (let s = 0; s < total; s += size) out.push([s, Math.min(total, s + size)]);
  return out;
}

/**
 * Parts per thread. Threads claim parts as they come (pool.ts), so a thread the OS runs late leaves
 * its parts to the others; more parts balance better.
 */
export const PARTS_PER_THREAD = 4;
/** At most this many calls in one job (control.ts MAX_CALLS). */
export const MAX_PARTS = 64;
export const partsFor = (threads: number, perThread: number) => Math.min(MAX_PARTS, threads * perThread);

/** A pointer argument and how many floats it advances per unit of the split index (a number or an argument). */
export type Stride = { arg: number; per: number | ((args: readonly number[]) => number) };

/** A copy of `args` for the part [start, end): the size at `sizeArg` becomes end − start, the pointers advance. */
export function offsetCall(args: readonly number[], sizeArg: number, start: number, end: number, ptrs: Stride[]): number[] {
  const call = args.slice();
  call[sizeArg] = end - start;
  for (const { arg, per } of ptrs) {
    if (call[arg] === 0) continue; // optional pointer (0 = none) stays none
    const floats = typeof per === "number" ? per : per(args);
    call[arg] = args[arg]! + start * floats * 4;
  }
  return call;
}
