// onnxruntime-web with 2 threads: ort.env.wasm.numThreads is fixed once per process (the Wasm module is
// instantiated once), so this row runs in a child Node process — this file is both the runner (called
// by bench/harness/numpy-column.ts) and, run as a script, the child. The child builds the same graphs
// as the 1-thread row (./onnx-models.ts: MatMul, Softmax, the standard-op attention graph and the fused
// com.microsoft.Attention one, labelled "ort-web Attention op 2 threads"), sets numThreads = 2 (Node
// worker threads on a SharedArrayBuffer heap), and times session.run with the in-process rows'
// sampling rule (./child-run.ts timeTask). Not interleaved with the Node rows.
//
// Differs from simdnet: as the 1-thread onnxruntime-web row (./onnxruntime.ts), plus onnxruntime's own
// thread pool (its intra-op threads split each op) where simdnet splits its kernels over its own pool.

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { runChild, timeTask, type ChildRun, type ChildTask, type Sampling } from "./child-run.js";

const self = fileURLToPath(import.meta.url);

export function runOrtWebThreads(tasks: ChildTask[], threads: number, sampling: Sampling, timeoutS: number): ChildRun & { setup: string } {
  const own = tasks.filter((t) => t.kind === "gemm" || t.kind === "softmax" || t.kind === "attention");
  const env = { ...process.env, SIMDNET_ORT_THREADS: `${threads}` };
  const run = runChild(process.execPath, ["--import", "tsx", self], env, own, sampling, timeoutS);
  const i = run.info as { version?: string; threads?: number };
  return { ...run, setup: `onnxruntime-web ${i.version} (wasm execution provider, numThreads = ${i.threads}, graphOptimizationLevel all; graphs built in code), own Node process` };
}

async function child(manifestPath: string): Promise<void> {
  const ort = await import("onnxruntime-web");
  const { attentionModel, fusedAttentionModel, gemmModel, softmaxModel } = await import("./onnx-models.js");
  const threads = Number(process.env.SIMDNET_ORT_THREADS ?? 2);
  ort.env.wasm.numThreads = threads;
  ort.env.logLevel = "error";
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { sampling: Sampling; tasks: (Record<string, number | string> & { id: string; kind: string; output: string })[] };
  const f32 = (path: string, dims: number[]): InstanceType<typeof ort.Tensor> => {
    const b = readFileSync(path);
    return new ort.Tensor("float32", new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), dims);
  };
  const out: { id: string; label?: string; output?: string; samples_ms?: number[]; error?: string; note?: string }[] = [];
  for (const t of manifest.tasks) {
    const n = (k: string): number => t[k] as number;
    const graphs: { label?: string; model: () => Uint8Array; feeds: () => Record<string, InstanceType<typeof ort.Tensor>>; out: string }[] = [];
    if (t.kind === "gemm") graphs.push({ model: () => gemmModel(n("m"), n("k"), n("n")), feeds: () => ({ a: f32(t.a as string, [n("m"), n("k")]), b: f32(t.b as string, [n("k"), n("n")]) }), out: "c" });
    else if (t.kind === "softmax") graphs.push({ model: () => softmaxModel(n("rows"), n("cols")), feeds: () => ({ x: f32(t.x as string, [n("rows"), n("cols")]) }), out: "y" });
    else if (t.kind === "attention") {
      const [T, d, h] = [n("T"), n("d"), n("h")];
      const w = (k: string): Float32Array => f32(t[k] as string, [d, d]).data as Float32Array;
      const inputs = () => ({ x: f32(t.x as string, [T, d]).data as Float32Array, wq: w("wq"), wk: w("wk"), wv: w("wv"), wo: w("wo"), T, d, h });
      graphs.push({ model: () => attentionModel(inputs()), feeds: () => ({ x: f32(t.x as string, [T, d]) }), out: "y" });
      graphs.push({ label: "ort-web Attention op 2 threads", model: () => fusedAttentionModel(inputs()), feeds: () => ({ x: f32(t.x as string, [1, T, d]) }), out: "y" });
    }
    for (const [gi, g] of graphs.entries()) {
      const r: (typeof out)[number] = { id: t.id, label: g.label };
      try {
        const s = await ort.InferenceSession.create(g.model(), { executionProviders: ["wasm"], graphOptimizationLevel: "all" });
        const feeds = g.feeds();
        let last: Float32Array | undefined;
        const run = async (): Promise<void> => {
          last = (await s.run(feeds))[g.out]!.data as Float32Array;
        };
        const t0 = performance.now();
        await run();
        const first = performance.now() - t0;
        r.output = `${t.output}_${gi}`;
        writeFileSync(r.output, new Uint8Array(Float32Array.from(last!).buffer));
        const { samples, note } = await timeTask(run, first, manifest.sampling);
        r.samples_ms = samples;
        if (note) r.note = note;
        await s.release();
      } catch (e) {
        r.error = (e instanceof Error ? e.message : String(e)).split("\n")[0];
      }
      out.push(r);
    }
  }
  console.log(JSON.stringify({ info: { version: ort.env.versions.web, threads: ort.env.wasm.numThreads }, tasks: out }));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await child(process.argv[2]!);
  process.exit(0);
}
