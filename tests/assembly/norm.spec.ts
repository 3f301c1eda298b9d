import { layernorm_f32, layernorm_backward_f32 } from "../../assembly/norm";
import { zerosBuffer, ptr, randomBuffer } from "./helpers/buffers";

const COLS: i32[] = [1, 2, 3, 4, 5, 7, 8, 9, 17, 33, 65, 129];

function near(got: f32, want: f64, rel: f64, abs: f64): bool {
  return Math.abs(<f64>got - want) <= rel * Math.abs(want) + abs;
}

/** f64 statistics of row i: [mean, rstd]. */
function rowStats(x: StaticArray<f32>, i: i32, cols: i32, eps: f64): StaticArray<f64> {
  let m: f64 = 0;
  for (let j = 0; j < cols; j++) m += <f64>x[i * cols + j];
  m /= cols;
  let v: f64 = 0;
  for (let j = 0; j < cols; j++) v += (<f64>x[i * cols + j] - m) * (<f64>x[i * cols + j] - m);
  v /= cols;
  const out = new StaticArray<f64>(2);
  out[0] = m;
  out[1] = 1.0 / Math.sqrt(v + eps);
  return out;
}

describe("layernorm_f32", () => {
  it("normalizes a hand row: [1, 2, 3, 4] → (x − 2.5)/√1.25, then ·gamma + beta", () => {
    const x = new StaticArray<f32>(4), g = new StaticArray<f32>(4), b = new StaticArray<f32>(4);
    const out = new StaticArray<f32>(4), mean = new StaticArray<f32>(1), rstd = new StaticArray<f32>(1);
    for (let j = 0; j < 4; j++) { x[j] = <f32>(j + 1); g[j] = 2; b[j] = <f32>j; }
    layernorm_f32(1, 4, ptr(x), ptr(g), ptr(b), ptr(out), ptr(mean), ptr(rstd), 0);
    expect<f32>(mean[0]).toBe(2.5);
    expect<bool>(near(rstd[0], 1.0 / Math.sqrt(1.25), 1e-6, 0)).toBe(true);
    for (let j = 0; j < 4; j++) {
      expect<bool>(near(out[j], 2.0 * (<f64>(j + 1) - 2.5) / Math.sqrt(1.25) + <f64>j, 1e-6, 1e-6)).toBe(true);
    }
  });

  it("gives beta for a constant row (rstd = 1/√eps) and handles cols = 0 without writing", () => {
    const x = new StaticArray<f32>(5), g = new StaticArray<f32>(5), b = new StaticArray<f32>(5);
    const out = new StaticArray<f32>(5), mean = new StaticArray<f32>(1), rstd = new StaticArray<f32>(1);
    for (let j = 0; j < 5; j++) { x[j] = 3; g[j] = 1; b[j] = <f32>j; }
    layernorm_f32(1, 5, ptr(x), ptr(g), ptr(b), ptr(out), ptr(mean), ptr(rstd), 1e-5);
    for (let j = 0; j < 5; j++) expect<f32>(out[j]).toBe(<f32>j);
    expect<bool>(near(rstd[0], 1.0 / Math.sqrt(1e-5), 1e-6, 0)).toBe(true);
    out[0] = 42;
    layernorm_f32(3, 0, ptr(x), ptr(g), ptr(b), ptr(out), ptr(mean), ptr(rstd), 0.25);
    expect<f32>(out[0]).toBe(42);
    expect<f32>(mean[0]).toBe(0);
    expect<f32>(rstd[0]).toBe(2);
  });

  it("matches f64 on ragged widths, rows far from 0, with and without saved stats, in place", () => {
    for (let ci = 0; ci < COLS.length; ci++) {
      const cols = COLS[ci], rows = 3;
      const n = rows * cols;
      const offset: f32 = ci % 2 == 0 ? 0 : 100;
      const x = randomBuffer(n, <u32>ci + 1, 2, offset);
      const g = randomBuffer(cols, <u32>ci + 40, 1, 1), b = randomBuffer(cols, <u32>ci + 80, 1, 0);
      const out = zerosBuffer(n + 1), mean = zerosBuffer(rows + 1), rstd = zerosBuffer(rows + 1);
      out[n] = 42; mean[rows] = 42; rstd[rows] = 42;
      layernorm_f32(rows, cols, ptr(x), ptr(g), ptr(b), ptr(out), ptr(mean), ptr(rstd), 1e-5);
      for (let i = 0; i < rows; i++) {
        const st = rowStats(x, i, cols, 1e-5);
        expect<bool>(near(mean[i], st[0], 1e-6, 1e-6)).toBe(true);
        expect<bool>(near(rstd[i], st[1], 1e-5, 0)).toBe(true);
        for (let j = 0; j < cols; j++) {
          const want = (<f64>x[i * cols + j] - st[0]) * st[1] * <f64>g[j] + <f64>b[j];
          // x − mean in f32 is off by about an ulp of |x| (the f64 reference is not), amplified by rstd·|gamma|.
          const tol = 1e-6 + 2.4e-7 * (<f64>offset + 2) * st[1] * Math.abs(<f64>g[j]);
          expect<bool>(near(out[i * cols + j], want, 1e-5, tol)).toBe(true);
        }
      }
      expect<f32>(out[n]).toBe(42);
      expect<f32>(mean[rows]).toBe(42);
      expect<f32>(rstd[rows]).toBe(42);
      layernorm_f32(rows, cols, ptr(x), ptr(g), ptr(b), ptr(x), 0, 0, 1e-5);
      for (let i = 0; i < n; i++) expect<f32>(x[i]).toBe(out[i]);
    }
  });
});

describe("layernorm_backward_f32", () => {
  it("matches f64 on ragged widths, overwrites dgamma and dbeta, allows dx == dy", () => {
    for (let ci = 0; ci < COLS.length; ci++) {
      const cols = COLS[ci], rows = 5;
      const n = rows * cols;
      const x = randomBuffer(n, <u32>ci + 7, 2, 0.5), dy = randomBuffer(n, <u32>ci + 9, 1, 0);
      const g = randomBuffer(cols, <u32>ci + 11, 1, 1), b = randomBuffer(cols, <u32>ci + 13, 1, 0);
      const out = zerosBuffer(n), mean = zerosBuffer(rows), rstd = zerosBuffer(rows);
      layernorm_f32(rows, cols, ptr(x), ptr(g), ptr(b), ptr(out), ptr(mean), ptr(rstd), 1e-5);
      const dx = zerosBuffer(n + 1), dg = zerosBuffer(cols + 1), db = zerosBuffer(cols + 1);
      for (let j = 0; j < cols; j++) { dg[j] = 99; db[j] = -99; } // stale values must be overwritten
      dx[n] = 42; dg[cols] = 42; db[cols] = 42;
      layernorm_backward_f32(rows, cols, ptr(dy), ptr(x), ptr(g), ptr(mean), ptr(rstd), ptr(dx), ptr(dg), ptr(db));
      const wantDg = new StaticArray<f64>(cols), wantDb = new StaticArray<f64>(cols);
      for (let i = 0; i < rows; i++) {
        const st = rowStats(x, i, cols, 1e-5);
        let sg: f64 = 0, sgx: f64 = 0;
        for (let j = 0; j < cols; j++) {
          const xh = (<f64>x[i * cols + j] - st[0]) * st[1];
          const gg = <f64>dy[i * cols + j] * <f64>g[j];
          sg += gg; sgx += gg * xh;
          wantDg[j] += <f64>dy[i * cols + j] * xh;
          wantDb[j] += <f64>dy[i * cols + j];
        }
        for (let j = 0; j < cols; j++) {
          const xh = (<f64>x[i * cols + j] - st[0]) * st[1];
          const want = st[1] * (<f64>dy[i * cols + j] * <f64>g[j] - sg / cols - xh * sgx / cols);
          expect<bool>(near(dx[i * cols + j], want, 1e-4, 1e-5)).toBe(true);
        }
      }
      for (let j = 0; j < cols; j++) {
        expect<bool>(near(dg[j], wantDg[j], 1e-5, 1e-5)).toBe(true);
        expect<bool>(near(db[j], wantDb[j], 1e-5, 1e-5)).toBe(true);
      }
      expect<f32>(dx[n]).toBe(42);
      expect<f32>(dg[cols]).toBe(42);
      expect<f32>(db[cols]).toBe(42);
      layernorm_backward_f32(rows, cols, ptr(dy), ptr(x), ptr(g), ptr(mean), ptr(rstd), ptr(dy), ptr(dg), ptr(db));
      for (let i = 0; i < n; i++) expect<f32>(dy[i]).toBe(dx[i]);
    }
  });

  it("gives dx summing to 0 per row (layernorm is shift invariant)", () => {
    const rows = 4, cols = 37;
    const x = randomBuffer(rows * cols, 3, 3, 0), dy = randomBuffer(rows * cols, 4, 1, 0);
    const g = randomBuffer(cols, 5, 1, 1), b = zerosBuffer(cols);
    const out = zerosBuffer(rows * cols), mean = zerosBuffer(rows), rstd = zerosBuffer(rows);
    layernorm_f32(rows, cols, ptr(x), ptr(g), ptr(b), ptr(out), ptr(mean), ptr(rstd), 1e-5);
    const dx = zerosBuffer(rows * cols), dg = zerosBuffer(cols), db = zerosBuffer(cols);
    layernorm_backward_f32(rows, cols, ptr(dy), ptr(x), ptr(g), ptr(mean), ptr(rstd), ptr(dx), ptr(dg), ptr(db));
    for (let i = 0; i < rows; i++) {
      let s: f64 = 0;
      for (let j = 0; j < cols; j++) s += <f64>dx[i * cols + j];
      expect<bool>(Math.abs(s) < 1e-5).toBe(true);
    }
  });
});
