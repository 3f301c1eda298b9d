import { describe, expect, it } from "vitest";
import { ShapeError, attention, attentionScores, softmax, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { attentionRef } from "./helpers/reference.js";

const CASES: [h: number, tq: number, tk: number, d: number][] = [
  [1, 1, 1, 1], [1, 3, 3, 3], [2, 5, 5, 4], [1, 17, 17, 17], [3, 33, 33, 8], [2, 65, 65, 16],
  [1, 129, 129, 3], [4, 70, 70, 32], [2, 1, 9, 8], [2, 4, 37, 5],
];

describe.each(BUILDS)("attention on the %s build", (build) => {
  it("matches a float64 reference, causal and not, one head and many", async () => {
    await useBuild(build);
    let seed = 1;
    for (const [h, tq, tk, d] of CASES) {
      for (const causal of [false, true]) {
        tidy(() => {
          const q = randomFloats(h * tq * d, seed++), k = randomFloats(h * tk * d, seed++), v = randomFloats(h * tk * d, seed++);
          const shape = (t: number) => (h === 1 && tq % 2 === 1 ? [t, d] : [h, t, d]);
          const out = attention(tensor(q, shape(tq)), tensor(k, shape(tk)), tensor(v, shape(tk)), { causal });
          expect(out.shape).toEqual(shape(tq));
          const got = out.toFloat32Array();
          const scale = 1 / Math.sqrt(d);
          for (let head = 0; head < h; head++) {
            const want = attentionRef(
              q.subarray(head * tq * d, (head + 1) * tq * d), k.subarray(head * tk * d, (head + 1) * tk * d),
              v.subarray(head * tk * d, (head + 1) * tk * d), tq, tk, d, scale, causal,
            );
            expectClose(got.subarray(head * tq * d, (head + 1) * tq * d), want, 1e-5, 2e-6, `attention h=${h} tq=${tq} tk=${tk} d=${d} causal=${causal} head ${head}`);
          }
        });
      }
    }
  });

  it("is causal: changing keys and values after position t leaves outputs up to t unchanged, bit for bit", async () => {
    await useBuild(build);
    tidy(() => {
      const [h, t, d] = [2, 40, 8];
      const q = randomFloats(h * t * d, 1), k = randomFloats(h * t * d, 2), v = randomFloats(h * t * d, 3);
      const base = attention(tensor(q, [h, t, d]), tensor(k, [h, t, d]), tensor(v, [h, t, d]), { causal: true }).toFloat32Array();
      const cut = 23;
      const k2 = k.slice(), v2 = v.slice();
      for (let head = 0; head < h; head++) {
        for (let i = (cut + 1) * d; i < t * d; i++) {
          k2[head * t * d + i] = 5;
          v2[head * t * d + i] = -7;
        }
      }
      const changed = attention(tensor(q, [h, t, d]), tensor(k2, [h, t, d]), tensor(v2, [h, t, d]), { causal: true }).toFloat32Array();
      for (let head = 0; head < h; head++) {
        const o = head * t * d;
        expect(changed.subarray(o, o + (cut + 1) * d)).toEqual(base.subarray(o, o + (cut + 1) * d));
        expect(changed.subarray(o + (cut + 1) * d, o + t * d)).not.toEqual(base.subarray(o + (cut + 1) * d, o + t * d));
      }
    });
  });

  it("attentionScores gives Q·Kᵀ/√d with −Infinity in the future, and softmax of it gives the weights", async () => {
    await useBuild(build);
    tidy(() => {
      const [t, d] = [6, 5];
      const q = randomFloats(t * d, 4), k = randomFloats(t * d, 5);
      const s = attentionScores(tensor(q, [t, d]), tensor(k, [t, d]), { causal: true });
      expect(s.shape).toEqual([t, t]);
      const got = s.toFloat32Array();
      const want = new Float64Array(t * t);
      for (let i = 0; i < t; i++) {
        for (let j = 0; j < t; j++) {
          let dotp = 0;
          for (let p = 0; p < d; p++) dotp += q[i * d + p]! * k[j * d + p]!;
          want[i * t + j] = j > i ? -Infinity : dotp / Math.sqrt(d);
        }
      }
      expectClose(got, want, 1e-5, 1e-6, "scores");
      const weights = softmax(s).toArray() as number[][];
      expect(weights[0]).toEqual([1, 0, 0, 0, 0, 0]);
      const v = tensor(randomFloats(t * d, 6), [t, d]);
      const viaWeights = weights.map((row) => Array.from({ length: d }, (_, c) => row.reduce((acc, p, j) => acc + p * v.toFloat32Array()[j * d + c]!, 0)));
      expectClose(attention(tensor(q, [t, d]), tensor(k, [t, d]), v, { causal: true }).toFloat32Array(), viaWeights.flat(), 1e-5, 1e-6, "attention = softmax(scores)·V");
    });
  });
});

describe("attention errors", () => {
  it("name the op and the shapes", async () => {
    await useBuild("simd");
    tidy(() => {
      const q = tensor(new Float32Array(2 * 4 * 8), [2, 4, 8]);
      const k = tensor(new Float32Array(2 * 4 * 6), [2, 4, 6]);
      expect(() => attention(q, k, k)).toThrow(ShapeError);
      expect(() => attention(q, k, k)).toThrow("attention: q and k widths 8 and 6 differ (q [2,4,8], k [2,4,6], v [2,4,6])");
      const k3 = tensor(new Float32Array(3 * 4 * 8), [3, 4, 8]);
      expect(() => attention(q, k3, k3)).toThrow(/head counts differ/);
      expect(() => attention(q, q, tensor(new Float32Array(2 * 5 * 8), [2, 5, 8]))).toThrow(/k has 4 positions but v has 5/);
      expect(() => attentionScores(q, tensor(new Float32Array(32), [4, 8]))).toThrow(/same rank/);
    });
  });
});
