// One attention layout end to end: qkvAttention's backward in the fused layout (dqkv), decoding over a token-major
// KV cache in one call (cachedAttention), and the layer built on them — against float64 references on odd sizes
// and finite differences, on every build.

import { describe, expect, it } from "vitest";
import {
  ArgumentError, ShapeError, cachedAttention, empty, memory, qkvAttention, qkvAttentionBackward, tensor, tidy,
} from "../src/index.js";
import { MultiHeadAttention } from "../src/transformer/attention.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { checkFiniteDiff } from "./helpers/finite-diff.js";
import { attentionGradRef, attentionRef } from "./helpers/reference.js";

/** Head hh of sequence bi, columns [col0 + hh·dh, col0 + (hh+1)·dh) of rows [bi·t, (bi+1)·t) of x [rows, cols]. */
function headOf(x: ArrayLike<number>, cols: number, col0: number, bi: number, hh: number, t: number, dh: number): Float64Array {
  const out = new Float64Array(t * dh);
  for (let i = 0; i < t; i++) for (let c = 0; c < dh; c++) out[i * dh + c] = x[(bi * t + i) * cols + col0 + hh * dh + c]!;
  return out;
}

/** The float64 dqkv of qkvAttention (every sequence and head through attentionGradRef), with the lse [B·h, T]. */
function fusedGradRef(qkv: Float32Array, dout: Float32Array, b: number, h: number, t: number, dh: number, causal: boolean) {
  const w = h * dh, cols = 3 * w;
  const dqkv = new Float64Array(b * t * cols), lse = new Float64Array(b * h * t);
  for (let bi = 0; bi < b; bi++) {
    for (let hh = 0; hh < h; hh++) {
      const g = attentionGradRef(
        headOf(qkv, cols, 0, bi, hh, t, dh), headOf(qkv, cols, w, bi, hh, t, dh), headOf(qkv, cols, 2 * w, bi, hh, t, dh),
        headOf(dout, w, 0, bi, hh, t, dh), t, t, dh, 1 / Math.sqrt(dh), causal,
      );
      lse.set(g.lse, (bi * h + hh) * t);
      for (let i = 0; i < t; i++) {
        for (let c = 0; c < dh; c++) {
          const r = (bi * t + i) * cols + hh * dh + c;
          dqkv[r] = g.dq[i * dh + c]!;
          dqkv[r + w] = g.dk[i * dh + c]!;
          dqkv[r + 2 * w] = g.dv[i * dh + c]!;
        }
      }
    }
  }
  return { dqkv, lse };
}

// T = 1, 3, 17, 65 (both kernel paths: the tiled one starts at 16 rows), dh = 1, 3, 8, 17, heads 1..4, batch 1..2.
const CASES: [number, number, number, number][] = [];
for (const t of [1, 3, 17, 65]) for (const dh of [1, 3, 8, 17]) CASES.push([((t + dh) % 2) + 1, ((t * 3 + dh) % 4) + 1, t, dh]);

describe.each(BUILDS)("the fused attention layout on the %s build", (build) => {
  it("qkvAttention and its backward match float64 references on odd T, head widths, head counts and batches, causal and not", async () => {
    await useBuild(build);
    let seed = 10;
    for (const [b, h, t, dh] of CASES) {
      for (const causal of [true, false]) {
        tidy(() => {
          const w = h * dh;
          const qkvData = randomFloats(b * t * 3 * w, seed++), doutData = randomFloats(b * t * w, seed++);
          const qkv = tensor(qkvData, [b * t, 3 * w]);
          const lse = empty([b * h, t]);
          const out = qkvAttention(qkv, h, { batch: b, causal, lse });
          const dqkv = qkvAttentionBackward(qkv, out, tensor(doutData, [b * t, w]), lse, h, { batch: b, causal });
          expect(dqkv.shape).toEqual([b * t, 3 * w]);
          const want = fusedGradRef(qkvData, doutData, b, h, t, dh, causal);
          const what = `B=${b} h=${h} T=${t} dh=${dh} causal=${causal}`;
          const got = out.toFloat32Array();
          for (let bi = 0; bi < b; bi++) {
            for (let hh = 0; hh < h; hh++) {
              const head = (col0: number) => headOf(qkvData, 3 * w, col0, bi, hh, t, dh);
              const wantOut = attentionRef(head(0), head(w), head(2 * w), t, t, dh, 1 / Math.sqrt(dh), causal);
              expectClose(headOf(got, w, 0, bi, hh, t, dh), wantOut, 1e-5, 1e-6, `forward ${what} sequence ${bi} head ${hh}`);
            }
          }
          expectClose(lse.toFloat32Array(), want.lse, 1e-6, 1e-6, `lse ${what}`);
          expectClose(dqkv.toFloat32Array(), want.dqkv, 1e-4, 1e-5, `dqkv ${what}`);
        });
      }
    }
  });

  it("qkvAttentionBackward agrees with finite differences of qkvAttention (L = Σ out·R)", async () => {
    await useBuild(build);
    let seed = 300;
    for (const [b, h, t, dh] of [[2, 3, 5, 3], [1, 2, 17, 8], [2, 4, 3, 1]] as const) {
      for (const causal of [true, false]) {
        tidy(() => {
          const w = h * dh;
          const x = randomFloats(b * t * 3 * w, seed++), r = randomFloats(b * t * w, seed++);
          const qkv = tensor(x, [b * t, 3 * w]);
          const lse = empty([b * h, t]);
          const out = qkvAttention(qkv, h, { batch: b, causal, lse });
          const g = qkvAttentionBackward(qkv, out, tensor(r, [b * t, w]), lse, h, { batch: b, causal }).toFloat32Array();
          checkFiniteDiff({
            inputs: [x], names: ["qkv"], r, grads: [g], eps: 1e-2, samples: 40, floor: 5e-2,
            what: `qkvAttention B=${b} h=${h} T=${t} dh=${dh} causal=${causal}`,
            forward: ([xi]) => tidy(() => qkvAttention(tensor(xi!, [b * t, 3 * w]), h, { batch: b, causal }).toFloat32Array()),
          });
        });
      }
    }
  });

  it("qkvAttentionBackward writes into a given dqkv (stale values overwritten) and refuses bad shapes without leaking", async () => {
    await useBuild(build);
    tidy(() => {
      const [b, h, t, dh] = [2, 3, 9, 5];
      const w = h * dh;
      const qkv = tensor(randomFloats(b * t * 3 * w, 1), [b * t, 3 * w]);
      const lse = empty([b * h, t]);
      const out = qkvAttention(qkv, h, { batch: b, causal: true, lse });
      const dout = tensor(randomFloats(b * t * w, 2), [b * t, w]);
      const fresh = qkvAttentionBackward(qkv, out, dout, lse, h, { batch: b, causal: true });
      const given = tensor(new Float32Array(b * t * 3 * w).fill(9), [b * t, 3 * w]);
      expect(qkvAttentionBackward(qkv, out, dout, lse, h, { batch: b, causal: true, dqkv: given })).toBe(given);
      expect(given.toFloat32Array()).toEqual(fresh.toFloat32Array());
      const before = memory().numTensors;
      expect(() => qkvAttentionBackward(qkv, out, dout, empty([h, t]), h, { batch: b })).toThrow(ShapeError);
      expect(() => qkvAttentionBackward(qkv, out, dout, lse, h, { batch: b, dqkv: empty([b * t, w]) })).toThrow(/dqkv has shape \[18,15\]/);
      expect(() => qkvAttentionBackward(qkv, out, tensor(new Float32Array(w), [1, w]), lse, h, { batch: b })).toThrow(/dout \[1,15\] must be \[18,15\]/);
      expect(() => qkvAttentionBackward(qkv, out, dout, lse, h, { batch: b, dqkv: qkv })).toThrow(/shares memory with qkv/);
      expect(memory().numTensors).toBe(before + 3); // only the three tensors made inside the expectations above
    });
  });

  it("cachedAttention matches a float64 reference: one or several new tokens over a token-major cache, every head in one call", async () => {
    await useBuild(build);
    let seed = 700;
    for (const [h, dh, length, n] of [[1, 1, 1, 1], [3, 3, 17, 1], [4, 8, 65, 1], [2, 17, 33, 3], [3, 8, 20, 20]] as const) {
      tidy(() => {
        const w = h * dh, capacity = length + 4;
        // q rows as the fused projection holds them: [n, 3·h·dh], queries in the first h·dh columns.
        const q = randomFloats(n * 3 * w, seed++);
        const k = randomFloats(capacity * w, seed++), v = randomFloats(capacity * w, seed++);
        for (let i = length * w; i < capacity * w; i++) k[i] = v[i] = NaN; // past the length: never read
        const got = cachedAttention(tensor(q, [n, 3 * w]), tensor(k, [capacity, w]), tensor(v, [capacity, w]), length, h).toFloat32Array();
        for (let hh = 0; hh < h; hh++) {
          const want = attentionRef(
            headOf(q, 3 * w, 0, 0, hh, n, dh), headOf(k, w, 0, 0, hh, length, dh), headOf(v, w, 0, 0, hh, length, dh),
            n, length, dh, 1 / Math.sqrt(dh), true,
          );
          expectClose(headOf(got, w, 0, 0, hh, n, dh), want, 1e-5, 1e-6, `cachedAttention h=${h} dh=${dh} length=${length} n=${n} head ${hh}`);
        }
      });
    }
  });

  it("cachedAttention refuses a length outside the cache and mismatched shapes, leaving nothing behind", async () => {
    await useBuild(build);
    tidy(() => {
      const q = tensor(randomFloats(24, 1), [1, 24]), k = empty([10, 8]), v = empty([10, 8]);
      const before = memory().numTensors;
      expect(() => cachedAttention(q, k, v, 11, 2)).toThrow(ArgumentError);
      expect(() => cachedAttention(q, k, v, 0, 2)).toThrow(/length 0 must be an integer in \[1, 10\]/);
      expect(() => cachedAttention(q, k, empty([10, 6]), 3, 2)).toThrow(ShapeError);
      expect(() => cachedAttention(q, k, v, 3, 3)).toThrow(/heads·headDim/);
      expect(() => cachedAttention(tensor(randomFloats(4, 2), [1, 4]), k, v, 3, 2)).toThrow(/fewer than heads·headDim = 8/);
      expect(memory().numTensors).toBe(before + 2); // the two tensors made inside the expectations above
    });
  });

  it("a layer's cached decoding equals its full forward position by position, and its backward is the fused one", async () => {
    await useBuild(build);
    for (const [d, heads, t] of [[12, 3, 17], [8, 4, 5], [6, 1, 3]] as const) {
      const att = new MultiHeadAttention(d, heads, { seed: d + t });
      try {
        tidy(() => {
          const x = randomFloats(t * d, d * t);
          const full = att.forward(tensor(x, [t, d])).toFloat32Array();
          const cache = att.createCache(t + 2);
          try {
            expect(cache.k.shape).toEqual([t + 2, d]);
            // Prefill the first token, then decode one at a time.
            att.forward(tensor(x.subarray(0, d), [1, d]));
            att.fillCache(cache);
            for (let p = 1; p < t; p++) {
              const y = att.forwardCached(tensor(x.subarray(p * d, (p + 1) * d), [1, d]), cache, p).toFloat32Array();
              expectClose(y, full.subarray(p * d, (p + 1) * d), 1e-5, 1e-6, `d=${d} heads=${heads} position ${p}`);
            }
            // The one-token forward's projection buffer was reused by the decoding: backward refuses, not garbage.
            expect(() => att.backward(tensor(new Float32Array(d), [1, d]))).toThrow(/backward called before forward/);
          } finally {
            cache.k.dispose();
            cache.v.dispose();
          }
        });
      } finally {
        att.dispose();
      }
    }
  });
});
