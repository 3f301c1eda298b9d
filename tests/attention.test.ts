import { describe, expect, it } from "vitest";
import {
  ArgumentError, BackendMismatchError, ShapeError, attention, attentionScores, mergeHeads, qkvAttention, softmax, splitHeads, tensor, tensorOn, tidy,
} from "../src/index.js";
import { BUILDS, backendFor, useBuild } from "./helpers/backends.js";
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

// qkvAttention: every head of a fused [B·T, 3·h·dh] projection in one call, output in merged [B·T, h·dh] rows.

const QKV_CASES: [batch: number, t: number, heads: number, dh: number][] = [
  [1, 1, 1, 1], [1, 3, 2, 3], [2, 5, 3, 4], [1, 17, 1, 17], [3, 33, 2, 8], [2, 65, 4, 16],
  [1, 129, 3, 3], [1, 70, 8, 32], [2, 9, 5, 5], [1, 4, 2, 36],
];

/** Head (b, hh) of a fused qkv [B·T, 3·h·dh]: which = 0 (Q), 1 (K), 2 (V), as a [T, dh] array. */
function headOf(qkv: Float32Array, t: number, h: number, dh: number, b: number, hh: number, which: number): Float32Array {
  const cols = 3 * h * dh;
  const out = new Float32Array(t * dh);
  for (let i = 0; i < t; i++) {
    const src = (b * t + i) * cols + which * h * dh + hh * dh;
    out.set(qkv.subarray(src, src + dh), i * dh);
  }
  return out;
}

/** The float64 log-sum-exp of each query row's scaled, masked scores ([T]). */
function lseRef(q: Float32Array, k: Float32Array, t: number, dh: number, scale: number, causal: boolean): Float64Array {
  const out = new Float64Array(t);
  for (let i = 0; i < t; i++) {
    const cv = causal ? i + 1 : t;
    const s: number[] = [];
    for (let j = 0; j < cv; j++) {
      let acc = 0;
      for (let c = 0; c < dh; c++) acc += q[i * dh + c]! * k[j * dh + c]!;
      s.push(acc * scale);
    }
    const m = Math.max(...s);
    out[i] = m + Math.log(s.reduce((acc, x) => acc + Math.exp(x - m), 0));
  }
  return out;
}

describe.each(BUILDS)("qkvAttention on the %s build", (build) => {
  it("matches a float64 reference per head, with the log-sum-exps, on odd T, heads, head widths and batches, causal and not", async () => {
    await useBuild(build);
    let seed = 100;
    for (const [batch, t, h, dh] of QKV_CASES) {
      for (const causal of [false, true]) {
        tidy(() => {
          const data = randomFloats(batch * t * 3 * h * dh, seed++).map((x) => 2 * x); // scores of a few units
          const qkv = tensor(data, [batch * t, 3 * h * dh]);
          const lse = tensor(new Float32Array(batch * h * t), [batch * h, t]);
          const out = qkvAttention(qkv, h, { batch, causal, lse });
          expect(out.shape).toEqual([batch * t, h * dh]);
          const got = out.toFloat32Array(), gotLse = lse.toFloat32Array();
          const scale = 1 / Math.sqrt(dh);
          for (let b = 0; b < batch; b++) {
            for (let hh = 0; hh < h; hh++) {
              const [q, k, v] = [0, 1, 2].map((w) => headOf(data, t, h, dh, b, hh, w)) as [Float32Array, Float32Array, Float32Array];
              const want = attentionRef(q, k, v, t, t, dh, scale, causal);
              const mine = new Float32Array(t * dh);
              for (let i = 0; i < t; i++) mine.set(got.subarray((b * t + i) * h * dh + hh * dh, (b * t + i) * h * dh + (hh + 1) * dh), i * dh);
              const what = `qkvAttention B=${batch} T=${t} h=${h} dh=${dh} causal=${causal} sequence ${b} head ${hh}`;
              expectClose(mine, want, 1e-5, 2e-6, what);
              const l0 = (b * h + hh) * t;
              expectClose(gotLse.subarray(l0, l0 + t), lseRef(q, k, t, dh, scale, causal), 1e-6, 1e-6, `${what} lse`);
            }
          }
        });
      }
    }
  });

  it("gives the bits of splitHeads → attention → mergeHeads, and takes a custom scale and a given out", async () => {
    await useBuild(build);
    tidy(() => {
      const [batch, t, h, dh] = [2, 37, 3, 12];
      const qkv = tensor(randomFloats(batch * t * 3 * h * dh, 7), [batch * t, 3 * h * dh]);
      const out = tensor(new Float32Array(batch * t * h * dh), [batch * t, h * dh]);
      for (const causal of [false, true]) {
        const same = qkvAttention(qkv, h, { batch, causal, scale: 0.7, out });
        expect(same).toBe(out);
        const [q, k, v] = [0, 1, 2].map((w) => splitHeads(qkv, batch, h, dh, { columnOffset: w * h * dh }));
        const viaCopies = mergeHeads(attention(q!, k!, v!, { causal, scale: 0.7 }), batch);
        expect(out.toFloat32Array()).toEqual(viaCopies.toFloat32Array());
      }
    });
  });
});

describe("qkvAttention errors", () => {
  it("name the op, the argument and the shapes", async () => {
    await useBuild("simd");
    tidy(() => {
      const qkv = tensor(new Float32Array(6 * 24), [6, 24]); // T = 6, 3·h·dh = 24
      expect(() => qkvAttention(tensor(new Float32Array(2 * 6 * 24), [2, 6, 24]), 2)).toThrow(ShapeError);
      expect(() => qkvAttention(tensor(new Float32Array(2 * 6 * 24), [2, 6, 24]), 2)).toThrow(/qkvAttention: qkv must have rank 2, got shape \[2,6,24\]/);
      expect(() => qkvAttention(qkv, 5)).toThrow(ShapeError);
      expect(() => qkvAttention(qkv, 5)).toThrow("qkvAttention: qkv [6,24] must have 3·heads·headDim columns (heads 5)");
      expect(() => qkvAttention(qkv, 2, { headDim: 3 })).toThrow(/must have 3·heads·headDim columns \(heads 2, headDim 3\)/);
      expect(() => qkvAttention(qkv, 2, { batch: 4 })).toThrow("qkvAttention: qkv [6,24] has 6 rows, not 4 equal sequences");
      expect(() => qkvAttention(qkv, 0)).toThrow(ArgumentError);
      expect(() => qkvAttention(qkv, 1.5)).toThrow(/heads must be a positive integer, got 1.5/);
      expect(() => qkvAttention(qkv, 2, { batch: 0 })).toThrow(ArgumentError);
      expect(() => qkvAttention(qkv, 2, { scale: Number.NaN })).toThrow(ArgumentError);
      expect(() => qkvAttention(qkv, 2, { out: tensor(new Float32Array(6 * 12), [6, 12]) })).toThrow(ShapeError);
      expect(() => qkvAttention(qkv, 2, { out: tensor(new Float32Array(6 * 12), [6, 12]) })).toThrow("qkvAttention: out has shape [6,12], the result has shape [6,8]");
      expect(() => qkvAttention(qkv, 2, { batch: 2, lse: tensor(new Float32Array(6), [2, 3]) })).toThrow("qkvAttention: lse [2,3] must be [4,3] (one per head and query row)");
      expect(() => qkvAttention(qkv, 2, { lse: tensor(new Float32Array(12), [12]) })).toThrow(ShapeError);
      expect(() => qkvAttention({} as never, 2)).toThrow(ArgumentError);
      // The kernels read their inputs while writing: an output over an input is refused, not computed.
      expect(() => qkvAttention(qkv, 2, { out: qkv.slice(0, [6, 8]) })).toThrow("qkvAttention: out shares memory with qkv [6,24]; pass a separate output tensor");
      const q = tensor(new Float32Array(12), [1, 4, 3]);
      const kv = tensor(new Float32Array(12), [1, 4, 3]);
      expect(() => attention(q, kv, kv, { out: q })).toThrow("attention: out shares memory with q [1,4,3]; pass a separate output tensor");
      expect(attention(q, kv, kv).shape).toEqual([1, 4, 3]); // and the runtime still works
    });
  });

  it("refuse tensors of another backend", async () => {
    const other = await backendFor("scalar");
    await useBuild("simd");
    tidy(() => {
      const qkv = tensor(new Float32Array(6 * 24), [6, 24]);
      const lse = tensorOn(other, new Float32Array(2 * 6), [2, 6]);
      expect(() => qkvAttention(qkv, 2, { lse })).toThrow(BackendMismatchError);
    });
  });
});
