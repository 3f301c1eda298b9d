import { describe, expect, it } from "vitest";
import { ShapeError, attention, attentionBackward, empty, tensor, tidy } from "../src/index.js";
import { BUILDS, useBuild } from "./helpers/backends.js";
import { expectClose, randomFloats } from "./helpers/compare.js";
import { checkFiniteDiff } from "./helpers/finite-diff.js";
import { attentionGradRef } from "./helpers/reference.js";

const head = (x: Float32Array, hh: number, t: number, d: number) => x.subarray(hh * t * d, (hh + 1) * t * d);

describe.each(BUILDS)("attentionBackward on the %s build", (build) => {
  it("fills lse and matches a float64 reference backward (h ∈ {1, 3}, T up to 70, tq < tk, tq > tk)", async () => {
    await useBuild(build);
    let seed = 1;
    const cases: [number, number, number, number][] = [];
    for (const h of [1, 3]) for (const t of [1, 5, 17, 33, 70]) for (const d of [3, 8, 16]) cases.push([h, t, t, d]);
    cases.push([2, 5, 17, 8], [1, 1, 33, 16], [3, 20, 70, 3], [2, 17, 5, 8]);
    for (const [h, tq, tk, d] of cases) {
      for (const causal of [false, true]) {
        tidy(() => {
          const q = randomFloats(h * tq * d, seed++), k = randomFloats(h * tk * d, seed++), v = randomFloats(h * tk * d, seed++);
          const dout = randomFloats(h * tq * d, seed++);
          const shape = (t: number) => (h === 1 ? [t, d] : [h, t, d]);
          const qT = tensor(q, shape(tq)), kT = tensor(k, shape(tk)), vT = tensor(v, shape(tk));
          const lse = empty(h === 1 ? [tq] : [h, tq]);
          const out = attention(qT, kT, vT, { causal, lse });
          const g = attentionBackward(qT, kT, vT, out, tensor(dout, shape(tq)), lse, { causal });
          expect(g.dq.shape).toEqual(shape(tq));
          expect(g.dk.shape).toEqual(shape(tk));
          const [gq, gk, gv, gl] = [g.dq.toFloat32Array(), g.dk.toFloat32Array(), g.dv.toFloat32Array(), lse.toFloat32Array()];
          const what = `h=${h} tq=${tq} tk=${tk} d=${d} causal=${causal}`;
          for (let hh = 0; hh < h; hh++) {
            const want = attentionGradRef(head(q, hh, tq, d), head(k, hh, tk, d), head(v, hh, tk, d), head(dout, hh, tq, d), tq, tk, d, 1 / Math.sqrt(d), causal);
            expectClose(gl.subarray(hh * tq, (hh + 1) * tq), want.lse, 1e-6, 1e-6, `lse ${what} head ${hh}`);
            expectClose(head(gq, hh, tq, d), want.dq, 1e-4, 1e-5, `dq ${what} head ${hh}`);
            expectClose(head(gk, hh, tk, d), want.dk, 1e-4, 1e-5, `dk ${what} head ${hh}`);
            expectClose(head(gv, hh, tk, d), want.dv, 1e-4, 1e-5, `dv ${what} head ${hh}`);
          }
        });
      }
    }
  });

  it("agrees with finite differences on q, k and v (L = Σ out·R), h ∈ {1, 3}, T ∈ {1, 5, 17, 33, 70}, d ∈ {3, 8, 16}", async () => {
    await useBuild(build);
    let seed = 500;
    const cases: [number, number, number, number][] = [];
    for (const h of [1, 3]) for (const t of [1, 5, 17, 33, 70]) for (const d of [3, 8, 16]) cases.push([h, t, t, d]);
    cases.push([2, 5, 17, 8], [1, 3, 33, 3]);
    for (const [h, tq, tk, d] of cases) {
      for (const causal of [false, true]) {
        tidy(() => {
          const q = randomFloats(h * tq * d, seed++), k = randomFloats(h * tk * d, seed++), v = randomFloats(h * tk * d, seed++);
          const r = randomFloats(h * tq * d, seed++);
          const shape = (t: number) => (h === 1 ? [t, d] : [h, t, d]);
          const qT = tensor(q, shape(tq)), kT = tensor(k, shape(tk)), vT = tensor(v, shape(tk));
          const lse = empty(h === 1 ? [tq] : [h, tq]);
          const out = attention(qT, kT, vT, { causal, lse });
          const g = attentionBackward(qT, kT, vT, out, tensor(r, shape(tq)), lse, { causal });
          checkFiniteDiff({
            inputs: [q, k, v], names: ["q", "k", "v"], r, eps: 1e-2, samples: 10, floor: 5e-2,
            grads: [g.dq.toFloat32Array(), g.dk.toFloat32Array(), g.dv.toFloat32Array()],
            what: `attention h=${h} tq=${tq} tk=${tk} d=${d} causal=${causal}`,
            forward: ([qi, ki, vi]) => tidy(() => attention(tensor(qi!, shape(tq)), tensor(ki!, shape(tk)), tensor(vi!, shape(tk)), { causal }).toFloat32Array()),
          });
        });
      }
    }
  });

  it("writes into given gradients (stale values overwritten) and handles Tk = 0 and Tq = 0", async () => {
    await useBuild(build);
    tidy(() => {
      const [h, t, d] = [2, 9, 5];
      const q = tensor(randomFloats(h * t * d, 1), [h, t, d]), k = tensor(randomFloats(h * t * d, 2), [h, t, d]);
      const v = tensor(randomFloats(h * t * d, 3), [h, t, d]), dout = tensor(randomFloats(h * t * d, 4), [h, t, d]);
      const lse = empty([h, t]);
      const out = attention(q, k, v, { causal: true, lse, scale: 0.3 });
      const fresh = attentionBackward(q, k, v, out, dout, lse, { causal: true, scale: 0.3 });
      const given = { dq: tensor(new Float32Array(h * t * d).fill(9), [h, t, d]), dk: tensor(new Float32Array(h * t * d).fill(9), [h, t, d]), dv: tensor(new Float32Array(h * t * d).fill(9), [h, t, d]) };
      const g = attentionBackward(q, k, v, out, dout, lse, { causal: true, scale: 0.3, ...given });
      expect(g.dq).toBe(given.dq);
      expect(g.dq.toFloat32Array()).toEqual(fresh.dq.toFloat32Array());
      expect(g.dk.toFloat32Array()).toEqual(fresh.dk.toFloat32Array());
      expect(g.dv.toFloat32Array()).toEqual(fresh.dv.toFloat32Array());

      const none = tensor(new Float32Array(0), [0, 4]), q2 = tensor(randomFloats(12, 5), [3, 4]);
      const lse2 = tensor([1, 2, 3], [3]);
      const out2 = attention(q2, none, none, { lse: lse2 });
      expect(Array.from(lse2.toFloat32Array())).toEqual([-Infinity, -Infinity, -Infinity]);
      const g2 = attentionBackward(q2, none, none, out2, q2, lse2);
      expect(Array.from(g2.dq.toFloat32Array())).toEqual(new Array(12).fill(0));
      expect(g2.dk.shape).toEqual([0, 4]);
      // d = 0: the output is empty but lse is not (every score is 0, so lse = log of the visible count).
      const lse0 = empty([3]);
      attention(tensor(new Float32Array(0), [3, 0]), tensor(new Float32Array(0), [5, 0]), tensor(new Float32Array(0), [5, 0]), { causal: true, lse: lse0 });
      expectClose(lse0.toFloat32Array(), [Math.log(3), Math.log(4), Math.log(5)], 1e-6, 0, "lse for d = 0");
      const kv = tensor(randomFloats(8, 6), [2, 4]);
      const g3 = attentionBackward(none, kv, kv, none, none, tensor(new Float32Array(0), [0]));
      expect(Array.from(g3.dk.toFloat32Array())).toEqual(new Array(8).fill(0));
    });
  });
});

describe("attentionBackward errors", () => {
  it("name the op, the argument and the shapes", async () => {
    await useBuild("simd");
    tidy(() => {
      const q = tensor(new Float32Array(2 * 4 * 8), [2, 4, 8]);
      expect(() => attention(q, q, q, { lse: empty([2, 5]) })).toThrow(ShapeError);
      expect(() => attention(q, q, q, { lse: empty([8]) })).toThrow("attention: lse [8] must be [2,4] (one per query row of q [2,4,8])");
      const lse = empty([2, 4]);
      const out = attention(q, q, q, { lse });
      const bad = tensor(new Float32Array(2 * 5 * 8), [2, 5, 8]);
      expect(() => attentionBackward(q, q, q, bad, out, lse)).toThrow("attentionBackward: out [2,5,8] must have the shape of q [2,4,8]");
      expect(() => attentionBackward(q, q, q, out, bad, lse)).toThrow("attentionBackward: dout [2,5,8] must have the shape of q [2,4,8]");
      expect(() => attentionBackward(q, q, q, out, out, empty([4]))).toThrow("attentionBackward: lse [4] must be [2,4]");
      expect(() => attentionBackward(q, q, q, out, out, lse, { dk: bad })).toThrow("attentionBackward: dk has shape [2,5,8], the gradient has shape [2,4,8]");
      expect(() => attentionBackward(q, tensor(new Float32Array(32), [4, 8]), q, out, out, lse)).toThrow(/same rank/);
    });
  });
});
