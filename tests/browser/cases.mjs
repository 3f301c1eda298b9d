// The computations the browser smoke test runs, shared by the page (against /dist/index.js in
// Chromium) and the harness (against ../../dist/index.js in Node), so both sides run exactly the same
// code on exactly the same seeded inputs. Every result is returned as plain JSON-able data.

/** Run every case on the library `sd` (already initialised with the SIMD backend where available). */
export async function runCases(sd) {
  const out = {};
  const grab = (t) => ({ shape: Array.from(t.shape), data: Array.from(t.toFloat32Array()) });

  out.info = { ...sd.backendInfo() };

  sd.tidy(() => {
    const a = sd.randn([33, 65], { seed: 1 });
    const b = sd.randn([65, 17], { seed: 2 });
    const bt = sd.randn([17, 65], { seed: 3 });
    const x = sd.randn([5, 7], { seed: 4 });
    out.inputs = { a: grab(a), b: grab(b), bt: grab(bt), x: grab(x) };
    out.matmul = grab(sd.matmul(a, b));
    out.matmulTransposeB = grab(sd.matmul(a, bt, { transposeB: true }));
    out.softmaxCausal = grab(sd.softmax(x, { causal: true }));
    const q = sd.randn([2, 6, 8], { seed: 5 });
    const k = sd.randn([2, 6, 8], { seed: 6 });
    const v = sd.randn([2, 6, 8], { seed: 7 });
    out.attentionCausal = grab(sd.attention(q, k, v, { causal: true }));
  });

  // The neural network: a few epochs of the defaults on a seeded toy problem, saved as safetensors
  // and loaded back; then an IDX file gzipped with CompressionStream and read back.
  {
    const rng = new sd.Random(9);
    const n = 64;
    const x = new Float32Array(n * 4).map(() => rng.uniform() * 2 - 1);
    const y = new Float32Array(n * 3);
    for (let i = 0; i < n; i++) y[i * 3 + (x[i * 4] > 0 ? (x[i * 4 + 1] > 0 ? 0 : 1) : 2)] = 1;
    const net = new sd.NeuralNetwork([4, 8, 3], { seed: 3 });
    out.mlpLosses = { shape: [5], data: net.train(x, y, { epochs: 5, batchSize: 16, learningRate: 0.01 }).map((s) => s.loss) };
    const bytes = net.save();
    const loaded = sd.NeuralNetwork.load(bytes);
    out.mlpReload = { same: sd.tidy(() => Array.from(net.predict(x).toFloat32Array()).every((v, i) => v === loaded.predict(x).toFloat32Array()[i])) };
    net.dispose();
    loaded.dispose();
  }
  {
    // magic (uint8, rank 2), dims 2 and 3 as big-endian u32, then six bytes of data
    const raw = new Uint8Array([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
    const gz = new Uint8Array(await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("gzip"))).arrayBuffer());
    const idx = await sd.readIdx(gz);
    out.idx = { shape: idx.shape, data: Array.from(idx.data) };
  }

  // The plain SIMD build (no fused multiply-add): same bits in every engine.
  const simdBackend = currentBackend(sd);
  const plain = await sd.createBackend({ build: "simd" });
  sd.setBackend(plain);
  try {
    sd.tidy(() => {
      out.simdMatmul = grab(sd.matmul(sd.randn([33, 65], { seed: 1 }), sd.randn([65, 17], { seed: 2 })));
      const q = sd.randn([2, 6, 8], { seed: 5 });
      out.simdAttention = grab(sd.attention(q, sd.randn([2, 6, 8], { seed: 6 }), sd.randn([2, 6, 8], { seed: 7 }), { causal: true }));
    });
  } finally {
    if (simdBackend) sd.setBackend(simdBackend);
  }

  // The scalar build: a second backend beside the default one, then back to the default one.
  const scalar = await sd.createBackend({ simd: false });
  sd.setBackend(scalar);
  try {
    out.scalarInfo = { ...sd.backendInfo() };
    sd.tidy(() => {
      const a = sd.randn([33, 65], { seed: 1 });
      const b = sd.randn([65, 17], { seed: 2 });
      out.scalarMatmul = grab(sd.matmul(a, b));
    });
  } finally {
    if (simdBackend) sd.setBackend(simdBackend);
    else await sd.init();
  }
  out.memoryAfter = { ...sd.memory() };
  return out;
}

function currentBackend(sd) {
  return typeof sd.getBackend === "function" ? sd.getBackend() : undefined;
}
