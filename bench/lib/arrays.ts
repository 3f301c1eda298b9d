// Small array helpers shared by the benchmark's workloads and peers.

function join<T extends Float32Array | Float64Array>(out: T, parts: ArrayLike<number>[]): T {
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
const total = (parts: ArrayLike<number>[]): number => parts.reduce((s, p) => s + p.length, 0);

/** Concatenation of float32 parts (training results: loss, then parameters). */
export const concat = (parts: ArrayLike<number>[]): Float32Array => join(new Float32Array(total(parts)), parts);

/** The same in float64 (references keep their precision). */
export const concat64 = (parts: ArrayLike<number>[]): Float64Array => join(new Float64Array(total(parts)), parts);
