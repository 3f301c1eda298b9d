import { decode_dense_f32, decode_pack_panels_f32, decode_panels_size } from "../../assembly/decode";
import { gemm_bias_act_f32, gemm_scratch_bytes } from "../../assembly/gemm";
import { ACT_GELU, ACT_LINEAR, ACT_RELU, EPILOGUE_SAVE_GRAD } from "../../assembly/activations";
import { ptr } from "./helpers/buffers";

// The packed m = 1 Dense of cached decoding (assembly/decode.ts) against the GEMM path it stands in for,
// gemm_bias_act_f32 with m = 1 (gemv_t + the epilogue), bit for bit. Values are irregular (not multiples of a
// power of two), so a sum taken in another order or with another rounding shows up in the last bits. Widths cover
// full 32-column panels and every tail after them (16-, 4- and 1-wide), the row stride is wider than the matrix,
// and guards after the panels and around the output must stay untouched.

const LEN: i32[] = [1, 3, 17, 31, 32, 33, 65, 129, 150];
const K: i32[] = [1, 2, 3, 17, 64, 129];
const ACTS: i32[] = [ACT_LINEAR, ACT_RELU, ACT_GELU];
const GUARD: i32 = 8;
const SENTINEL: f32 = -77.25;

const scratchBuf = new StaticArray<f32>(<i32>(gemm_scratch_bytes() >> 2) + 4);
const scratch: usize = (ptr(scratchBuf) + 15) & ~(<usize>15);

function irregular(n: i32, seed: i32): StaticArray<f32> {
  const b = new StaticArray<f32>(max(n, 1));
  let s: u32 = <u32>(seed * 2654435761 + 12345);
  for (let i = 0; i < n; i++) {
    s = s * 1664525 + 1013904223;
    b[i] = <f32>((<f64>(s >> 8) / 16777216.0 - 0.5) * 1.7);
  }
  return b;
}

function guarded(n: i32): StaticArray<f32> {
  const b = new StaticArray<f32>(2 * GUARD + n);
  for (let i = 0; i < b.length; i++) b[i] = SENTINEL;
  return b;
}

function at(b: StaticArray<f32>): usize {
  return ptr(b) + (<usize>GUARD << 2);
}

/** Mismatches of one case; poison: NaN over the matrix's full 32-column blocks after packing (they must not be read). */
function mismatches(len: i32, k: i32, act: i32, withBias: bool, poison: bool): i32 {
  const ldm = len + 5;
  const mat = irregular(k * ldm, len * 31 + k);
  const x = irregular(k, 7 + k);
  const bias = irregular(len, 3 + len);
  const want = new StaticArray<f32>(max(len, 1));
  gemm_bias_act_f32(0, 0, 1, len, k, ptr(x), k, ptr(mat), ldm, withBias ? ptr(bias) : 0, act, ptr(want), len, scratch, 0);

  const size = decode_panels_size(len, k);
  const panels = guarded(size);
  decode_pack_panels_f32(len, k, ptr(mat), ldm, at(panels));
  if (poison) for (let p = 0; p < k; p++) for (let j = 0; j < (len >> 5 << 5); j++) mat[p * ldm + j] = NaN;
  const out = guarded(len);
  decode_dense_f32(len, k, ptr(x), at(panels), ptr(mat), ldm, withBias ? ptr(bias) : 0, act, at(out));

  let bad = 0;
  for (let j = 0; j < len; j++) if (reinterpret<u32>(out[GUARD + j]) != reinterpret<u32>(want[j])) bad++;
  for (let g = 0; g < GUARD; g++) {
    if (out[g] != SENTINEL || out[out.length - 1 - g] != SENTINEL) bad++;
    if (panels[g] != SENTINEL || panels[panels.length - 1 - g] != SENTINEL) bad++;
  }
  return bad;
}

describe("decode_dense_f32", () => {
  it("gives gemm_bias_act_f32's m = 1 results bit for bit on full panels and every tail", () => {
    let cases = 0;
    for (let li = 0; li < LEN.length; li++) for (let ki = 0; ki < K.length; ki++) for (let ai = 0; ai < ACTS.length; ai++) {
      for (let withBias = 0; withBias < 2; withBias++) {
        const bad = mismatches(LEN[li], K[ki], ACTS[ai], withBias == 1, false);
        if (bad != 0) trace("mismatch", 4, <f64>LEN[li], <f64>K[ki], <f64>ACTS[ai], <f64>withBias);
        expect<i32>(bad).toBe(0);
        cases++;
      }
    }
    expect<i32>(cases).toBe(LEN.length * K.length * ACTS.length * 2);
  });

  it("reads the full blocks from the panels, not the matrix (NaN there after packing changes nothing)", () => {
    for (let li = 0; li < LEN.length; li++) for (let ki = 0; ki < K.length; ki++) {
      expect<i32>(mismatches(LEN[li], K[ki], ACT_GELU, true, true)).toBe(0);
    }
  });

  it("panel sizes: full 32-column blocks only, nothing for an empty matrix", () => {
    expect<i32>(decode_panels_size(31, 9)).toBe(0);
    expect<i32>(decode_panels_size(32, 9)).toBe(32 * 9);
    expect<i32>(decode_panels_size(150, 3)).toBe(128 * 3);
    expect<i32>(decode_panels_size(64, 0)).toBe(0);
    expect<i32>(decode_panels_size(0, 5)).toBe(0);
  });

  it("k = 0 writes act(bias) like the GEMM; the save-grad flag is ignored (there is no pre buffer)", () => {
    const bias = irregular(40, 1);
    const want = new StaticArray<f32>(40), out = guarded(40);
    gemm_bias_act_f32(0, 0, 1, 40, 0, 0, 0, 0, 40, ptr(bias), ACT_GELU, ptr(want), 40, scratch, 0);
    decode_dense_f32(40, 0, 0, 0, 0, 40, ptr(bias), ACT_GELU | EPILOGUE_SAVE_GRAD, at(out));
    for (let j = 0; j < 40; j++) expect<u32>(reinterpret<u32>(out[GUARD + j])).toBe(reinterpret<u32>(want[j]));
    for (let g = 0; g < GUARD; g++) expect<f32>(out[out.length - 1 - g]).toBe(SENTINEL);
    expect<bool>(want[0] != 0).toBe(true);
  });
});
