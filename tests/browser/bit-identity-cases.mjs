// The ops whose bits must not depend on the engine or on the thread count: one list, imported by the
// browser side (a module Worker, bundled: bit-identity-worker.mjs) and by the Node side (run.mjs), so
// the two cannot drift apart. Each case runs on seeded inputs and returns the SHA-256 of every output's
// bytes (Float32 for tensors, Float64 for the numbers the host returns, such as losses).
//
// Inputs come from Random.uniform(), which is integer arithmetic scaled once: no Math.log/cos whose last
// bit could differ between two engines, so any difference lies in simdnet's kernels and their splitting.
// Sizes include the degenerate 1×1, odd edges and shapes well above the default thread thresholds; the
// threaded runs also pass zero thresholds so that every splittable call is split.

/** Every kernel family split, whatever the size. */
export const SPLIT_EVERYTHING = Object.freeze({ gemm: 0, elementwise: 0, rows: 0 });

/** Builds compared: "simd" must give the same bits in every engine, "relaxed" (FMA) on one CPU. */
export const BIT_IDENTITY_BUILDS = Object.freeze(["relaxed", "simd"]);

const GEMM_SHAPES = [[1, 1, 1], [17, 65, 129], [300, 257, 301]]; // [m, k, n]
const ROW_SHAPES = [[1, 1], [17, 65], [300, 257]];

/** The cases, in order. `run(ctx)` returns the tensors and numbers to hash; ctx.rand makes inputs. */
export function bitIdentityCases(sd) {
  const cases = [];
  const add = (name, run) => cases.push({ name, run });

  for (const [m, k, n] of GEMM_SHAPES) {
    for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
      add(`matmul ${m}×${k}·${k}×${n} transposeA=${ta} transposeB=${tb}`, ({ rand }) => {
        const a = rand(ta ? [k, m] : [m, k]);
        const b = rand(tb ? [n, k] : [k, n]);
        return [sd.matmul(a, b, { transposeA: ta, transposeB: tb })];
      });
    }
  }
  for (const [m, k, n] of GEMM_SHAPES.slice(1)) {
    for (const [i, activation] of ["relu", "sigmoid", "tanh", "gelu"].entries()) {
      const transposeW = i % 2 === 1;
      add(`linear ${m}×${k}·${k}×${n} + bias, ${activation}, transposeW=${transposeW}`, ({ b, rand }) => {
        const x = rand([m, k]);
        const w = rand(transposeW ? [n, k] : [k, n]);
        const bias = rand([n]);
        const pre = activation === "gelu" ? sd.empty([m, n], b) : undefined;
        return [sd.linear(x, w, bias, { activation, transposeW, preActivation: pre }), ...(pre ? [pre] : [])];
      });
    }
  }
  for (const [r, c] of ROW_SHAPES) {
    add(`softmax ${r}×${c}`, ({ rand }) => [sd.softmax(rand([r, c], 4))]);
    add(`logSoftmax ${r}×${c}`, ({ rand }) => [sd.logSoftmax(rand([r, c], 4))]);
    add(`layerNorm forward and backward ${r}×${c}`, ({ b, rand }) => {
      const x = rand([r, c], 3);
      const gamma = rand([c]);
      const beta = rand([c]);
      const stats = { mean: sd.empty([r], b), rstd: sd.empty([r], b) };
      const y = sd.layerNorm(x, gamma, beta, { stats });
      const g = sd.layerNormBackward(rand([r, c]), x, gamma, stats);
      return [y, stats.mean, stats.rstd, g.dx, g.dgamma, g.dbeta];
    });
  }
  add("softmax 129×129 causal", ({ rand }) => [sd.softmax(rand([129, 129], 4), { causal: true })]);

  for (const [batch, t, heads, dh] of [[1, 17, 2, 8], [2, 129, 4, 16]]) {
    add(`causal qkvAttention forward and backward B=${batch} T=${t} h=${heads} dh=${dh}`, ({ b, rand }) => {
      const width = heads * dh;
      const qkv = rand([batch * t, 3 * width]);
      const lse = sd.empty([batch * heads, t], b);
      const out = sd.qkvAttention(qkv, heads, { batch, causal: true, lse });
      const dqkv = sd.qkvAttentionBackward(qkv, out, rand([batch * t, width]), lse, heads, { batch, causal: true });
      return [out, lse, dqkv];
    });
  }

  for (const [r, c] of [[1, 1], [17, 65], [300, 257]]) {
    add(`softmaxCrossEntropy ${r}×${c} (loss and gradient)`, ({ b, rng, rand }) => {
      const logits = rand([r, c], 5);
      const targets = new Float32Array(r * c);
      for (let i = 0; i < r; i++) targets[i * c + rng.int(c)] = 1;
      const grad = sd.empty([r, c], b);
      const loss = sd.softmaxCrossEntropy(logits, sd.tensorOn(b, targets, [r, c]), { grad });
      return [grad, loss];
    });
    add(`softmaxCrossEntropyIndex ${r}×${c} (loss and gradient)`, ({ b, rng, rand }) => {
      const logits = rand([r, c], 5);
      const labels = Int32Array.from({ length: r }, () => rng.int(c));
      const grad = sd.empty([r, c], b);
      return [grad, sd.softmaxCrossEntropyIndex(logits, labels, { grad })];
    });
  }

  add("adamStep ×3 on 77103 weights, decay 0.01", ({ b, rand }) => {
    const n = 300 * 257 + 3;
    const w = rand([n]);
    const m = sd.zeros([n]);
    const v = sd.zeros([n]);
    for (let step = 1; step <= 3; step++) {
      sd.adamStep(w, rand([n], 0.1), m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step });
    }
    return [w, m, v];
  });

  add("MLP training: 1 epoch of 3 batches (Trainer, cross-entropy, Adam)", ({ b, rng, rand }) => {
    const samples = 96, inputs = 67, classes = 10;
    const x = rand([samples, inputs]);
    const y = new Float32Array(samples * classes);
    for (let i = 0; i < samples; i++) y[i * classes + rng.int(classes)] = 1;
    const model = new sd.Sequential([
      new sd.Dense(inputs, 129, { activation: "relu", seed: 1 }),
      new sd.Dense(129, 33, { activation: "tanh", seed: 2 }),
      new sd.Dense(33, classes, { seed: 3 }),
    ]);
    const adam = new sd.Adam(3e-3);
    const loss = sd.createLoss("cross-entropy");
    const trainer = new sd.Trainer(model, loss, adam, b);
    try {
      const losses = trainer.fit(x, sd.tensorOn(b, y, [samples, classes]), { epochs: 1, batchSize: 32, shuffle: true, seed: 4 }).map((e) => e.loss);
      return [...losses, ...model.parameters().map((p) => p.value.toFloat32Array())];
    } finally {
      trainer.dispose();
      loss.dispose();
      adam.dispose();
      model.dispose();
    }
  });

  add("GPT training: 3 steps (GptTrainer, AdamW, clipping)", () => {
    const text = "the quick brown fox jumps over the lazy dog; ".repeat(20);
    const ids = Int32Array.from(text, (ch) => ch.charCodeAt(0) % 29);
    const model = new sd.GPT({ vocabSize: 29, contextLength: 16, dModel: 16, heads: 2, layers: 2, seed: 9 });
    const trainer = new sd.GptTrainer(model, ids, ids, {
      batchSize: 4, learningRate: 5e-3, warmupSteps: 1, totalSteps: 3, weightDecay: 0.1, clipNorm: 1, evalSequences: 4, seed: 3,
    });
    try {
      const losses = Array.from({ length: 3 }, () => trainer.trainStep().loss);
      return [...losses, ...model.parameters().map((p) => p.value.toFloat32Array())];
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
  return cases;
}

async function sha256(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** The bytes an output stands for: a tensor's or Float32Array's float32s, a number's float64. */
function bytesOf(x) {
  if (typeof x === "number") return new Uint8Array(Float64Array.of(x).buffer);
  const f = x instanceof Float32Array ? x : x.toFloat32Array();
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}

/**
 * Run every case on `backend` (made current for the layers, which allocate on the current backend).
 * Returns { info, cases: [{ name, hashes, sizes, jobs }], leakedTensors }: `jobs` counts the pool jobs
 * the case ran (0 on one thread), so a run that silently stopped splitting shows.
 */
export async function runBitIdentityCases(sd, backend) {
  sd.setBackend(backend);
  const tensorsBefore = backend.memoryInfo().numTensors;
  const results = [];
  for (const [index, c] of bitIdentityCases(sd).entries()) {
    const rng = new sd.Random(1000 + index);
    const rand = (shape, scale = 1) => {
      const n = shape.reduce((p, d) => p * d, 1);
      return sd.tensorOn(backend, Float32Array.from({ length: n }, () => (rng.uniform() * 2 - 1) * scale), shape);
    };
    const jobsBefore = backend.workerPool?.jobs ?? 0;
    const bytes = sd.tidy(() => c.run({ b: backend, rng, rand }).map((x) => bytesOf(x).slice()));
    const jobs = (backend.workerPool?.jobs ?? 0) - jobsBefore;
    results.push({ name: c.name, hashes: await Promise.all(bytes.map(sha256)), sizes: bytes.map((x) => x.byteLength), jobs });
  }
  const info = backend.info();
  return { info: { build: info.build, threads: info.threads, threadsReason: info.threadsReason }, cases: results, leakedTensors: backend.memoryInfo().numTensors - tensorsBefore };
}
