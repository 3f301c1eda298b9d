// GEMM tuning bench: GFLOP/s medians of gemm_f32 (SIMD and scalar builds) and gemm_ref_f32, each
// next to the Wasm SIMD128 ceiling sampled in the same run, interleaved with it.
//
//   node bench/tools/gemm-tune.mjs                         # full table: squares, MLP shapes × 4 transposes
//   node bench/tools/gemm-tune.mjs --quick                 # n = 256, 512 and the MLP shapes, SIMD build only
//   node bench/tools/gemm-tune.mjs --small                 # small / skinny shapes (m = 1, tiny k) vs gemm_ref
//   node bench/tools/gemm-tune.mjs --ab=/tmp/x.wasm        # A/B: build/simdnet.wasm vs another SIMD build
//   options: --simd=PATH --scalar=PATH (builds to measure), --rounds=N (samples per row, default 7)
//
// The machine is shared, so every row is measured round-robin: one batch (≈ 10 ms) of each
// contender per round (ceiling loop, SIMD gemm, scalar gemm, gemm_ref), and medians over the rounds
// are reported. Load from other processes then hits all contenders alike, and "%ceil" compares
// numbers taken within the same few hundred milliseconds.
// Each instance gets its own WebAssembly.Memory ({ env: { memory } }); operands live above heap_base().

import { readFileSync } from "node:fs";
import os from "node:os";
import { fileURLToPath } from "node:url";
import v8 from "node:v8";
import binaryen from "binaryen";

// Compile straight to optimized code (TurboFan), so no sample is taken from the baseline (Liftoff)
// tier before V8's dynamic tier-up kicks in: this is the steady state of a long-running host.
v8.setFlagsFromString("--no-liftoff");

const root = fileURLToPath(new URL("../..", import.meta.url));
const args = Object.fromEntries(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, "").split("=");
  return [k, v ?? true];
}));
const ROUNDS = Number(args.rounds ?? 7);
const BATCH_MS = 10;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x) => (x === undefined ? "-" : x.toFixed(2));

// ---- the ceiling: independent f32x4 mul+add chains in a hand-written module ----
// Chain i: x_i = x_i·m ; acc_i = acc_i + x_i. Both the multiply and the add are loop-carried, so V8
// can neither hoist nor merge them (with a loop-invariant product, x_i·m, TurboFan hoists the
// multiply out of the loop and the "ceiling" silently measures adds only: check with
// `node --no-liftoff --print-wasm-code`). m = 1.0 arrives as a run-time parameter, so values stay
// normal. 8 flops per chain and iteration (4 lanes × mul + add). Two v128 locals per chain: more
// than 7 chains spill on x64 (15 usable xmm registers) and measure the spills instead.

function ceilingModule(chains) {
  const locals = Array.from({ length: chains }, (_, i) => `(local $a${i} v128) (local $x${i} v128)`).join(" ");
  const init = Array.from({ length: chains }, (_, i) =>
    `(local.set $a${i} (f32x4.splat (f32.const ${1 + i * 0.001})))
     (local.set $x${i} (f32x4.splat (f32.const ${0.5 + i * 0.001})))`).join("\n");
  const body = Array.from({ length: chains }, (_, i) =>
    `(local.set $x${i} (f32x4.mul (local.get $x${i}) (local.get $m)))
     (local.set $a${i} (f32x4.add (local.get $a${i}) (local.get $x${i})))`).join("\n");
  const sum = Array.from({ length: chains }, (_, i) => `(local.get $a${i})`)
    .reduce((acc, x) => (acc ? `(f32x4.add ${acc} ${x})` : x), "");
  const wat = `(module
    (func (export "run") (param $n i32) (param $mf f32) (result f32)
      (local $m v128) ${locals}
      (local.set $m (f32x4.splat (local.get $mf)))
      ${init}
      (loop $l
        ${body}
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br_if $l (local.get $n)))
      (f32x4.extract_lane 0 ${sum})))`;
  const mod = binaryen.parseText(wat);
  mod.setFeatures(binaryen.Features.MVP | binaryen.Features.SIMD128);
  if (!mod.validate()) throw new Error("ceiling module invalid");
  const bytes = mod.emitBinary();
  mod.dispose();
  const run = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.run;
  return { name: `ceiling(${chains})`, call: () => run(100_000, 1.0), flops: 100_000 * chains * 8 };
}

// ---- samplers: a call, its flop count, and a batch size calibrated to ≈ BATCH_MS ----

function sampler(name, call, flops) {
  call();
  let t0 = performance.now();
  call();
  const once = Math.max(performance.now() - t0, 1e-3);
  const reps = Math.max(1, Math.round(BATCH_MS / once));
  return {
    name, slow: once > 150,
    sample() {
      const t = performance.now();
      for (let r = 0; r < reps; r++) call();
      return (flops * reps) / ((performance.now() - t) * 1e6);
    },
  };
}

/**
 * Round-robin over samplers; returns the median GFLOP/s of each (slow ones get fewer rounds).
 * `ratio(i, j)` on the result is the median over rounds of sample_i / sample_j (taken moments apart).
 */
function measure(samplers, rounds = ROUNDS) {
  const got = samplers.map(() => []);
  for (let r = 0; r < rounds; r++) {
    samplers.forEach((s, i) => { if (s && (!s.slow || r < 3)) got[i].push(s.sample()); });
  }
  const med = got.map((g) => (g.length ? median(g) : undefined));
  med.best = got.map((g) => (g.length ? Math.max(...g) : undefined));
  med.ratio = (i, j) => median(got[i].map((x, r) => x / got[j][r]));
  return med;
}

// ---- GEMM instances ----

function load(path) {
  const memory = new WebAssembly.Memory({ initial: 400 }); // 25 MiB: three 1024² operands + scratch
  const e = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(path)), { env: { memory } }).exports;
  const scratch = (Number(e.heap_base()) + 63) & ~63;
  const first = scratch + ((Number(e.gemm_scratch_bytes()) + 127) & ~63);
  let top = first;
  return {
    e, memory, scratch, path,
    reset() { top = first; },
    alloc(floats) { const p = top; top += ((floats * 4 + 63) & ~63) + 64; return p; },
  };
}

/** Sampler of C = op(A)·op(B) (m×k·k×n, alpha = 1, beta = 0) on instance w; impl "gemm" or "ref". */
function gemmSampler(w, impl, tA, tB, m, n, k) {
  w.reset();
  const a = w.alloc(m * k), b = w.alloc(k * n), c = w.alloc(m * n);
  const f32 = new Float32Array(w.memory.buffer);
  for (let i = 0; i < m * k; i++) f32[a / 4 + i] = ((i * 7) % 13 - 6) * 0.125;
  for (let i = 0; i < k * n; i++) f32[b / 4 + i] = ((i * 5) % 11 - 5) * 0.125;
  const lda = tA ? m : k, ldb = tB ? k : n;
  const call = impl === "ref"
    ? () => w.e.gemm_ref_f32(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n)
    : () => w.e.gemm_f32(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c, n, w.scratch);
  return sampler(`${impl} ${m}x${k}x${n}`, call, 2 * m * n * k);
}

/** max |gemm − ref| / max |ref| on one shape: a sanity check that the build measured is correct. */
function check(w, tA, tB, m, n, k) {
  w.reset();
  const a = w.alloc(m * k), b = w.alloc(k * n), c1 = w.alloc(m * n), c2 = w.alloc(m * n);
  const f32 = new Float32Array(w.memory.buffer);
  for (let i = 0; i < m * k; i++) f32[a / 4 + i] = Math.sin(i);
  for (let i = 0; i < k * n; i++) f32[b / 4 + i] = Math.cos(i * 0.7);
  const lda = tA ? m : k, ldb = tB ? k : n;
  w.e.gemm_f32(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c1, n, w.scratch);
  w.e.gemm_ref_f32(tA, tB, m, n, k, 1, a, lda, b, ldb, 0, c2, n);
  let err = 0, mag = 0;
  for (let i = 0; i < m * n; i++) {
    err = Math.max(err, Math.abs(f32[c1 / 4 + i] - f32[c2 / 4 + i]));
    mag = Math.max(mag, Math.abs(f32[c2 / 4 + i]));
  }
  return err / mag;
}

// ---- main ----

const simd = load(args.simd ?? `${root}build/simdnet.wasm`);
const scalar = load(args.scalar ?? `${root}build/simdnet.scalar.wasm`);
const other = typeof args.ab === "string" ? load(args.ab) : undefined;
for (const w of [simd, scalar, other].filter(Boolean)) {
  for (const [tA, tB] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
    const err = check(w, tA, tB, 37, 45, 300);
    if (!(err < 1e-5)) throw new Error(`${w.path}: mismatch vs gemm_ref (tA=${tA}, tB=${tB}): ${err}`);
  }
}

// Pick the chain count that saturates the FP ports best on this machine (interleaved, medians).
const candidates = [5, 6, 7].map((ch) => ceilingModule(ch)).map((c) => sampler(c.name, c.call, c.flops));
const ceilMed = measure(candidates, 9);
const ceiling = candidates[ceilMed.indexOf(Math.max(...ceilMed))];
console.log(`# ${new Date().toISOString()}  node ${process.version}  ${os.cpus()[0].model}, ${os.cpus().length} cpus, load average ${os.loadavg().map((x) => x.toFixed(1)).join(" ")}  args: ${process.argv.slice(2).join(" ")}`);
console.log(`# ceiling candidates: ${candidates.map((c, i) => `${c.name} ${fmt(ceilMed[i])}`).join(", ")} GFLOP/s; using ${ceiling.name}`);

const SQUARES = args.quick ? [256, 512] : [64, 128, 256, 512, 1024];
const MLP = [[32, 128, 784], [128, 128, 784]]; // m, n, k
const TRANS = [[0, 0], [1, 0], [0, 1], [1, 1]];

if (other) {
  console.log(`\nA = ${simd.path.replace(root, "")}   B = ${other.path.replace(root, "")}   (GFLOP/s medians)`);
  console.log("shape (m×k·k×n)      tA tB |  ceil      A      B    B/A");
  const shapes = [[256, 256, 256, 0, 0], [512, 512, 512, 0, 0], [1024, 1024, 1024, 0, 0],
    ...MLP.flatMap(([m, n, k]) => TRANS.map(([tA, tB]) => [m, n, k, tA, tB]))];
  for (const [m, n, k, tA, tB] of shapes) {
    const [c, x, y] = measure([ceiling, gemmSampler(simd, "gemm", tA, tB, m, n, k), gemmSampler(other, "gemm", tA, tB, m, n, k)], Math.max(ROUNDS, 9));
    console.log(`${`${m}×${k}·${k}×${n}`.padEnd(20)} ${tA}  ${tB}  | ${fmt(c).padStart(5)} ${fmt(x).padStart(6)} ${fmt(y).padStart(6)} ${(y / x).toFixed(2).padStart(6)}`);
  }
} else if (args.small) {
  console.log("\nshape (m×k·k×n)      tA tB |   simd    ref  simd/ref  (GFLOP/s medians)");
  for (const [m, n, k] of [[1, 128, 784], [1, 1024, 1024], [2, 512, 512], [128, 1, 784], [32, 128, 1], [64, 64, 2], [3, 5, 7], [8, 8, 8], [16, 16, 16]]) {
    for (const [tA, tB] of [[0, 0], [0, 1]]) {
      const [s, r] = measure([gemmSampler(simd, "gemm", tA, tB, m, n, k), gemmSampler(simd, "ref", tA, tB, m, n, k)]);
      console.log(`${`${m}×${k}·${k}×${n}`.padEnd(20)} ${tA}  ${tB}  | ${fmt(s).padStart(6)} ${fmt(r).padStart(6)} ${(s / r).toFixed(1).padStart(8)}×`);
    }
  }
} else {
  // %ceil and "vs (0,0)" are medians of per-round ratios (numbers taken moments apart).
  // "best" columns: the fastest round (closest to an unloaded machine when other processes interfere).
  console.log("\nshape (m×k·k×n)      tA tB |  ceil (best)    simd (best)  %ceil  scalar  simd/scalar    ref  vs (0,0)");
  const line = (label, tA, tB, res, i, pct, rel) => {
    const [c, cb, s, sb, sc, r] = [res[0], res.best[0], res[i], res.best[i], res[i + 1], res[i + 2]];
    console.log(`${label.padEnd(20)} ${tA}  ${tB}  | ${fmt(c).padStart(5)} (${fmt(cb).padStart(5)}) ${fmt(s).padStart(6)} (${fmt(sb).padStart(5)}) ${(100 * pct).toFixed(0).padStart(5)}% ${fmt(sc).padStart(7)} ${(sc ? (s / sc).toFixed(1) + "×" : "-").padStart(12)} ${fmt(r).padStart(6)} ${rel === undefined ? "" : rel.toFixed(2).padStart(7) + "×"}`);
  };
  for (const n of SQUARES) {
    const res = measure([
      ceiling,
      gemmSampler(simd, "gemm", 0, 0, n, n, n),
      args.quick ? undefined : gemmSampler(scalar, "gemm", 0, 0, n, n, n),
      args.quick || n > 256 ? undefined : gemmSampler(simd, "ref", 0, 0, n, n, n),
    ]);
    line(`${n}³`, 0, 0, res, 1, res.ratio(1, 0));
  }
  for (const [m, n, k] of MLP) {
    // One round-robin for the whole shape: ceiling, then SIMD, scalar and ref for each transpose pair.
    const smp = [ceiling];
    for (const [tA, tB] of TRANS) {
      smp.push(gemmSampler(simd, "gemm", tA, tB, m, n, k));
      smp.push(args.quick ? undefined : gemmSampler(scalar, "gemm", tA, tB, m, n, k));
      smp.push(args.quick ? undefined : gemmSampler(simd, "ref", tA, tB, m, n, k));
    }
    const res = measure(smp);
    TRANS.forEach(([tA, tB], t) => {
      const i = 1 + 3 * t;
      line(t ? "" : `${m}×${k}·${k}×${n}`, tA, tB, res, i, res.ratio(i, 0), t ? res.ratio(1, i) : undefined);
    });
  }
  console.log("\n(vs (0,0): time of this transpose combination / time of tA = tB = 0 on the same shape)");
}
