import { gemm_bias_act_f32, gemm_ref_f32, gemm_scratch_bytes } from "../../assembly/gemm";
import {
  ACT_GELU, ACT_LINEAR, ACT_RELU, ACT_SIGMOID, ACT_TANH, EPILOGUE_MUL, EPILOGUE_SAVE_GRAD, gelu_backward_f32, gelu_f32, relu_f32, sigmoid_f32,
} from "../../assembly/activations";
import { tanh_f32 } from "../../assembly/vmath";
import { fill_f32 } from "../../assembly/blas";
import { ptr } from "./helpers/buffers";

// The GEMM epilogue (bias + activation per finished tile, and the pre-activation kept for GELU's backward)
// against the naive GEMM followed by the elementwise kernels. Operands are multiples of 1/16 and k is
// small enough that every product and sum is exact in f32 in any order, so the pre-activation must equal
// the reference bit for bit, and so must the activation (the epilogue and the map kernels run the same
// vector bodies; tanh_f32's scalar tail is its own code, so tanh is compared to a few ulps). Padding of C
// and of the pre-activation buffer (row stride ldc > n) and guards around both must stay untouched.

const M: i32[] = [1, 2, 3, 5, 9, 17];
const N: i32[] = [1, 3, 8, 9, 33];
const K: i32[] = [1, 7, 300]; // 300 > one k-block: the epilogue must run once, after the last block
const ACTS: i32[] = [ACT_LINEAR, ACT_RELU, ACT_SIGMOID, ACT_TANH, ACT_GELU];
const GUARD: i32 = 8;
const SENTINEL: f32 = -77.25;

const scratchBuf = new StaticArray<f32>(<i32>(gemm_scratch_bytes() >> 2) + 4);
const scratch: usize = (ptr(scratchBuf) + 15) & ~(<usize>15);

function val(i: i32, seed: i32): f32 {
  return <f32>(((i * 7 + seed * 5) % 13) - 6) * 0.0625;
}

function filled(n: i32, seed: i32): StaticArray<f32> {
  const b = new StaticArray<f32>(max(n, 1));
  for (let i = 0; i < n; i++) b[i] = val(i, seed);
  return b;
}

function guarded(rows: i32, ld: i32): StaticArray<f32> {
  const b = new StaticArray<f32>(2 * GUARD + rows * ld);
  for (let i = 0; i < b.length; i++) b[i] = SENTINEL;
  return b;
}

function at(b: StaticArray<f32>): usize {
  return ptr(b) + (<usize>GUARD << 2);
}

function activate(act: i32, n: i32, x: usize, out: usize): void {
  if (act == ACT_RELU) relu_f32(n, x, out);
  else if (act == ACT_SIGMOID) sigmoid_f32(n, x, out);
  else if (act == ACT_TANH) tanh_f32(n, x, out);
  else if (act == ACT_GELU) gelu_f32(n, x, out);
  else for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), load<f32>(x + (<usize>i << 2)));
}

/**
 * Mismatches of one case: pre and out against the reference, and any write outside the m×n windows. saveGrad adds
 * EPILOGUE_SAVE_GRAD: for GELU, pre must then hold gelu'(z) with the bits of gelu_backward_f32(z, dy = 1); for the
 * other activations the flag is dropped and pre holds z.
 */
function mismatches(m: i32, n: i32, k: i32, act: i32, withBias: bool, saveGrad: bool = false): i32 {
  const ldc = n + 3;
  const a = filled(m * k, 1);
  const b = filled(k * n, 2);
  const bias = filled(n, 3);
  const c = guarded(m, ldc);
  const pre = guarded(m, ldc);
  fill_f32(<i32>(gemm_scratch_bytes() >> 2), NaN, scratch);
  gemm_bias_act_f32(0, 0, m, n, k, ptr(a), k, ptr(b), n, withBias ? ptr(bias) : 0, act | (saveGrad ? EPILOGUE_SAVE_GRAD : 0), at(c), ldc, scratch, at(pre));

  // Reference: exact z = A·B + bias, then the elementwise kernel over z.
  const z = new StaticArray<f32>(m * n);
  gemm_ref_f32(0, 0, m, n, k, 1, ptr(a), k, ptr(b), n, 0, ptr(z), n);
  if (withBias) for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) z[i * n + j] += bias[j];
  const want = new StaticArray<f32>(m * n);
  activate(act, m * n, ptr(z), ptr(want));
  const wantPre = new StaticArray<f32>(m * n);
  if (saveGrad && act == ACT_GELU) {
    const ones = new StaticArray<f32>(m * n);
    for (let i = 0; i < m * n; i++) ones[i] = 1;
    gelu_backward_f32(m * n, ptr(z), ptr(ones), ptr(wantPre));
  } else {
    for (let i = 0; i < m * n; i++) wantPre[i] = z[i];
  }

  let bad = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const p = GUARD + i * ldc + j;
      if (j >= n) {
        if (c[p] != SENTINEL || pre[p] != SENTINEL) bad++;
        continue;
      }
      if (reinterpret<u32>(pre[p]) != reinterpret<u32>(wantPre[i * n + j])) bad++;
      const w = want[i * n + j];
      if (act == ACT_TANH) {
        if (Math.abs(<f64>c[p] - <f64>w) > 4e-7 * Math.abs(<f64>w) + 1e-12) bad++;
      } else if (reinterpret<u32>(c[p]) != reinterpret<u32>(w)) bad++;
    }
  }
  for (let g = 0; g < GUARD; g++) {
    if (c[g] != SENTINEL || pre[g] != SENTINEL || c[c.length - 1 - g] != SENTINEL || pre[pre.length - 1 - g] != SENTINEL) bad++;
  }
  return bad;
}

/**
 * Mismatches of one EPILOGUE_MUL case: C = (op(A)·op(B) + bias) ⊙ g with g (row stride ldc, like C) only read. z is
 * exact (see the header), so each element must be the one f32 product z·g; g, the padding and the guards unchanged.
 */
function mulMismatches(m: i32, n: i32, k: i32, transB: i32, withBias: bool): i32 {
  const ldc = n + 3;
  const a = filled(m * k, 1);
  const b = filled(k * n, 2);
  const bias = filled(n, 3);
  const c = guarded(m, ldc);
  const g = guarded(m, ldc);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) g[GUARD + i * ldc + j] = val(i * 31 + j, 4) * 1.375;
  fill_f32(<i32>(gemm_scratch_bytes() >> 2), NaN, scratch);
  gemm_bias_act_f32(0, transB, m, n, k, ptr(a), k, ptr(b), transB ? k : n, withBias ? ptr(bias) : 0, EPILOGUE_MUL, at(c), ldc, scratch, at(g));
  const z = new StaticArray<f32>(m * n);
  gemm_ref_f32(0, transB, m, n, k, 1, ptr(a), k, ptr(b), transB ? k : n, 0, ptr(z), n);
  let bad = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < ldc; j++) {
      const p = GUARD + i * ldc + j;
      if (j >= n) {
        if (c[p] != SENTINEL || g[p] != SENTINEL) bad++;
        continue;
      }
      const gv = val(i * 31 + j, 4) * 1.375;
      if (g[p] != gv) bad++;
      const want: f32 = (z[i * n + j] + (withBias ? bias[j] : 0)) * gv;
      if (reinterpret<u32>(c[p]) != reinterpret<u32>(want)) bad++;
    }
  }
  for (let q = 0; q < GUARD; q++) {
    if (c[q] != SENTINEL || g[q] != SENTINEL || c[c.length - 1 - q] != SENTINEL || g[g.length - 1 - q] != SENTINEL) bad++;
  }
  return bad;
}

describe("gemm_bias_act_f32 epilogue", () => {
  it("applies bias and every activation code like the elementwise kernels, and keeps the exact pre-activation", () => {
    let cases = 0;
    for (let mi = 0; mi < M.length; mi++) for (let ni = 0; ni < N.length; ni++) for (let ki = 0; ki < K.length; ki++) {
      for (let ai = 0; ai < ACTS.length; ai++) {
        for (let withBias = 0; withBias < 2; withBias++) {
          const bad = mismatches(M[mi], N[ni], K[ki], ACTS[ai], withBias == 1);
          if (bad != 0) trace("mismatch", 5, <f64>M[mi], <f64>N[ni], <f64>K[ki], <f64>ACTS[ai], <f64>withBias);
          expect<i32>(bad).toBe(0);
          cases++;
        }
      }
    }
    expect<i32>(cases).toBe(M.length * N.length * K.length * ACTS.length * 2);
  });

  it("EPILOGUE_MUL: C = (op(A)·op(B) + bias) ⊙ g, one f32 product per element, g read only", () => {
    let cases = 0;
    for (let mi = 0; mi < M.length; mi++) for (let ni = 0; ni < N.length; ni++) for (let ki = 0; ki < K.length; ki++) {
      for (let tb = 0; tb < 2; tb++) {
        const bad = mulMismatches(M[mi], N[ni], K[ki], tb, (mi + ki) % 2 == 0);
        if (bad != 0) trace("mul mismatch", 4, <f64>M[mi], <f64>N[ni], <f64>K[ki], <f64>tb);
        expect<i32>(bad).toBe(0);
        cases++;
      }
    }
    expect<i32>(cases).toBe(M.length * N.length * K.length * 2);
  });

  it("EPILOGUE_SAVE_GRAD: GELU keeps gelu'(z) with gelu_backward_f32's bits; other activations ignore the flag", () => {
    let cases = 0;
    for (let mi = 0; mi < M.length; mi++) for (let ni = 0; ni < N.length; ni++) for (let ki = 0; ki < K.length; ki++) {
      for (let ai = 0; ai < ACTS.length; ai++) {
        const bad = mismatches(M[mi], N[ni], K[ki], ACTS[ai], ki % 2 == 0, true);
        if (bad != 0) trace("save-grad mismatch", 4, <f64>M[mi], <f64>N[ni], <f64>K[ki], <f64>ACTS[ai]);
        expect<i32>(bad).toBe(0);
        cases++;
      }
    }
    expect<i32>(cases).toBe(M.length * N.length * K.length * ACTS.length);
  });

  it("EPILOGUE_SAVE_GRAD by hand: gelu'(1) = 1.0829640, gelu'(−2) = −0.0860993", () => {
    const a = new StaticArray<f32>(2), b = new StaticArray<f32>(2), c = new StaticArray<f32>(4), g = new StaticArray<f32>(4);
    a[0] = 1; a[1] = -1; b[0] = 1; b[1] = 2;
    gemm_bias_act_f32(0, 0, 2, 2, 1, ptr(a), 1, ptr(b), 2, 0, ACT_GELU | EPILOGUE_SAVE_GRAD, ptr(c), 2, scratch, ptr(g));
    expect<bool>(Math.abs(<f64>g[0] - 1.0829640838457826) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>g[3] - -0.08609925662361825) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>c[0] - 0.8411919906082768) < 1e-6).toBe(true);
  });

  it("GELU of hand values through the epilogue: 1·1 → 0.8411920, 1·(−1) → −0.1588080", () => {
    const a = new StaticArray<f32>(2), b = new StaticArray<f32>(2), c = new StaticArray<f32>(4), pre = new StaticArray<f32>(4);
    a[0] = 1; a[1] = -1; b[0] = 1; b[1] = 2;
    gemm_bias_act_f32(0, 0, 2, 2, 1, ptr(a), 1, ptr(b), 2, 0, ACT_GELU, ptr(c), 2, scratch, ptr(pre));
    expect<f32>(pre[0]).toBe(1);
    expect<f32>(pre[3]).toBe(-2);
    expect<bool>(Math.abs(<f64>c[0] - 0.8411919906082768) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>c[2] - -0.15880800939172324) < 1e-6).toBe(true);
    expect<bool>(Math.abs(<f64>c[3] - -0.04540230591222) < 1e-6).toBe(true);
  });

  it("pre = 0 writes no pre-activation anywhere (the callers that pass none)", () => {
    const a = filled(15, 1), b = filled(15, 2), c = guarded(3, 5);
    gemm_bias_act_f32(0, 0, 3, 5, 5, ptr(a), 5, ptr(b), 5, 0, ACT_GELU, at(c), 5, scratch, 0);
    for (let g = 0; g < GUARD; g++) expect<f32>(c[g]).toBe(SENTINEL);
    gemm_bias_act_f32(0, 0, 3, 5, 5, ptr(a), 5, ptr(b), 5, 0, ACT_GELU | EPILOGUE_SAVE_GRAD, at(c), 5, scratch, 0);
    for (let g = 0; g < GUARD; g++) expect<f32>(c[g]).toBe(SENTINEL);
  });
});
