// Small array helpers shared by the benchmark's workloads and peers.

/** Concatenation of float32 parts (training results: loss, then parameters). */
export function concat(parts: ArrayLike<number>[]): Float32Array {
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
