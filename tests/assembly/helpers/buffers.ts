// Helpers shared by the kernel specs: f32 buffers in linear memory, addressed by raw pointer as
// the kernels expect. Buffers come from StaticArray so the spec runtime owns (and frees) them.

/** A buffer of n floats filled with a deterministic, sign-varying pattern seeded by `seed`. */
export function patternBuffer(n: i32, seed: i32): StaticArray<f32> {
  const out = new StaticArray<f32>(max(n, 1));
  for (let i = 0; i < n; i++) {
    // Small integers and halves: products and short sums are exact in f32, so specs can compare exactly.
    out[i] = <f32>(((i * 7 + seed * 13) % 11) - 5) * 0.5;
  }
  return out;
}

export function zerosBuffer(n: i32): StaticArray<f32> {
  return new StaticArray<f32>(max(n, 1));
}

export function ptr(buf: StaticArray<f32>): usize {
  return changetype<usize>(buf);
}

/** Deterministic values in [offset − a, offset + a) from an xorshift generator (patternBuffer repeats every 11 values). */
export function randomBuffer(n: i32, seed: u32, a: f32, offset: f32 = 0): StaticArray<f32> {
  const out = new StaticArray<f32>(max(n, 1));
  let s: u32 = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    out[i] = (<f32>(s >> 8) / <f32>16777216.0 * 2 - 1) * a + offset;
  }
  return out;
}
