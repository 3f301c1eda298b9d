import {
  dot_f32, scale_f32, fill_f32, add_f32, sub_f32, mul_f32, sum_f32, max_f32,
  add_row_f32, sum_rows_f32,
} from "../../assembly/blas";
import { patternBuffer, zerosBuffer, ptr } from "./helpers/buffers";

// Sizes around the vector width and the 16-wide unroll, so every tail path runs.
const SIZES: i32[] = [0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 33, 65];

describe("build", () => {
  it("compiles the specs with SIMD enabled, so the vector paths are the ones tested", () => {
    expect<bool>(ASC_FEATURE_SIMD).toBe(true);
  });
});

describe("dot_f32", () => {
  it("equals the scalar sum of products on every tail length", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = patternBuffer(n, 1), y = patternBuffer(n, 2);
      let want: f32 = 0;
      for (let i = 0; i < n; i++) want += x[i] * y[i];
      expect<f32>(dot_f32(n, ptr(x), ptr(y))).toBe(want);
    }
  });
  it("computes a hand example", () => {
    const x = new StaticArray<f32>(3), y = new StaticArray<f32>(3);
    x[0] = 1; x[1] = 2; x[2] = 3; y[0] = 4; y[1] = -5; y[2] = 6;
    expect<f32>(dot_f32(3, ptr(x), ptr(y))).toBe(12); // 4 - 10 + 18
  });
});

describe("scale / fill", () => {
  it("scale multiplies in place", () => {
    const x = patternBuffer(17, 5);
    const copy = patternBuffer(17, 5);
    scale_f32(17, -0.5, ptr(x), ptr(x));
    for (let i = 0; i < 17; i++) expect<f32>(x[i]).toBe(-0.5 * copy[i]);
  });
  it("fill writes exactly n values", () => {
    const x = zerosBuffer(10);
    fill_f32(9, 3.5, ptr(x));
    for (let i = 0; i < 9; i++) expect<f32>(x[i]).toBe(3.5);
    expect<f32>(x[9]).toBe(0);
  });
});

describe("elementwise add / sub / mul", () => {
  it("match scalar arithmetic on ragged sizes", () => {
    for (let s = 0; s < SIZES.length; s++) {
      const n = SIZES[s];
      const a = patternBuffer(n, 6), b = patternBuffer(n, 7);
      const o1 = zerosBuffer(n), o2 = zerosBuffer(n), o3 = zerosBuffer(n);
      add_f32(n, ptr(a), ptr(b), ptr(o1));
      sub_f32(n, ptr(a), ptr(b), ptr(o2));
      mul_f32(n, ptr(a), ptr(b), ptr(o3));
      for (let i = 0; i < n; i++) {
        expect<f32>(o1[i]).toBe(a[i] + b[i]);
        expect<f32>(o2[i]).toBe(a[i] - b[i]);
        expect<f32>(o3[i]).toBe(a[i] * b[i]);
      }
    }
  });
});

describe("reductions", () => {
  it("sum and max agree with scalar loops", () => {
    for (let s = 1; s < SIZES.length; s++) {
      const n = SIZES[s];
      const x = patternBuffer(n, 8);
      let want: f32 = 0, wantMax: f32 = -Infinity;
      for (let i = 0; i < n; i++) { want += x[i]; wantMax = max(wantMax, x[i]); }
      expect<f32>(sum_f32(n, ptr(x))).toBe(want);
      expect<f32>(max_f32(n, ptr(x))).toBe(wantMax);
    }
  });
  it("max finds a maximum placed in the scalar tail", () => {
    const x = patternBuffer(7, 1);
    x[6] = 100;
    expect<f32>(max_f32(7, ptr(x))).toBe(100);
  });
});

describe("row broadcast and column sums", () => {
  it("add_row adds the row vector to each row of a strided matrix", () => {
    const m = 3, n = 5, ld = 7;
    const x = patternBuffer(m * ld, 9), row = patternBuffer(n, 10), out = zerosBuffer(m * ld);
    add_row_f32(m, n, ptr(x), ld, ptr(row), ptr(out), ld);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < ld; j++) {
        expect<f32>(out[i * ld + j]).toBe(j < n ? x[i * ld + j] + row[j] : 0);
      }
    }
  });
  it("sum_rows gives the bias gradient (sum over the batch)", () => {
    const m = 5, n = 6, ld = 9;
    const x = patternBuffer(m * ld, 11), out = patternBuffer(n, 1);
    sum_rows_f32(m, n, ptr(x), ld, ptr(out));
    for (let j = 0; j < n; j++) {
      let want: f32 = 0;
      for (let i = 0; i < m; i++) want += x[i * ld + j];
      expect<f32>(out[j]).toBe(want);
    }
  });
});
