// Shared by the decode-path tests (decode-step, decode-packed): freeing KV caches and comparing floats bit for bit.

import type { KvCache } from "../../src/transformer/attention.js";

export function disposeCaches(caches: KvCache[]): void {
  for (const c of caches) {
    c.k.dispose();
    c.v.dispose();
  }
}

/** The float32 values' bit patterns, so that toEqual compares bits (−0 vs 0, NaN payloads) and not values. */
export function bits(x: Float32Array): number[] {
  return Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));
}
