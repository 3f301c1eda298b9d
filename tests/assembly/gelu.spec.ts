import { gelu_f32, gelu_backward_f32 } from "../../assembly/activations";
import { zerosBuffer, ptr } from "./helpers/buffers";

const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 65, 129];

const C: f64 = Math.sqrt(2.0 / Math.PI);

function gelu64(x: f64): f64 {
  return 0.5 * x * (1.0 + Math.tanh(C * (x + 0.044715 * x * x * x)));
}

function geluGrad64(x: f64): f64 {
  const t = Math.tanh(C * (x + 0.044715 * x * x * x));
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * C * (1.0 + 3.0 * 0.044715 * x * x);
}

/** Values spread over [-6, 6) from an xorshift generator (covers the saturated tails). */
function spread(n: i32, seed: u32): StaticArray<f32> {
  const out = new StaticArray<f32>(max(n, 1));
  let s: u32 = seed * 2654435761 + 1;
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    out[i] = (<f32>(s >> 8) / <f32>16777216.0 * 2 - 1) * 6;
  }
  return out;
}

function near(got: f32, want: f64, rel: f64, abs: f64): bool {
  return Math.abs(<f64>got - want) <= rel * Math.abs(want) + abs;
}

describe("gelu_f32", () => {
  it("computes hand values: 0 → 0, 1 → 0.8411920, −1 → −0.1588080, large x → x, large −x → 0", () => {
    const x = new StaticArray<f32>(6), out = new StaticArray<f32>(6);
    x[0] = 0; x[1] = 1; x[2] = -1; x[3] = 12; x[4] = -12; x[5] = 1e30;
    gelu_f32(6, ptr(x), ptr(out));
    expect<f32>(out[0]).toBe(0);
    expect<bool>(near(out[1], 0.8411919906082768, 1e-6, 0)).toBe(true);
    expect<bool>(near(out[2], -0.15880800939172324, 1e-5, 0)).toBe(true);
    expect<f32>(out[3]).toBe(12);
    expect<f32>(abs<f32>(out[4])).toBe(0);
    expect<f32>(out[5]).toBe(1e30);
  });

  it("matches the f64 formula on ragged sizes, in place, writing exactly n values", () => {
    for (let si = 0; si < SIZES.length; si++) {
      const n = SIZES[si];
      const x = spread(n + 1, <u32>si + 1), out = zerosBuffer(n + 1);
      out[n] = 42;
      gelu_f32(n, ptr(x), ptr(out));
      for (let i = 0; i < n; i++) expect<bool>(near(out[i], gelu64(<f64>x[i]), 2e-6, 1e-6)).toBe(true);
      expect<f32>(out[n]).toBe(42);
      gelu_f32(n, ptr(x), ptr(x));
      for (let i = 0; i < n; i++) expect<f32>(x[i]).toBe(out[i]);
    }
  });

  it("gives the same bits on the vector path and the scalar tail", () => {
    const n = 40;
    const x = spread(n, 99), all = zerosBuffer(n), one = zerosBuffer(1);
    gelu_f32(n, ptr(x), ptr(all));
    for (let i = 0; i < n; i++) {
      gelu_f32(1, ptr(x) + (<usize>i << 2), ptr(one));
      expect<f32>(one[0]).toBe(all[i]);
    }
  });
});

describe("gelu_backward_f32", () => {
  it("has slope 1/2 at 0, 1 for large x, 0 for large −x, and stays finite for huge |x|", () => {
    const x = new StaticArray<f32>(5), dy = new StaticArray<f32>(5), dx = new StaticArray<f32>(5);
    x[0] = 0; x[1] = 12; x[2] = -12; x[3] = 1e30; x[4] = -1e30;
    for (let i = 0; i < 5; i++) dy[i] = 2;
    gelu_backward_f32(5, ptr(x), ptr(dy), ptr(dx));
    expect<f32>(dx[0]).toBe(1);
    expect<f32>(dx[1]).toBe(2);
    expect<f32>(dx[2]).toBe(0);
    expect<f32>(dx[3]).toBe(2);
    expect<f32>(dx[4]).toBe(0);
  });

  it("matches dy·gelu'(x) in f64 on ragged sizes, with dx == dy, writing exactly n values", () => {
    for (let si = 0; si < SIZES.length; si++) {
      const n = SIZES[si];
      const x = spread(n + 1, <u32>si + 50), dy = spread(n + 1, <u32>si + 80), dx = zerosBuffer(n + 1);
      dx[n] = 42;
      gelu_backward_f32(n, ptr(x), ptr(dy), ptr(dx));
      for (let i = 0; i < n; i++) {
        // s + x·s(1 − s)·2u' partly cancels for x < 0: the error is absolute there, about 1e-6 per unit of dy.
        const want = <f64>dy[i] * geluGrad64(<f64>x[i]);
        expect<bool>(near(dx[i], want, 1e-5, 1e-6 * Math.abs(<f64>dy[i]))).toBe(true);
      }
      expect<f32>(dx[n]).toBe(42);
      gelu_backward_f32(n, ptr(x), ptr(dy), ptr(dy));
      for (let i = 0; i < n; i++) expect<f32>(dy[i]).toBe(dx[i]);
    }
  });

  it("agrees with central differences of gelu_f32", () => {
    const n = 33;
    const x = spread(n, 7), dy = zerosBuffer(n), dx = zerosBuffer(n);
    for (let i = 0; i < n; i++) dy[i] = 1;
    gelu_backward_f32(n, ptr(x), ptr(dy), ptr(dx));
    const xp = zerosBuffer(1), yp = zerosBuffer(1), ym = zerosBuffer(1);
    for (let i = 0; i < n; i++) {
      const eps: f32 = 1e-2;
      xp[0] = x[i] + eps;
      gelu_f32(1, ptr(xp), ptr(yp));
      xp[0] = x[i] - eps;
      gelu_f32(1, ptr(xp), ptr(ym));
      const fd = (<f64>yp[0] - <f64>ym[0]) / (<f64>(x[i] + eps) - <f64>(x[i] - eps));
      expect<bool>(Math.abs(fd - <f64>dx[i]) < 1e-3).toBe(true);
    }
  });
});
