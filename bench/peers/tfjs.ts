// TensorFlow.js peers: @tensorflow/tfjs(-core) with @tensorflow/tfjs-backend-wasm (XNNPACK, the SIMD
// binary, one thread) and with @tensorflow/tfjs-backend-cpu (plain JS kernels). Both backends live in
// one tfjs engine; each PeerImpl makes its backend current (`before`) ahead of its calls, and its
// inputs are created on that backend, so no data moves between backends inside a timed call.
//
// Node setup of the Wasm backend: setWasmPaths(<package>/dist/) so the .wasm files are read from
// node_modules, setThreadsCount(1) (Node has no SharedArrayBuffer workers here anyway, so the
// non-threaded SIMD binary is the one that loads; WASM_HAS_SIMD_SUPPORT is reported).
// Every op allocates its output (tfjs has no `out` parameter): intermediates are freed by tf.tidy,
// the last output is kept for the check and freed at the next call.
//
// Differs from simdnet: outputs are allocated per op (simdnet's GEMM writes a preallocated `out`);
// attention is three projection matMuls, batched matMuls over materialized [h, T, T] scores with an
// additive −1e9 mask and a separate softmax (tfjs has no fused attention op; simdnet fuses W_qkv and
// never materializes the scores); the MLP step is tf.train.sgd().minimize over autodiff, one op per
// layer and gradient term. The GPT model and its differences: ./tfjs-gpt.ts.

// The umbrella package: tfjs-core's own Node bundle registers no gradient functions (tf.grad and
// the optimizers then fail with "gradient function not found"); @tensorflow/tfjs's Node bundle
// registers them (and the cpu backend) on the same tfjs-core instance the Wasm backend uses.
import * as tf from "@tensorflow/tfjs";
import * as tfwasm from "@tensorflow/tfjs-backend-wasm";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { TfGPT } from "./tfjs-gpt.js";
import { concat } from "../lib/arrays.js";
import type { AttentionInputs, MlpInputs, Peer, PeerImpl } from "./types.js";

// Quiet the "install tfjs-node" banner: we measure the Wasm and CPU backends on purpose.
const quiet = console.warn;

let wasmReady: Promise<void> | undefined;

async function initWasm(): Promise<void> {
  const require = createRequire(import.meta.url);
  tfwasm.setWasmPaths(join(dirname(require.resolve("@tensorflow/tfjs-backend-wasm/package.json")), "dist") + "/");
  tfwasm.setThreadsCount(1);
  const log = console.log;
  console.log = () => {};
  console.warn = () => {};
  try {
    if (!(await tf.setBackend("wasm"))) throw new Error("tf.setBackend('wasm') failed");
  } finally {
    console.log = log;
    console.warn = quiet;
  }
}

/** Keeps the last output alive for result(); frees the one before. */
function lastOutput(): { set: (t: tf.Tensor) => void; read: () => Float32Array; dispose: () => void } {
  let last: tf.Tensor | undefined;
  return {
    set: (t) => {
      last?.dispose();
      last = t;
    },
    read: () => Float32Array.from(last!.dataSync() as Float32Array),
    dispose: () => last?.dispose(),
  };
}

export async function tfjsPeer(backend: "wasm" | "cpu"): Promise<Peer> {
  if (backend === "wasm") {
    wasmReady ??= initWasm();
    await wasmReady;
  }
  const log = console.log;
  console.log = () => {};
  console.warn = () => {};
  try {
    if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
    // The cpu backend prints its "install tfjs-node" banner at its first write: let it happen here, quietly.
    tf.tensor1d([0]).dispose();
  } finally {
    console.log = log;
    console.warn = quiet;
  }
  const before = async (): Promise<void> => {
    if (tf.getBackend() !== backend) await tf.setBackend(backend);
  };
  const simd = backend === "wasm" ? tf.env().getBool("WASM_HAS_SIMD_SUPPORT") : false;
  const threads = backend === "wasm" ? tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT") : false;
  if (backend === "wasm" && !simd) throw new Error("tfjs-backend-wasm loaded without SIMD support");
  const setup = backend === "wasm"
    ? `@tensorflow/tfjs ${tf.version.tfjs} (tfjs-core ${tf.version_core}) + tfjs-backend-wasm ${tfwasm.version_wasm} (XNNPACK, SIMD binary: ${simd}, threads: ${threads ? "multi" : "1"})`
    : `@tensorflow/tfjs ${tf.version.tfjs} (tfjs-core ${tf.version_core}) + tfjs-backend-cpu (plain JS kernels)`;

  /** Inputs are created on this backend (the engine's current one during setup). */
  const onThis = <T>(fn: () => T): T => {
    if (tf.getBackend() !== backend) throw new Error(`tfjs: expected backend ${backend}, current is ${tf.getBackend()}`);
    return fn();
  };

  return {
    name: backend === "wasm" ? "tfjs-wasm" : "tfjs-cpu",
    setup,
    activate: before,
    gemm(a, b, m, k, n): PeerImpl {
      const [A, B] = onThis(() => [tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])]);
      const out = lastOutput();
      return {
        before,
        run: () => out.set(tf.matMul(A, B)),
        result: out.read,
        dispose: () => {
          A.dispose();
          B.dispose();
          out.dispose();
        },
      };
    },
    softmax(x, rows, cols): PeerImpl {
      const X = onThis(() => tf.tensor2d(x, [rows, cols]));
      const out = lastOutput();
      return {
        before,
        run: () => out.set(tf.softmax(X)),
        result: out.read,
        dispose: () => {
          X.dispose();
          out.dispose();
        },
      };
    },
    attention(i: AttentionInputs): PeerImpl {
      const { T, d, h } = i;
      const dh = d / h;
      const [X, Wq, Wk, Wv, Wo, mask] = onThis(() => {
        const m = new Float32Array(T * T);
        for (let r = 0; r < T; r++) for (let c = r + 1; c < T; c++) m[r * T + c] = -1e9;
        return [i.x, i.wq, i.wk, i.wv, i.wo, m].map((v, k) => tf.tensor2d(v, k === 5 ? [T, T] : k === 0 ? [T, d] : [d, d]));
      }) as tf.Tensor2D[];
      const scale = 1 / Math.sqrt(dh);
      const out = lastOutput();
      // Projections, heads [h, T, dh], scores with an additive causal mask, softmax, P·V, concat, W_o.
      const forward = (): tf.Tensor => tf.tidy(() => {
        const heads = (w: tf.Tensor2D) => tf.transpose(tf.reshape(tf.matMul(X!, w), [T, h, dh]), [1, 0, 2]);
        const q = heads(Wq!);
        const k = heads(Wk!);
        const v = heads(Wv!);
        const s = tf.add(tf.mul(tf.matMul(q, k, false, true), scale), mask!);
        const y = tf.matMul(tf.softmax(s), v);
        return tf.matMul(tf.reshape(tf.transpose(y, [1, 0, 2]), [T, d]), Wo!);
      });
      return {
        before,
        run: () => out.set(forward()),
        result: out.read,
        dispose: () => {
          [X, Wq, Wk, Wv, Wo, mask].forEach((t) => t!.dispose());
          out.dispose();
        },
      };
    },
    gptModel: (config, params, options) => onThis(() => new TfGPT(config, params, options)),
    // On the Wasm backend transposed matMuls miss XNNPACK (≈ 13× slower), and autodiff makes them.
    gptVariants: backend === "wasm"
      ? [{ label: "tfjs-wasm, explicit transposes", options: { explicitTransposes: true }, note: "tuned: every matMul gets a custom gradient with tf.transpose + plain matMul (transposed matMuls miss XNNPACK in tfjs-backend-wasm)" }]
      : [],
    train(m: MlpInputs): PeerImpl {
      const layers = m.sizes.length - 1;
      const { ws, bs, X, Y } = onThis(() => ({
        ws: m.weights.map((w, l) => tf.variable(tf.tensor2d(w, [m.sizes[l]!, m.sizes[l + 1]!]))),
        bs: m.biases.map((b) => tf.variable(tf.tensor1d(b))),
        X: tf.tensor2d(m.x, [m.batch, m.sizes[0]!]),
        Y: tf.tensor2d(m.y, [m.batch, m.sizes[layers]!]),
      }));
      const opt = tf.train.sgd(m.lr);
      const vars = ws.flatMap((w, l) => [w, bs[l]!]);
      const loss = (): tf.Scalar => {
        let a: tf.Tensor = X;
        for (let l = 0; l < layers; l++) {
          const z = tf.add(tf.matMul(a, ws[l]!), bs[l]!);
          a = l < layers - 1 ? tf.relu(z) : z;
        }
        return tf.mean(tf.squaredDifference(a, Y));
      };
      let firstLoss: number | undefined;
      return {
        before,
        run: () => {
          const cost = opt.minimize(loss, true, vars)!;
          if (firstLoss === undefined) firstLoss = cost.dataSync()[0]!;
          cost.dispose();
        },
        result: () => concat([[firstLoss ?? NaN], ...vars.map((v) => v.dataSync() as Float32Array)]),
        dispose: () => {
          vars.forEach((v) => v.dispose());
          X.dispose();
          Y.dispose();
          opt.dispose();
        },
      };
    },
  };
}
