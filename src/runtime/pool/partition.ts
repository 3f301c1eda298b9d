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
