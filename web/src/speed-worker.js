// The page's speed test, in a Worker (so threads may block in Atomics.wait, and the page stays
// responsive): GEMM, softmax and causal attention on each simdnet build (relaxed SIMD with fused
// multiply-add, plain SIMD, scalar), on all cores, and in plain JavaScript. Every simdnet output is
// checked against the JavaScript one before it is timed; a wrong output is reported, not timed.
//
// Messages in:  { type: "run", quick }   Messages out: { type: "result", … } | { type: "done" } | { type: "error", message }

import { attention, backendInfo, engineSupportsRelaxedSimd, engineSupportsSimd, init, matmul, shutdown, softmax, tensor } from "simdnet";
import { attentionJs, gemmJs, relativeError, softmaxJs } from "./speed-kernels-js.js";

// Outputs agree with float64-accumulated JS to about 1e-6 relative; 1e-4 leaves room for the
// different summation orders without letting a wrong kernel through.
const TOLERANCE = 1e-4;

function sizes(quick) {
  return quick
    ? { gemm: 128, softmax: [256, 256], attention: [4, 128, 32] }
    : { gemm: 384, softmax: [1024, 1024], attention: [8, 256, 64] };
}

/** Median milliseconds per call: repeat for at least minMs after one warm-up call. */
function time(fn, minMs) {
  fn();
  const samples = [];
  const start = performance.now();
  while (samples.length < 3 || (performance.now() - start < minMs && samples.length < 1000)) {
    const t0 = performance.now();
    fn();
    samples.push(performance.now() - t0);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

function inputs(quick) {
  const s = sizes(quick);
  let seed = 12345;
  const random = (n) => Float32Array.from({ length: n }, () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32) * 2 - 1);
  const n = s.gemm;
  const [rows, cols] = s.softmax;
  const [h, t, d] = s.attention;
  return {
    s,
    gemm: { a: random(n * n), b: random(n * n), flops: 2 * n * n * n, label: `GEMM ${n}×${n}×${n}` },
    softmax: { x: random(rows * cols).map((v) => 4 * v), label: `softmax ${rows}×${cols}` },
    attention: { q: random(h * t * d), k: random(h * t * d), v: random(h * t * d), label: `causal attention ${h} heads × ${t} × ${d}` },
  };
}

function contenders() {
  const list = [];
  if (engineSupportsRelaxedSimd()) list.push({ name: "simdnet relaxed SIMD", options: { build: "relaxed", threads: 1 } });
  if (engineSupportsSimd()) list.push({ name: "simdnet SIMD", options: { build: "simd", threads: 1 } });
  list.push({ name: "simdnet scalar", options: { build: "scalar", threads: 1 } });
  list.push({ name: "simdnet, all cores", options: { threads: "auto" } });
  return list;
}

async function run(quick) {
  const input = inputs(quick);
  const { s } = input;
  const minMs = quick ? 150 : 600;
  const [h, t, d] = s.attention;
  const [rows, cols] = s.softmax;
  const n = s.gemm;
  const want = {
    gemm: gemmJs(input.gemm.a, input.gemm.b, n, n, n),
    softmax: softmaxJs(input.softmax.x, rows, cols),
    attention: attentionJs(input.attention.q, input.attention.k, input.attention.v, h, t, d),
  };
  const report = (contender, workload, ms, error, note) =>
    postMessage({ type: "result", contender, workload: input[workload].label, ms, gflops: workload === "gemm" && ms ? input.gemm.flops / ms / 1e6 : undefined, error, note });

  report("plain JavaScript", "gemm", time(() => gemmJs(input.gemm.a, input.gemm.b, n, n, n), minMs), 0);
  report("plain JavaScript", "softmax", time(() => softmaxJs(input.softmax.x, rows, cols), minMs), 0);
  report("plain JavaScript", "attention", time(() => attentionJs(input.attention.q, input.attention.k, input.attention.v, h, t, d), minMs), 0);

  for (const c of contenders()) {
    await init(c.options);
    const info = backendInfo();
    const name = c.options.threads === "auto" ? `simdnet ${info.build}, ${info.threads} thread${info.threads === 1 ? "" : "s"}` : c.name;
    const note = c.options.threads === "auto" && info.threads === 1 ? info.threadsReason : undefined;
    const cases = {
      gemm: () => {
        const a = tensor(input.gemm.a, [n, n]);
        const b = tensor(input.gemm.b, [n, n]);
        const out = matmul(a, b);
        return { out, run: () => matmul(a, b, { out }), free: [a, b, out] };
      },
      softmax: () => {
        const x = tensor(input.softmax.x, [rows, cols]);
        const out = softmax(x);
        return { out, run: () => softmax(x, { out }), free: [x, out] };
      },
      attention: () => {
        const [q, k, v] = [input.attention.q, input.attention.k, input.attention.v].map((a) => tensor(a, [h, t, d]));
        const out = attention(q, k, v, { causal: true });
        return { out, run: () => attention(q, k, v, { causal: true, out }), free: [q, k, v, out] };
      },
    };
    for (const [workload, make] of Object.entries(cases)) {
      const made = make();
      try {
        const error = relativeError(made.out.view(), want[workload]);
        report(name, workload, error <= TOLERANCE ? time(made.run, minMs) : undefined, error, note);
      } finally {
        for (const tensorToFree of made.free) tensorToFree.dispose();
      }
    }
    shutdown(); // ends this backend's worker threads before the next one starts its own
  }
}

onmessage = ({ data }) => {
  if (data.type !== "run") return;
  run(data.quick).then(
    () => postMessage({ type: "done" }),
    (error) => postMessage({ type: "error", message: String(error?.message ?? error) }),
  );
};
