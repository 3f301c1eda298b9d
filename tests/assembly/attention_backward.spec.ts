import { attention_rows_f32, attention_rows_scratch_bytes } from "../../assembly/attention_forward";
import { attention_rows_backward_f32, attention_rows_backward_scratch_bytes } from "../../assembly/attention_backward";
import { zerosBuffer, ptr, randomBuffer } from "./helpers/buffers";

// Head-major [h, T, d] operands are h sequences of one head with row stride d.
function attention_f32(
  h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, v: usize, out: usize, scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  attention_rows_f32(h, 1, tq, tk, d, q, d, k, d, v, d, out, d, scale, causal, lse, scratch, 0, h, 0, tq);
}

function attention_scratch_bytes(tk: i32, d: i32): usize {
  return attention_rows_scratch_bytes(tk, d);
}

function attention_backward_f32(
  h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, v: usize, out: usize, dout: usize, lse: usize,
  dq: usize, dk: usize, dv: usize, scale: f32, causal: i32, scratch: usize,
): void {
  attention_rows_backward_f32(h, 1, tq, tk, d, q, d, k, d, v, d, out, d, dout, d, lse, dq, d, dk, d, dv, d, scale, causal, scratch, 0, h);
}

function attention_backward_scratch_bytes(tq: i32, tk: i32, d: i32): usize {
  return attention_rows_backward_scratch_bytes(tq, tk, d);
}


function visible(i: i32, tq: i32, tk: i32, causal: i32): i32 {
  if (!causal) return tk;
  return min(max(i + 1 + tk - tq, 0), tk);
}

/**
 * f64 backward of one head straight from the definitions (full P and dP matrices): dq [tq, d], dk and dv
 * [tk, d] accumulated into the given f64 arrays at the head's offsets.
 */
function refBackward(
  hh: i32, tq: i32, tk: i32, d: i32, q: StaticArray<f32>, k: StaticArray<f32>, v: StaticArray<f32>,
  dout: StaticArray<f32>, scale: f64, causal: i32,
  dq: StaticArray<f64>, dk: StaticArray<f64>, dv: StaticArray<f64>,
): void {
  const qo = hh * tq * d, ko = hh * tk * d;
  const p = new StaticArray<f64>(max(tk, 1)), dp = new StaticArray<f64>(max(tk, 1));
  for (let i = 0; i < tq; i++) {
    const cv = visible(i, tq, tk, causal);
    if (cv == 0) continue;
    let m = -Infinity;
    for (let j = 0; j < cv; j++) {
      let acc: f64 = 0;
      for (let c = 0; c < d; c++) acc += <f64>q[qo + i * d + c] * <f64>k[ko + j * d + c];
      p[j] = acc * scale;
      m = Math.max(m, p[j]);
    }
    let sum: f64 = 0;
    for (let j = 0; j < cv; j++) { p[j] = Math.exp(p[j] - m); sum += p[j]; }
    for (let j = 0; j < cv; j++) p[j] /= sum;
    let dd: f64 = 0;
    for (let j = 0; j < cv; j++) {
      let acc: f64 = 0;
      for (let c = 0; c < d; c++) acc += <f64>dout[qo + i * d + c] * <f64>v[ko + j * d + c];
      dp[j] = acc;
      dd += p[j] * acc; // D_i = Σ_j P_ij dP_ij = ⟨dO_i, O_i⟩
    }
    for (let j = 0; j < cv; j++) {
      const ds = p[j] * (dp[j] - dd) * scale;
      for (let c = 0; c < d; c++) {
        dq[qo + i * d + c] += ds * <f64>k[ko + j * d + c];
        dk[ko + j * d + c] += ds * <f64>q[qo + i * d + c];
        dv[ko + j * d + c] += p[j] * <f64>dout[qo + i * d + c];
      }
    }
  }
}

function worstError(got: StaticArray<f32>, want: StaticArray<f64>, n: i32): f64 {
  let worst: f64 = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(<f64>got[i] - want[i]) / (1.0 + Math.abs(want[i])));
  return worst;
}

/** Forward with lse, then backward with stale values in dq/dk/dv; compares with refBackward. */
function checkCase(h: i32, tq: i32, tk: i32, d: i32, causal: i32, seed: u32): void {
  const nq = h * tq * d, nk = h * tk * d;
  const q = randomBuffer(nq, seed, 1), k = randomBuffer(nk, seed + 1, 1), v = randomBuffer(nk, seed + 2, 1);
  const dout = randomBuffer(nq, seed + 3, 1);
  const out = zerosBuffer(nq), lse = zerosBuffer(h * tq);
  const scale = <f32>(1.0 / Math.sqrt(<f64>d)) * 2;
  const fs = new StaticArray<f32>(<i32>(attention_scratch_bytes(tk, d) >> 2) + 4);
  attention_f32(h, tq, tk, d, ptr(q), ptr(k), ptr(v), ptr(out), scale, causal, ptr(lse), ptr(fs));
  const dq = randomBuffer(nq + 1, 90, 5), dk = randomBuffer(nk + 1, 91, 5), dv = randomBuffer(nk + 1, 92, 5);
  dq[nq] = 42; dk[nk] = 42; dv[nk] = 42;
  const bs = new StaticArray<f32>(<i32>(attention_backward_scratch_bytes(tq, tk, d) >> 2));
  attention_backward_f32(h, tq, tk, d, ptr(q), ptr(k), ptr(v), ptr(out), ptr(dout), ptr(lse),
    ptr(dq), ptr(dk), ptr(dv), scale, causal, ptr(bs));
  const wq = new StaticArray<f64>(max(nq, 1)), wk = new StaticArray<f64>(max(nk, 1)), wv = new StaticArray<f64>(max(nk, 1));
  for (let hh = 0; hh < h; hh++) refBackward(hh, tq, tk, d, q, k, v, dout, <f64>scale, causal, wq, wk, wv);
  const worst = Math.max(worstError(dq, wq, nq), Math.max(worstError(dk, wk, nk), worstError(dv, wv, nk)));
  if (!(worst < 2e-5)) {
    log<string>("attention backward mismatch h=" + h.toString() + " tq=" + tq.toString() + " tk=" + tk.toString() +
      " d=" + d.toString() + " causal=" + causal.toString() + " err=" + worst.toString());
  }
  expect<bool>(worst < 2e-5).toBe(true);
  expect<f32>(dq[nq]).toBe(42);
  expect<f32>(dk[nk]).toBe(42);
  expect<f32>(dv[nk]).toBe(42);
}

const TS: i32[] = [1, 2, 5, 17, 33, 70];
const DS: i32[] = [1, 3, 8, 17, 36];

describe("attention_backward_f32", () => {
  it("computes a hand example: one query, two keys", () => {
    // q·k0 = 0, q·k1 = ln 3 (scale 1): P = [1/4, 3/4], out = ¼·v0 + ¾·v1 = 7 with v = [4, 8]; dO = 1.
    // dV = Pᵀ·dO = [1/4, 3/4]; dP = [4, 8], D = 7, dS = P ⊙ (dP − D) = [−3/4, 3/4];
    // dQ = dS·K = ¾·ln 3; dK = dSᵀ·q = [−3/4, 3/4].
    const q = new StaticArray<f32>(1), k = new StaticArray<f32>(2), v = new StaticArray<f32>(2);
    q[0] = 1; k[0] = 0; k[1] = <f32>Math.log(3); v[0] = 4; v[1] = 8;
    const out = new StaticArray<f32>(1), lse = new StaticArray<f32>(1), dout = new StaticArray<f32>(1);
    dout[0] = 1;
    attention_f32(1, 1, 2, 1, ptr(q), ptr(k), ptr(v), ptr(out), 1, 0, ptr(lse), ptr(new StaticArray<f32>(64)));
    const dq = new StaticArray<f32>(1), dk = new StaticArray<f32>(2), dv = new StaticArray<f32>(2);
    attention_backward_f32(1, 1, 2, 1, ptr(q), ptr(k), ptr(v), ptr(out), ptr(dout), ptr(lse),
      ptr(dq), ptr(dk), ptr(dv), 1, 0, ptr(new StaticArray<f32>(64)));
    expect<bool>(Math.abs(<f64>dq[0] - 0.75 * Math.log(3)) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>dk[0] + 0.75) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>dk[1] - 0.75) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>dv[0] - 0.25) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>dv[1] - 0.75) < 1e-6).toBe(true);
  });

  it("matches an f64 reference for h ∈ {1, 3}, tq = tk across the block size, d ∈ {1, 3, 8, 17, 36}, causal on/off", () => {
    let seed: u32 = 1;
    for (let hi = 0; hi < 2; hi++) {
      for (let ti = 0; ti < TS.length; ti++) {
        for (let di = 0; di < DS.length; di++) {
          for (let causal = 0; causal < 2; causal++) {
            checkCase(hi == 0 ? 1 : 3, TS[ti], TS[ti], DS[di], causal, seed);
            seed += 5;
          }
        }
      }
    }
  });

  it("matches the reference for tq < tk (KV cache) and tq > tk (rows that see nothing get dq = 0)", () => {
    const shapes: i32[] = [1, 70, 5, 33, 17, 70, 33, 40, 20, 3, 40, 17];
    let seed: u32 = 3000;
    for (let c = 0; c < shapes.length; c += 2) {
      for (let di = 0; di < 3; di++) {
        for (let causal = 0; causal < 2; causal++) {
          checkCase(2, shapes[c], shapes[c + 1], DS[di + 1], causal, seed);
          seed += 5;
        }
      }
    }
  });

  it("in the fused layout (Q, K, V and dQ, dK, dV in the columns of [B·T, 3·h·d] rows) gives the head-major bits, whatever the pair split", () => {
    const ts: i32[] = [1, 3, 17, 65];
    const ds: i32[] = [1, 3, 8, 17];
    for (let ti = 0; ti < ts.length; ti++) {
      for (let di = 0; di < ds.length; di++) {
        for (let causal = 0; causal < 2; causal++) {
          const b = 2, h = 3, t = ts[ti], d = ds[di], hd = h * d, ld = 3 * hd;
          const rows = randomBuffer(b * t * ld, 500 + ti * 10 + di, 1), dout = randomBuffer(b * t * hd, 600 + ti, 1);
          const scale = <f32>(1.0 / Math.sqrt(<f64>d));
          const out = zerosBuffer(b * t * hd), lse = zerosBuffer(b * h * t);
          const p = ptr(rows), kp = p + (<usize>hd << 2), vp = p + (<usize>(2 * hd) << 2);
          attention_rows_f32(b, h, t, t, d, p, ld, kp, ld, vp, ld, ptr(out), hd, scale, causal, ptr(lse),
            ptr(new StaticArray<f32>(<i32>(attention_rows_scratch_bytes(t, d) >> 2) + 4)), 0, b * h, 0, t);
          const g = randomBuffer(b * t * ld, 7, 5); // stale values: every entry must be overwritten
          const gp = ptr(g);
          // Pairs split unevenly over three calls, each with its own scratch.
          const cuts: i32[] = [0, 1, 4, b * h];
          for (let c = 0; c < 3; c++) {
            const bs = new StaticArray<f32>(<i32>(attention_rows_backward_scratch_bytes(t, t, d) >> 2));
            attention_rows_backward_f32(b, h, t, t, d, p, ld, kp, ld, vp, ld, ptr(out), hd, ptr(dout), hd, ptr(lse),
              gp, ld, gp + (<usize>hd << 2), ld, gp + (<usize>(2 * hd) << 2), ld, scale, causal, ptr(bs), cuts[c], cuts[c + 1]);
          }
          // The same pairs head-major: copy each (sequence, head) block out, run the one-head kernel, compare bits.
          const n = t * d;
          for (let bi = 0; bi < b; bi++) {
            for (let hh = 0; hh < h; hh++) {
              const q1 = zerosBuffer(n), k1 = zerosBuffer(n), v1 = zerosBuffer(n), o1 = zerosBuffer(n), g1 = zerosBuffer(n), l1 = zerosBuffer(t);
              for (let i = 0; i < t; i++) {
                const r = (bi * t + i) * ld + hh * d, m = (bi * t + i) * hd + hh * d;
                for (let c = 0; c < d; c++) {
                  q1[i * d + c] = rows[r + c]; k1[i * d + c] = rows[r + hd + c]; v1[i * d + c] = rows[r + 2 * hd + c];
                  o1[i * d + c] = out[m + c]; g1[i * d + c] = dout[m + c];
                }
                l1[i] = lse[(bi * h + hh) * t + i];
              }
              const dq1 = zerosBuffer(n), dk1 = zerosBuffer(n), dv1 = zerosBuffer(n);
              attention_backward_f32(1, t, t, d, ptr(q1), ptr(k1), ptr(v1), ptr(o1), ptr(g1), ptr(l1), ptr(dq1), ptr(dk1), ptr(dv1),
                scale, causal, ptr(new StaticArray<f32>(<i32>(attention_backward_scratch_bytes(t, t, d) >> 2))));
              let differ = 0; // bit comparisons (NaN would count as a difference too)
              for (let i = 0; i < t; i++) {
                const r = (bi * t + i) * ld + hh * d;
                for (let c = 0; c < d; c++) {
                  if (g[r + c] != dq1[i * d + c]) differ++;
                  if (g[r + hd + c] != dk1[i * d + c]) differ++;
                  if (g[r + 2 * hd + c] != dv1[i * d + c]) differ++;
                }
              }
              expect<i32>(differ).toBe(0);
            }
          }
        }
      }
    }
  });

  it("needs scratch for one block pair and one head's packed K and V only, not tq×tk", () => {
    // P and dS blocks (16 rows × tk), Kᵀ and Vᵀ (d × tk), packed Q and dO rows (8 · d), a spare row (tk).
    expect<usize>(attention_backward_scratch_bytes(4096, 4096, 64)).toBe((2 * 16 * 4096 + 2 * 64 * 4096 + 8 * 64 + 4096) * 4);
    // tk and d rounded up to whole tiles of 8.
    expect<usize>(attention_backward_scratch_bytes(3, 5, 8)).toBe((2 * 3 * 8 + 2 * 8 * 8 + 8 * 8 + 8) * 4);
  });
});
