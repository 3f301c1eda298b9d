// The shared list of edge sizes: around the SIMD width (4), the micro-kernel tiles (4, 8, 16) and
// the cache blocks, so every ragged path in every kernel runs.
export const EDGE_SIZES = [1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129] as const;

/**
 * (m, n, k) triples for GEMM: every edge size appears in each role, combined with small and
 * mid sizes, plus a few large ones that cross the kernel's cache blocks. Not the full cube (17³
 * products × 4 transposes × 2 builds would be slow); a covering set.
 */
export function gemmShapes(): [number, number, number][] {
  const out: [number, number, number][] = [];
  const partners = [1, 3, 17, 64];
  for (const s of EDGE_SIZES) {
    out.push([s, partners[s % 4]!, partners[(s + 1) % 4]!]);
    out.push([partners[(s + 2) % 4]!, s, partners[s % 4]!]);
    out.push([partners[(s + 1) % 4]!, partners[(s + 3) % 4]!, s]);
  }
  out.push([5, 7, 3], [129, 127, 65], [65, 129, 63], [200, 300, 517], [33, 784, 128], [128, 33, 784]);
  return out;
}
