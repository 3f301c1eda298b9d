// The tutorial's multi-head attention (each head on its own slice of the embedding, [d_head, d_head]
// W_q/W_k/W_v, concatenation, W_o) against a float64 transcription of its equations, forward on every
// build, backward against central differences of that float64 transcription.

import { beforeAll, describe, expect, it } from "vitest";
import { ShapeError, TutorialMultiHeadAttention, memory, tensor } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";

// Tests after the per-build loop run on the SIMD build.
beforeAll(async () => {
  await useBuild("simd");
});

interface Weights {
  /** [h][dh·dh] each */
  wq: Float64Array[];
  wk: Float64Array[];
  wv: Float64Array[];
  /** [d·d] */
  wo: Float64Array;
}

/** y = [O_0 … O_{h−1}]·W_o, O_i = softmax(Q_i K_iᵀ/√dh, causal)·V_i, with Q_i = X_i W_q,i on slice i of x. */
function reference(x: Float64Array, w: Weights, d: number, h: number, batch: number, causal: boolean): Float64Array {
  const dh = d / h;
  const rows = x.length / d;
  const seq = rows / batch;
  const concat = new Float64Array(rows * d);
  const project = (m: Float64Array, b: number, t: number, i: number) => {
    const out = new Float64Array(dh);
    for (let c = 0; c < dh; c++) for (let r = 0; r < dh; r++) out[c] += x[(b * seq + t) * d + i * dh + r]! * m[r * dh + c]!;
    return out;
  };
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < h; i++) {
      const Q = Array.from({ length: seq }, (_, t) => project(w.wq[i]!, b, t, i));
      const K = Array.from({ length: seq }, (_, t) => project(w.wk[i]!, b, t, i));
      const V = Array.from({ length: seq }, (_, t) => project(w.wv[i]!, b, t, i));
      for (let t = 0; t < seq; t++) {
        const seen = causal ? t + 1 : seq;
        const scores = Array.from({ length: seen }, (_, j) => Q[t]!.reduce((s, q, c) => s + q * K[j]![c]!, 0) / Math.sqrt(dh));
        const max = Math.max(...scores);
        const e = scores.map((s) => Math.exp(s - max));
        const z = e.reduce((a, b2) => a + b2, 0);
        for (let j = 0; j < seen; j++) for (let c = 0; c < dh; c++) concat[(b * seq + t) * d + i * dh + c] += (e[j]! / z) * V[j]![c]!;
      }
    }
  }
  const y = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) for (let c = 0; c < d; c++) for (let k = 0; k < d; k++) y[r * d + c] += concat[r * d + k]! * w.wo[k * d + c]!;
  return y;
}

function weightsOf(layer: TutorialMultiHeadAttention): Weights {
  const heads = Array.from({ length: layer.heads }, (_, i) => layer.head(i));
  return {
    wq: heads.map((hw) => Float64Array.from(hw.wq)),
    wk: heads.map((hw) => Float64Array.from(hw.wk)),
    wv: heads.map((hw) => Float64Array.from(hw.wv)),
    wo: Float64Array.from(layer.outputWeights.toFloat32Array()),
  };
}

/** A layer with weights large enough that the attention weights are far from uniform (so scores matter). */
function makeLayer(d: number, h: number, causal?: boolean): TutorialMultiHeadAttention {
  const layer = new TutorialMultiHeadAttention(d, h, { seed: 3, ...(causal === undefined ? {} : { causal }) });
  const dh = d / h;
  for (let i = 0; i < h; i++) {
    const m = (s: number) => randomFloats(dh * dh, s).map((v) => v * 1.5);
    layer.setHead(i, { wq: m(100 + i), wk: m(200 + i), wv: m(300 + i) });
  }
  layer.outputWeights = randomFloats(d * d, 400);
  return layer;
}

const SHAPES = [
  { d: 15, h: 3, seq: 17, batch: 2, causal: true },
  { d: 1, h: 1, seq: 1, batch: 1, causal: true },
  { d: 9, h: 3, seq: 65, batch: 1, causal: false },
  { d: 4, h: 4, seq: 3, batch: 3, causal: true },
  { d: 6, h: 2, seq: 129, batch: 1, causal: true },
];

describe("TutorialMultiHeadAttention forward = the tutorial's equations in float64", () => {
  for (const build of BUILDS) {
    it(`${build} build, odd sizes`, async () => {
      await useBuild(build);
      for (const { d, h, seq, batch, causal } of SHAPES) {
        const layer = makeLayer(d, h, causal);
        const xData = randomFloats(batch * seq * d, 7 + d);
        const x = tensor(xData, [batch * seq, d]);
        const got = layer.forward(x, batch).toFloat32Array();
        const want = reference(Float64Array.from(xData), weightsOf(layer), d, h, batch, causal);
        const scale = Math.max(...want.map(Math.abs));
        // float32 sums and the kernel's exp (2.5e-7 relative): measured at most 2.4e-7 of the output's size.
        expectClose(got, want, 0, 1e-6 * scale, `${build} d ${d}, ${h} heads, T ${seq}, B ${batch}, causal ${causal}`);
        x.dispose();
        layer.dispose();
      }
      await useBuild("simd");
    });
  }

  it("is causal by default: changing the last token changes no earlier output", () => {
    const layer = makeLayer(6, 3);
    expect(layer.causal).toBe(true);
    const data = randomFloats(5 * 6, 9);
    const x = tensor(data, [5, 6]);
    const a = layer.forward(x).toFloat32Array();
    data.fill(3, 4 * 6);
    x.view().set(data);
    const b = layer.forward(x).toFloat32Array();
    expect(b.subarray(0, 4 * 6)).toEqual(a.subarray(0, 4 * 6));
    expect(b.subarray(4 * 6)).not.toEqual(a.subarray(4 * 6));
    x.dispose();
    layer.dispose();
  });

  it("head i reads slice i only, with [d_head, d_head] matrices: h·3·dh² + d² parameters", () => {
    const layer = makeLayer(12, 4);
    expect(layer.parameters().map((p) => [p.name, p.value.shape])).toEqual([
      ["attn.wq", [4, 3, 3]], ["attn.wk", [4, 3, 3]], ["attn.wv", [4, 3, 3]], ["attn.wo", [12, 12]],
    ]);
    // Zeroing head 2's value matrix zeroes its 3 columns of the concatenation and nothing else.
    const { wq, wk } = layer.head(2);
    layer.setHead(2, { wq, wk, wv: new Float32Array(9) });
    const eye = new Float32Array(144);
    for (let i = 0; i < 12; i++) eye[i * 12 + i] = 1;
    layer.outputWeights = eye;
    const x = tensor(randomFloats(4 * 12, 5), [4, 12]);
    const y = layer.forward(x).toFloat32Array();
    for (let r = 0; r < 4; r++) {
      expect(Array.from(y.subarray(r * 12 + 6, r * 12 + 9))).toEqual([0, 0, 0]);
      expect(y.subarray(r * 12, r * 12 + 6).some((v) => v !== 0)).toBe(true);
    }
    x.dispose();
    layer.dispose();
  });
});

describe("TutorialMultiHeadAttention backward = central differences of the float64 equations", () => {
  for (const { d, h, seq, batch, causal } of [SHAPES[0]!, SHAPES[3]!, { d: 5, h: 1, seq: 3, batch: 1, causal: false }]) {
    it(`d ${d}, ${h} heads, T ${seq}, B ${batch}, causal ${causal}`, () => {
      const layer = makeLayer(d, h, causal);
      const rows = batch * seq;
      const xData = Float64Array.from(randomFloats(rows * d, 11));
      const r = Float64Array.from(randomFloats(rows * d, 12)); // L = Σ y ⊙ r, so dL/dy = r
      const w = weightsOf(layer);
      const lossAt = () => reference(xData, w, d, h, batch, causal).reduce((s, v, i) => s + v * r[i]!, 0);
      const eps = 1e-6;
      const numeric = (values: Float64Array): Float64Array =>
        values.map((v, i) => {
          values[i] = v + eps;
          const up = lossAt();
          values[i] = v - eps;
          const down = lossAt();
          values[i] = v;
          return (up - down) / (2 * eps);
        });
      const x = tensor(Float32Array.from(xData), [rows, d]);
      const dy = tensor(Float32Array.from(r), [rows, d]);
      layer.forward(x, batch);
      const dx = layer.backward(dy)!.toFloat32Array();
      const check = (got: Float32Array, want: Float64Array, what: string) => {
        const scale = Math.max(...want.map(Math.abs));
        expect(scale, `${what}: a gradient that is all zero tests nothing`).toBeGreaterThan(1e-3);
        expectClose(got, want, 0, 2e-6 * scale, what); // measured at most 5.3e-7 of the gradient's size
      };
      check(dx, numeric(xData), "dx");
      const [gq, gk, gv, go] = layer.parameters().map((p) => p.grad.toFloat32Array());
      const perHead = (m: Float64Array[]) => {
        const flat = new Float64Array(m.length * m[0]!.length);
        m.forEach((block, i) => flat.set(numeric(block), i * block.length));
        return flat;
      };
      check(gq!, perHead(w.wq), "dW_q");
      check(gk!, perHead(w.wk), "dW_k");
      check(gv!, perHead(w.wv), "dW_v");
      check(go!, numeric(w.wo), "dW_o");
      x.dispose();
      dy.dispose();
      layer.dispose();
    });
  }

  it("allocates nothing after the first step, and dispose frees everything", () => {
    const before = memory().numTensors;
    const layer = makeLayer(9, 3);
    const x = tensor(randomFloats(2 * 7 * 9, 1), [14, 9]);
    const dy = tensor(randomFloats(14 * 9, 2), [14, 9]);
    layer.forward(x, 2);
    layer.backward(dy);
    const after = memory();
    layer.forward(x, 2);
    layer.backward(dy);
    expect(memory()).toEqual(after);
    x.dispose();
    dy.dispose();
    layer.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe("TutorialMultiHeadAttention: bad input", () => {
  it("names the layer, the shapes and the sizes, and leaks nothing", () => {
    const before = memory().numTensors;
    expect(() => new TutorialMultiHeadAttention(10, 3)).toThrow("TutorialMultiHeadAttention: d_model 10 cannot be cut into 3 equal head slices");
    expect(() => new TutorialMultiHeadAttention(0, 1)).toThrow(ShapeError);
    expect(memory().numTensors).toBe(before);
    const layer = new TutorialMultiHeadAttention(6, 2);
    const x = tensor(randomFloats(10, 1), [2, 5]);
    expect(() => layer.forward(x)).toThrow("attn: input [2,5] must be [B·T,6]");
    const y = tensor(randomFloats(30, 1), [5, 6]);
    expect(() => layer.forward(y, 2)).toThrow("attn: 5 rows are not 2 equal sequences");
    expect(() => layer.backward(y)).toThrow("attn: backward called before forward");
    layer.forward(y);
    const wrong = tensor(randomFloats(24, 1), [4, 6]);
    expect(() => layer.backward(wrong)).toThrow("attn: gradient [4,6] does not match the output [5,6]");
    expect(() => layer.setHead(1, { wq: new Float32Array(9), wk: new Float32Array(8), wv: new Float32Array(9) })).toThrow("attn.setHead(1): wk has 8 values, [3,3] needs 9");
    expect(() => layer.head(2)).toThrow("attn: head 2 out of range [0, 2)");
    for (const t of [x, y, wrong]) t.dispose();
    layer.dispose();
    expect(memory().numTensors).toBe(before);
  });
});
