import { split_heads_f32, merge_heads_f32 } from "../../assembly/layout";
import { zerosBuffer, ptr } from "./helpers/buffers";

/** A value that encodes its coordinates: 1000b + 100t + 10h + d. */
function code(bi: i32, ti: i32, hi: i32, di: i32): f32 {
  const v: i32 = 1000 * bi + 100 * ti + 10 * hi + di;
  return <f32>v;
}

describe("split_heads / merge_heads", () => {
  it("moves [B,T,H,D] (strided rows) to [B,H,T,D] and back", () => {
    const b = 2, t = 3, h = 2, d = 3, stride = 3 * h * d; // rows of a fused QKV projection
    const src = zerosBuffer(b * t * stride);
    for (let bi = 0; bi < b; bi++) for (let ti = 0; ti < t; ti++) for (let hi = 0; hi < h; hi++) for (let di = 0; di < d; di++) {
      src[(bi * t + ti) * stride + hi * d + di] = code(bi, ti, hi, di);
    }
    const split = zerosBuffer(b * h * t * d);
    split_heads_f32(b, t, h, d, ptr(src), stride, ptr(split));
    for (let bi = 0; bi < b; bi++) for (let hi = 0; hi < h; hi++) for (let ti = 0; ti < t; ti++) for (let di = 0; di < d; di++) {
      expect<f32>(split[((bi * h + hi) * t + ti) * d + di]).toBe(code(bi, ti, hi, di));
    }
    const merged = zerosBuffer(b * t * (h * d + 1));
    merge_heads_f32(b, t, h, d, ptr(split), ptr(merged), h * d + 1);
    for (let bi = 0; bi < b; bi++) for (let ti = 0; ti < t; ti++) {
      for (let c = 0; c < h * d; c++) expect<f32>(merged[(bi * t + ti) * (h * d + 1) + c]).toBe(src[(bi * t + ti) * stride + c]);
      expect<f32>(merged[(bi * t + ti) * (h * d + 1) + h * d]).toBe(0); // the padding column is untouched
    }
  });
});
