import {
  attention_scores_f32 as scores_kernel, attention_rows_f32 as rows_kernel, attention_rows_scratch_bytes,
} from "../../assembly/attention_forward";
import { softmax_f32 } from "../../assembly/softmax";
import { zerosBuffer, ptr, randomBuffer } from "./helpers/buffers";

/** The whole of every (sequence, head) pair and every query row. */
function attention_rows_f32(
  b: i32, h: i32, tq: i32, tk: i32, d: i32, q: usize, ldq: i32, k: usize, ldk: i32, v: usize, ldv: i32,
  out: usize, ldo: i32, scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  rows_kernel(b, h, tq, tk, d, q, ldq, k, ldk, v, ldv, out, ldo, scale, causal, lse, scratch, 0, b * h, 0, tq);
}

/** Head-major [h, T, d] operands: h sequences of one head, row stride d (as the attention() op calls it). */
function attention_f32(
  h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, v: usize, out: usize, scale: f32, causal: i32, lse: usize, scratch: usize,
): void {
  attention_rows_f32(h, 1, tq, tk, d, q, d, k, d, v, d, out, d, scale, causal, lse, scratch);
}

function attention_scratch_bytes(tk: i32, d: i32): usize {
  return attention_rows_scratch_bytes(tk, d);
}

function attention_scores_f32(h: i32, tq: i32, tk: i32, d: i32, q: usize, k: usize, out: usize, scale: f32, causal: i32): void {
  scores_kernel(h, 1, tq, tk, d, q, d, k, d, out, scale, causal);
}

function scratchFor(tk: i32, d: i32): StaticArray<f32> {
  return new StaticArray<f32>(<i32>(attention_scratch_bytes(tk, d) >> 2) + 4);
}

function visible(i: i32, tq: i32, tk: i32, causal: i32): i32 {
  if (!causal) return tk;
  return min(max(i + 1 + tk - tq, 0), tk);
}

/** Plain f64 attention: out [h, tq, d] and lse [h, tq], written into the given f64 arrays. */
function refAttention(
  h: i32, tq: i32, tk: i32, d: i32, q: StaticArray<f32>, k: StaticArray<f32>, v: StaticArray<f32>,
  scale: f64, causal: i32, out: StaticArray<f64>, lse: StaticArray<f64>,
): void {
  const s = new StaticArray<f64>(max(tk, 1));
  for (let hh = 0; hh < h; hh++) {
    for (let i = 0; i < tq; i++) {
      const cv = visible(i, tq, tk, causal);
      let m = -Infinity;
      for (let j = 0; j < cv; j++) {
        let acc: f64 = 0;
        for (let c = 0; c < d; c++) acc += <f64>q[(hh * tq + i) * d + c] * <f64>k[(hh * tk + j) * d + c];
        s[j] = acc * scale;
        m = Math.max(m, s[j]);
      }
      let sum: f64 = 0;
      for (let j = 0; j < cv; j++) { s[j] = Math.exp(s[j] - m); sum += s[j]; }
      lse[hh * tq + i] = cv > 0 ? m + Math.log(sum) : -Infinity;
      for (let c = 0; c < d; c++) {
        let acc: f64 = 0;
        for (let j = 0; j < cv; j++) acc += s[j] / sum * <f64>v[(hh * tk + j) * d + c];
        out[(hh * tq + i) * d + c] = acc;
      }
    }
  }
}

/** Runs attention_f32 on random inputs and compares output and lse with the f64 reference. */
function checkCase(h: i32, tq: i32, tk: i32, d: i32, causal: i32, seed: u32): void {
  const q = randomBuffer(h * tq * d, seed, 1), k = randomBuffer(h * tk * d, seed + 1, 1);
  const v = randomBuffer(h * tk * d, seed + 2, 1);
  const out = zerosBuffer(h * tq * d + 1), lse = zerosBuffer(h * tq + 1);
  out[h * tq * d] = 42; lse[h * tq] = 42; // sentinels past the end
  const scale = <f32>(1.0 / Math.sqrt(<f64>d)) * 2; // a sharper softmax than 1/√d, to exercise the max shift
  attention_f32(h, tq, tk, d, ptr(q), ptr(k), ptr(v), ptr(out), scale, causal, ptr(lse), ptr(scratchFor(tk, d)));
  const wantOut = new StaticArray<f64>(max(h * tq * d, 1)), wantLse = new StaticArray<f64>(max(h * tq, 1));
  refAttention(h, tq, tk, d, q, k, v, <f64>scale, causal, wantOut, wantLse);
  let worst: f64 = 0;
  for (let i = 0; i < h * tq * d; i++) worst = Math.max(worst, Math.abs(<f64>out[i] - wantOut[i]));
  for (let i = 0; i < h * tq; i++) {
    if (wantLse[i] == -Infinity) expect<f32>(lse[i]).toBe(-Infinity);
    else worst = Math.max(worst, Math.abs(<f64>lse[i] - wantLse[i]) / (1.0 + Math.abs(wantLse[i])));
  }
  if (!(worst < 1e-5)) {
    log<string>("attention mismatch h=" + h.toString() + " tq=" + tq.toString() + " tk=" + tk.toString() +
      " d=" + d.toString() + " causal=" + causal.toString() + " err=" + worst.toString());
  }
  expect<bool>(worst < 1e-5).toBe(true);
  expect<f32>(out[h * tq * d]).toBe(42);
  expect<f32>(lse[h * tq]).toBe(42);
}

const TS: i32[] = [1, 2, 5, 17, 33, 70];
const DS: i32[] = [1, 3, 8, 17];

describe("attention_f32", () => {
  it("computes a hand example: one query, two keys", () => {
    // q·k0 = 0, q·k1 = ln 3 (scale 1) → weights 1/4, 3/4; out = ¼·v0 + ¾·v1.
    const q = new StaticArray<f32>(1), k = new StaticArray<f32>(2), v = new StaticArray<f32>(4);
    q[0] = 1; k[0] = 0; k[1] = <f32>Math.log(3);
    const out = new StaticArray<f32>(1), lse = new StaticArray<f32>(1);
    v[0] = 4; v[1] = 8;
    attention_f32(1, 1, 2, 1, ptr(q), ptr(k), ptr(v), ptr(out), 1, 0, ptr(lse), ptr(scratchFor(2, 1)));
    expect<bool>(Math.abs(<f64>out[0] - 7.0) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>lse[0] - Math.log(4)) < 1e-6).toBe(true);
    // Causal, square: query 0 of 2 sees only key 0.
    const q2 = new StaticArray<f32>(2), out2 = new StaticArray<f32>(2);
    q2[0] = 1; q2[1] = 1;
    attention_f32(1, 2, 2, 1, ptr(q2), ptr(k), ptr(v), ptr(out2), 1, 1, 0, ptr(scratchFor(2, 1)));
    expect<f32>(out2[0]).toBe(4);
    expect<bool>(Math.abs(<f64>out2[1] - 7.0) < 1e-6).toBe(true);
  });

  it("matches an f64 reference for h ∈ {1, 3}, tq = tk across the block size, d ∈ {1, 3, 8, 17}, causal on/off", () => {
    let seed: u32 = 1;
    for (let hi = 0; hi < 2; hi++) {
      const h = hi == 0 ? 1 : 3;
      for (let ti = 0; ti < TS.length; ti++) {
        for (let di = 0; di < DS.length; di++) {
          for (let causal = 0; causal < 2; causal++) {
            checkCase(h, TS[ti], TS[ti], DS[di], causal, seed);
            seed += 3;
          }
        }
      }
    }
  });

  it("matches the reference for the KV-cache shape tq < tk, and for tq > tk (rows that see nothing)", () => {
    const shapes: i32[] = [1, 70, 5, 33, 17, 70, 33, 40, 1, 1, 20, 3];
    let seed: u32 = 1000;
    for (let c = 0; c < shapes.length; c += 2) {
      for (let di = 0; di < DS.length; di++) {
        for (let causal = 0; causal < 2; causal++) {
          checkCase(3, shapes[c], shapes[c + 1], DS[di], causal, seed);
          seed += 3;
        }
      }
    }
  });

  it("matches the reference for wider heads (d = 36: 16 + 16 + 4 columns; d = 64) and odd block tails", () => {
    const dims: i32[] = [36, 64];
    const shapes: i32[] = [70, 70, 33, 33, 7, 70, 19, 19];
    let seed: u32 = 5000;
    for (let di = 0; di < dims.length; di++) {
      for (let c = 0; c < shapes.length; c += 2) {
        for (let causal = 0; causal < 2; causal++) {
          checkCase(2, shapes[c], shapes[c + 1], dims[di], causal, seed);
          seed += 3;
        }
      }
    }
  });

  it("gives zero rows and lse = −Infinity to queries that see no key", () => {
    const h = 1, tq = 5, tk = 2, d = 3;
    const q = randomBuffer(tq * d, 7, 1), k = randomBuffer(tk * d, 8, 1), v = randomBuffer(tk * d, 9, 1);
    const out = randomBuffer(tq * d, 10, 1), lse = zerosBuffer(tq);
    attention_f32(h, tq, tk, d, ptr(q), ptr(k), ptr(v), ptr(out), 1, 1, ptr(lse), ptr(scratchFor(tk, d)));
    for (let i = 0; i < 3; i++) {
      expect<f32>(lse[i]).toBe(-Infinity);
      for (let c = 0; c < d; c++) expect<f32>(out[i * d + c]).toBe(0);
    }
    expect<bool>(isFinite(lse[3]) && isFinite(lse[4])).toBe(true);
  });

  it("causal: row i does not change when keys and values after its last visible position change (even to NaN)", () => {
    const h = 3, d = 17;
    const shapes: i32[] = [70, 70, 33, 33, 17, 40];
    for (let c = 0; c < shapes.length; c += 2) {
      const tq = shapes[c], tk = shapes[c + 1];
      const q = randomBuffer(h * tq * d, 11, 1), k = randomBuffer(h * tk * d, 12, 1), v = randomBuffer(h * tk * d, 13, 1);
      const base = zerosBuffer(h * tq * d), out = zerosBuffer(h * tq * d);
      const scratch = scratchFor(tk, d);
      attention_f32(h, tq, tk, d, ptr(q), ptr(k), ptr(v), ptr(base), 0.5, 1, 0, ptr(scratch));
      const pivots: i32[] = [tk - 1, tk - 2, tk / 2, tk - 17];
      for (let pi = 0; pi < pivots.length; pi++) {
        const p = pivots[pi]; // keys p.. are poisoned
        if (p < 1) continue;
        const k2 = randomBuffer(h * tk * d, 12, 1), v2 = randomBuffer(h * tk * d, 13, 1);
        for (let hh = 0; hh < h; hh++) {
          for (let j = p; j < tk; j++) {
            for (let cc = 0; cc < d; cc++) { k2[(hh * tk + j) * d + cc] = NaN; v2[(hh * tk + j) * d + cc] = 1e30; }
          }
        }
        attention_f32(h, tq, tk, d, ptr(q), ptr(k2), ptr(v2), ptr(out), 0.5, 1, 0, ptr(scratch));
        for (let hh = 0; hh < h; hh++) {
          for (let i = 0; i < tq; i++) {
            if (visible(i, tq, tk, 1) > p) continue; // this row sees a poisoned key
            for (let cc = 0; cc < d; cc++) {
              expect<f32>(out[(hh * tq + i) * d + cc]).toBe(base[(hh * tq + i) * d + cc]);
            }
          }
        }
      }
    }
  });
});

describe("attention_scratch_bytes", () => {
  it("is a positive multiple of 16 that grows with tk", () => {
    const tks: i32[] = [0, 1, 3, 17, 1000];
    for (let i = 0; i < tks.length; i++) {
      const b = attention_scratch_bytes(tks[i], 64);
      expect<bool>(b > 0 && (b & 15) == 0 && b >= <usize>max(tks[i], 1) * 4).toBe(true);
    }
    expect<bool>(attention_scratch_bytes(1000, 8) > attention_scratch_bytes(100, 8)).toBe(true);
  });
});

describe("attention_scores_f32", () => {
  it("gives the scaled scores with −Infinity where masked, and softmax of them reproduces attention_f32", () => {
    const h = 3, d = 8;
    const shapes: i32[] = [17, 17, 5, 33, 33, 33];
    for (let c = 0; c < shapes.length; c += 2) {
      const tq = shapes[c], tk = shapes[c + 1];
      for (let causal = 0; causal < 2; causal++) {
        const q = randomBuffer(h * tq * d, 21, 1), k = randomBuffer(h * tk * d, 22, 1), v = randomBuffer(h * tk * d, 23, 1);
        const sc = zerosBuffer(h * tq * tk);
        const scale: f32 = 0.35;
        attention_scores_f32(h, tq, tk, d, ptr(q), ptr(k), ptr(sc), scale, causal);
        for (let hh = 0; hh < h; hh++) {
          for (let i = 0; i < tq; i++) {
            const cv = visible(i, tq, tk, causal);
            for (let j = 0; j < tk; j++) {
              const got = sc[(hh * tq + i) * tk + j];
              if (j >= cv) { expect<f32>(got).toBe(-Infinity); continue; }
              let acc: f64 = 0;
              for (let cc = 0; cc < d; cc++) acc += <f64>q[(hh * tq + i) * d + cc] * <f64>k[(hh * tk + j) * d + cc];
              expect<bool>(Math.abs(<f64>got - acc * <f64>scale) < 1e-6).toBe(true);
            }
          }
        }
        // softmax over the score rows, times V, is the attention output.
        softmax_f32(h * tq, tk, ptr(sc), tk, ptr(sc), tk, 1, 0);
        const out = zerosBuffer(h * tq * d);
        attention_f32(h, tq, tk, d, ptr(q), ptr(k), ptr(v), ptr(out), scale, causal, 0, ptr(scratchFor(tk, d)));
        for (let hh = 0; hh < h; hh++) {
          for (let i = 0; i < tq; i++) {
            for (let cc = 0; cc < d; cc++) {
              let acc: f64 = 0;
              for (let j = 0; j < tk; j++) acc += <f64>sc[(hh * tq + i) * tk + j] * <f64>v[(hh * tk + j) * d + cc];
              expect<bool>(Math.abs(<f64>out[(hh * tq + i) * d + cc] - acc) < 1e-5).toBe(true);
            }
          }
        }
      }
    }
  });
});

// ---- attention_rows_f32: token-major rows, all heads in one call ----

function rowsScratch(tk: i32, d: i32): StaticArray<f32> {
  return new StaticArray<f32>(<i32>(attention_rows_scratch_bytes(tk, d) >> 2) + 4);
}

/**
 * A fused [b·t, ld] buffer (ld = 3·h·d + pad) with Q, K, V of every head at columns 0, h·d, 2·h·d, the pad
 * columns NaN (never read), and the head-major copies [b·h, t, d] of its Q, K and V for the reference.
 */
class Fused {
  rows: StaticArray<f32>;
  q: StaticArray<f32>;
  k: StaticArray<f32>;
  v: StaticArray<f32>;
  constructor(public b: i32, public h: i32, public tq: i32, public tk: i32, public d: i32, public ld: i32, seed: u32) {
    const t = max(tq, tk);
    this.rows = randomBuffer(b * t * ld, seed, 1);
    this.q = zerosBuffer(b * h * tq * d);
    this.k = zerosBuffer(b * h * tk * d);
    this.v = zerosBuffer(b * h * tk * d);
    const hd = h * d;
    for (let r = 0; r < b * t; r++) for (let c = 3 * hd; c < ld; c++) this.rows[r * ld + c] = NaN;
    for (let bi = 0; bi < b; bi++) {
      for (let hh = 0; hh < h; hh++) {
        for (let i = 0; i < t; i++) {
          for (let c = 0; c < d; c++) {
            const src = (bi * t + i) * ld + hh * d + c;
            if (i < tq) this.q[((bi * h + hh) * tq + i) * d + c] = this.rows[src];
            if (i < tk) {
              this.k[((bi * h + hh) * tk + i) * d + c] = this.rows[src + hd];
              this.v[((bi * h + hh) * tk + i) * d + c] = this.rows[src + 2 * hd];
            }
          }
        }
      }
    }
  }
  /** Sequence bi's rows start at bi·max(tq, tk) here, so the kernel's b loop is run per sequence by the caller. */
  get t(): i32 { return max(this.tq, this.tk); }
}

/**
 * attention_rows_f32 on f (one call per sequence when tq != tk, else one call for all b), out rows of stride
 * ldo = h·d + 1 (the extra column is a sentinel), against the f64 reference; returns the worst error.
 */
function checkRows(f: Fused, causal: i32, scale: f32): f64 {
  const b = f.b, h = f.h, tq = f.tq, tk = f.tk, d = f.d, ld = f.ld, t = f.t;
  const hd = h * d, ldo = hd + 1;
  const out = zerosBuffer(b * tq * ldo + 1), lse = zerosBuffer(b * h * tq + 1);
  for (let r = 0; r < b * tq; r++) out[r * ldo + hd] = 42;
  out[b * tq * ldo] = 42; lse[b * h * tq] = 42;
  const scratch = rowsScratch(tk, d);
  const base = ptr(f.rows);
  if (tq == tk) {
    attention_rows_f32(b, h, tq, tk, d, base, ld, base + (<usize>hd << 2), ld, base + (<usize>(2 * hd) << 2), ld,
      ptr(out), ldo, scale, causal, ptr(lse), ptr(scratch));
  } else {
    for (let bi = 0; bi < b; bi++) {
      const rb = base + (<usize>(bi * t * ld) << 2);
      attention_rows_f32(1, h, tq, tk, d, rb, ld, rb + (<usize>hd << 2), ld, rb + (<usize>(2 * hd) << 2), ld,
        ptr(out) + (<usize>(bi * tq * ldo) << 2), ldo, scale, causal, ptr(lse) + (<usize>(bi * h * tq) << 2), ptr(scratch));
    }
  }
  const wantOut = new StaticArray<f64>(max(b * h * tq * d, 1)), wantLse = new StaticArray<f64>(max(b * h * tq, 1));
  refAttention(b * h, tq, tk, d, f.q, f.k, f.v, <f64>scale, causal, wantOut, wantLse);
  let worst: f64 = 0;
  for (let bi = 0; bi < b; bi++) {
    for (let hh = 0; hh < h; hh++) {
      for (let i = 0; i < tq; i++) {
        for (let c = 0; c < d; c++) {
          const got = <f64>out[(bi * tq + i) * ldo + hh * d + c];
          worst = Math.max(worst, Math.abs(got - wantOut[((bi * h + hh) * tq + i) * d + c]));
          if (isNaN(got)) worst = Infinity;
        }
        const li = (bi * h + hh) * tq + i;
        if (wantLse[li] == -Infinity) expect<f32>(lse[li]).toBe(-Infinity);
        else worst = Math.max(worst, Math.abs(<f64>lse[li] - wantLse[li]) / (1.0 + Math.abs(wantLse[li])));
      }
    }
  }
  for (let r = 0; r < b * tq; r++) expect<f32>(out[r * ldo + hd]).toBe(42);
  expect<f32>(out[b * tq * ldo]).toBe(42);
  expect<f32>(lse[b * h * tq]).toBe(42);
  if (!(worst < 1e-5)) {
    log<string>("attention_rows mismatch b=" + b.toString() + " h=" + h.toString() + " tq=" + tq.toString() + " tk=" +
      tk.toString() + " d=" + d.toString() + " causal=" + causal.toString() + " err=" + worst.toString());
  }
  return worst;
}

/** h = 2, d = 12 heads of fused rows (stride 72), causal, scale 0.4, out stride 24. */
function runPoisonCase(t: i32, rows: usize, o: usize, s: usize): void {
  attention_rows_f32(1, 2, t, t, 12, rows, 72, rows + 96, 72, rows + 192, 72, o, 24, 0.4, 1, 0, s);
}

describe("attention_rows_f32", () => {
  it("matches the f64 reference on fused [B·T, 3·h·d + pad] rows: odd T, d, heads, batches, causal and not", () => {
    const ts: i32[] = [1, 2, 3, 5, 17, 33, 70];
    const ds: i32[] = [1, 3, 5, 8, 17, 32];
    let seed: u32 = 7000;
    for (let ti = 0; ti < ts.length; ti++) {
      for (let di = 0; di < ds.length; di++) {
        for (let causal = 0; causal < 2; causal++) {
          const b = (ti + di) % 2 + 1, h = (ti + di + causal) % 3 + 1;
          const pad = (di % 3) * 3; // 0, 3 or 6 unread columns per row
          const f = new Fused(b, h, ts[ti], ts[ti], ds[di], 3 * h * ds[di] + pad, seed);
          expect<bool>(checkRows(f, causal, <f32>(2.0 / Math.sqrt(<f64>ds[di]))) < 1e-5).toBe(true);
          seed += 5;
        }
      }
    }
  });

  it("matches the reference for tq < tk (a query block against a longer key sequence) and tq > tk (rows that see nothing)", () => {
    const shapes: i32[] = [1, 70, 5, 33, 17, 70, 33, 40, 1, 1, 20, 3, 7, 2];
    const ds: i32[] = [1, 8, 17, 32];
    let seed: u32 = 8000;
    for (let c = 0; c < shapes.length; c += 2) {
      for (let di = 0; di < ds.length; di++) {
        for (let causal = 0; causal < 2; causal++) {
          const f = new Fused(2, 3, shapes[c], shapes[c + 1], ds[di], 9 * ds[di] + 1, seed);
          expect<bool>(checkRows(f, causal, <f32>(1.0 / Math.sqrt(<f64>ds[di]))) < 1e-5).toBe(true);
          seed += 5;
        }
      }
    }
  });

  it("gives the bits of one call when the pairs and query rows are split over calls (threads), on both paths", () => {
    const ts: i32[] = [3, 15, 16, 17, 37, 65];
    for (let ti = 0; ti < ts.length; ti++) {
      for (let causal = 0; causal < 2; causal++) {
        const b = 2, h = 3, t = ts[ti], d = 17 - 8 * causal, ld = 3 * h * d;
        const f = new Fused(b, h, t, t, d, ld, 3100 + ti);
        const p = ptr(f.rows), kp = p + (<usize>(h * d) << 2), vp = p + (<usize>(2 * h * d) << 2);
        const whole = zerosBuffer(b * t * h * d), lw = zerosBuffer(b * h * t);
        const split = zerosBuffer(b * t * h * d), ls = zerosBuffer(b * h * t);
        rows_kernel(b, h, t, t, d, p, ld, kp, ld, vp, ld, ptr(whole), h * d, 0.3, causal, ptr(lw), ptr(rowsScratch(t, d)), 0, b * h, 0, t);
        // Uneven pieces: pairs [0, 1), [1, 4), [4, 6) × rows [0, 1), [1, r), [r, t) with r not a multiple of 4.
        const pc: i32[] = [0, 1, 4, 6];
        const rc: i32[] = [0, min(1, t), min(7, t), t];
        for (let pi = 0; pi < 3; pi++) {
          for (let ri = 0; ri < 3; ri++) {
            rows_kernel(b, h, t, t, d, p, ld, kp, ld, vp, ld, ptr(split), h * d, 0.3, causal, ptr(ls), ptr(rowsScratch(t, d)),
              pc[pi], pc[pi + 1], rc[ri], rc[ri + 1]);
          }
        }
        let differ = 0;
        for (let i = 0; i < b * t * h * d; i++) if (split[i] != whole[i]) differ++;
        for (let i = 0; i < b * h * t; i++) if (ls[i] != lw[i]) differ++;
        expect<i32>(differ).toBe(0);
      }
    }
  });

  it("decodes over a token-major KV cache [capacity, h·d]: the bits of the head-major call, rows past the length never read", () => {
    const lengths: i32[] = [1, 3, 17, 65];
    const ds: i32[] = [1, 3, 8, 17];
    for (let li = 0; li < lengths.length; li++) {
      for (let di = 0; di < ds.length; di++) {
        const h = di + 1, d = ds[di], hd = h * d, len = lengths[li], cap = len + 3, n = li == 3 ? 2 : 1;
        const q = randomBuffer(n * 3 * hd, 40 + li, 1); // the fused projection's rows of the n new tokens
        const k = randomBuffer(cap * hd, 50 + di, 1), v = randomBuffer(cap * hd, 60 + di, 1);
        for (let i = len * hd; i < cap * hd; i++) { k[i] = NaN; v[i] = Infinity; }
        const out = zerosBuffer(n * hd);
        rows_kernel(1, h, n, len, d, ptr(q), 3 * hd, ptr(k), hd, ptr(v), hd, ptr(out), hd, 0.4, 1, 0, ptr(rowsScratch(len, d)), 0, h, 0, n);
        for (let hh = 0; hh < h; hh++) {
          const qh = zerosBuffer(n * d), kh = zerosBuffer(len * d), vh = zerosBuffer(len * d), oh = zerosBuffer(n * d);
          for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) qh[i * d + c] = q[i * 3 * hd + hh * d + c];
          for (let j = 0; j < len; j++) {
            for (let c = 0; c < d; c++) { kh[j * d + c] = k[j * hd + hh * d + c]; vh[j * d + c] = v[j * hd + hh * d + c]; }
          }
          attention_f32(1, n, len, d, ptr(qh), ptr(kh), ptr(vh), ptr(oh), 0.4, 1, 0, ptr(scratchFor(len, d)));
          for (let i = 0; i < n; i++) for (let c = 0; c < d; c++) expect<f32>(out[i * hd + hh * d + c]).toBe(oh[i * d + c]);
        }
      }
    }
  });

  it("touches only the pairs and rows of its range", () => {
    const b = 1, h = 2, t = 20, d = 8, ld = 3 * h * d;
    const f = new Fused(b, h, t, t, d, ld, 3300);
    const p = ptr(f.rows);
    const out = zerosBuffer(t * h * d), lse = zerosBuffer(h * t);
    for (let i = 0; i < t * h * d; i++) out[i] = 42;
    for (let i = 0; i < h * t; i++) lse[i] = 42;
    rows_kernel(b, h, t, t, d, p, ld, p + (<usize>(h * d) << 2), ld, p + (<usize>(2 * h * d) << 2), ld, ptr(out), h * d, 0.3, 1,
      ptr(lse), ptr(rowsScratch(t, d)), 1, 2, 5, 11);
    for (let i = 0; i < t; i++) {
      for (let c = 0; c < h * d; c++) {
        const inside = c >= d && i >= 5 && i < 11;
        expect<bool>(out[i * h * d + c] == 42).toBe(!inside);
      }
      expect<f32>(lse[i]).toBe(42);
      expect<bool>(lse[t + i] == 42).toBe(!(i >= 5 && i < 11));
    }
  });

  it("causal: keys and values a row does not see (NaN, ±Infinity) do not change it by a bit", () => {
    const h = 2, d = 12, ld = 3 * h * d;
    const ts: i32[] = [9, 16, 33, 70];
    for (let ti = 0; ti < ts.length; ti++) {
      const t = ts[ti];
      const f = new Fused(1, h, t, t, d, ld, 900 + ti);
      const base = zerosBuffer(t * h * d), out = zerosBuffer(t * h * d);
      const scratch = rowsScratch(t, d);
      const p0 = ptr(f.rows);
      runPoisonCase(t, p0, ptr(base), ptr(scratch));
      const pivots: i32[] = [1, 2, 3, t / 2, t - 1];
      for (let pi = 0; pi < pivots.length; pi++) {
        const p = pivots[pi]; // keys p.. are poisoned
        const rows = new StaticArray<f32>(t * ld);
        for (let i = 0; i < t * ld; i++) rows[i] = f.rows[i];
        for (let j = p; j < t; j++) {
          for (let c = 0; c < h * d; c++) {
            rows[j * ld + h * d + c] = NaN;
            rows[j * ld + 2 * h * d + c] = (c & 1) ? Infinity : NaN;
          }
        }
        runPoisonCase(t, ptr(rows), ptr(out), ptr(scratch));
        for (let i = 0; i < p; i++) { // rows 0..p−1 see keys 0..i only
          for (let c = 0; c < h * d; c++) expect<f32>(out[i * h * d + c]).toBe(base[i * h * d + c]);
        }
      }
    }
  });

  it("gives NaN (output and lse) to a row with a NaN or infinite visible score, and leaves the other rows alone", () => {
    const ts: i32[] = [11, 19]; // below and above the row count where the repacking path starts
    for (let ti = 0; ti < ts.length; ti++) {
      const t = ts[ti], d = 5, ld = 3 * d;
      const f = new Fused(1, 1, t, t, d, ld, 77);
      const p0 = ptr(f.rows);
      const good = zerosBuffer(t * d), out = zerosBuffer(t * d), lg = zerosBuffer(t), lo = zerosBuffer(t);
      const scratch = rowsScratch(t, d);
      attention_rows_f32(1, 1, t, t, d, p0, ld, p0 + 20, ld, p0 + 40, ld, ptr(good), d, 0.5, 0, ptr(lg), ptr(scratch));
      for (let bad = 0; bad < 2; bad++) {
        const row = 6;
        const saved = f.rows[row * ld + 2];
        f.rows[row * ld + 2] = bad == 0 ? NaN : Infinity; // query row 6's Q
        attention_rows_f32(1, 1, t, t, d, p0, ld, p0 + 20, ld, p0 + 40, ld, ptr(out), d, 0.5, 0, ptr(lo), ptr(scratch));
        f.rows[row * ld + 2] = saved;
        for (let i = 0; i < t; i++) {
          for (let c = 0; c < d; c++) {
            if (i == row) expect<bool>(isNaN(out[i * d + c])).toBe(true);
            else expect<f32>(out[i * d + c]).toBe(good[i * d + c]);
          }
          if (i == row) expect<bool>(isNaN(lo[i])).toBe(true);
          else expect<f32>(lo[i]).toBe(lg[i]);
        }
      }
    }
  });

  it("needs scratch that grows with tk and d, in 16-byte multiples", () => {
    const a = attention_rows_scratch_bytes(0, 1), b = attention_rows_scratch_bytes(256, 32), c = attention_rows_scratch_bytes(1000, 32);
    expect<bool>(a > 0 && (a & 15) == 0 && (b & 15) == 0).toBe(true);
    expect<bool>(c > b && b > a).toBe(true);
  });
});
