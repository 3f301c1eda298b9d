// The state of one benchmark run: the command line (suite, quick mode, filters), the configuration of
// full and quick mode, the simdnet builds (relaxed SIMD, SIMD, scalar: three backends in this process;
// the threaded ones in the peer suite), the peers that loaded (and why the others did not), and the
// rows, checks, references and notes every part appends to.

import os from "node:os";
import * as sd from "../../src/index.js";
import type { Peer } from "../peers/types.js";
import type { Check, ImplKind, Row } from "./types.js";

const argv = process.argv.slice(2);
const argValue = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);

export const quick = argv.includes("--quick");
/**
 * `--suite=kernels`: the kernel rows (transposes, attention backward, the MLP step's parts, SIMD vs
 * scalar vs plain JS; no peers, one thread) written to bench/results/kernels.*; default: the peer
 * comparison written to bench/results/latest.*.
 */
export const suite: "peers" | "kernels" = argValue("suite") === "kernels" ? "kernels" : "peers";
/** `--only=TEXT`: only the workloads whose id contains TEXT (case-insensitive); `--peers=A,B`: only these peers. Partial runs write nothing. */
export const onlyWorkload = argValue("only");
export const onlyPeers = argValue("peers")?.split(",");
export const selected = (id: string): boolean => !onlyWorkload || id.toLowerCase().includes(onlyWorkload.toLowerCase());

// Many short rounds rather than a few long ones: on a shared machine load comes and goes, and
// alternating often spreads it evenly over the implementations being compared. A call slower than
// slowCallMs gets no warm-up and one sample per round until its samples add up to slowCapMs. In quick
// mode a call slower than reuseCheckCallMs (a plain-JS GPT step: seconds) is not repeated at all: its
// timed check call is its one sample (the row says so).
export const CFG = quick
  ? { rounds: 3, budgetMs: 60, slowCallMs: 250, slowCapMs: 1, reuseCheckCallMs: 2000, maxPredictedMs: 1500, ceilingCalls: 15 }
  : { rounds: 6, budgetMs: 150, slowCallMs: 500, slowCapMs: 4000, reuseCheckCallMs: Infinity, maxPredictedMs: 6000, ceilingCalls: 30 };

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split("\n")[0]!.slice(0, 300);

export interface Build {
  kind: "relaxed" | "simd" | "scalar";
  label: string;
  backend?: sd.Backend;
  /** Why this build could not be created (the relaxed build on an engine without relaxed SIMD). */
  error?: string;
}

/** Summary columns in order; the first three are the simdnet builds on one thread, then the threaded ones. */
export const PEER_NAMES = suite === "kernels" ? ([] as const) : (["tfjs-wasm", "tfjs-cpu", "onnxruntime-web", "ort-web Attention op", "ml-matrix", "onnxruntime-node", "onnxruntime-node 2 threads"] as const);
/** simdnet's best build on several threads: 2, and every core when there are more (peer suite only). */
const CORES = os.availableParallelism();
export const THREADED = suite === "kernels" ? [] : [...new Set([2, CORES])].filter((t) => t >= 2).map((t) => ({ threads: t, label: `simdnet ${t} threads` }));
/**
 * The column of a "simdnet from JS arrays" row (copy the inputs in from Float32Arrays, compute, copy the
 * output out, per call): best one-thread build ("simdnet") or a threaded build ("simdnet 2 threads").
 */
export const fromArraysColumn = (threadedLabel?: string): string => `${threadedLabel ?? "simdnet"}, JS arrays`;
/** The peers in a child process of their own (bench/harness/numpy-column.ts runs them after the Node workloads; peer suite only). */
export const CHILD_COLUMNS = ["numpy", "numpy 2 threads", "onnxruntime-web 2 threads", "PyTorch", "PyTorch 2 threads"] as const;
export const COLUMNS = [
  "simdnet relaxed", "simdnet SIMD", "simdnet scalar", ...THREADED.map((t) => t.label),
  ...(suite === "kernels" ? [] : [undefined, ...THREADED.map((t) => t.label)].map(fromArraysColumn)),
  "plain JS", ...PEER_NAMES, ...(suite === "kernels" ? [] : CHILD_COLUMNS),
];

/** The cost of an empty parallel op (dispatch + join; each thread fills 16 floats), median µs. */
function emptyParallelOp(backend: sd.Backend): string {
  const threads = backend.info().threads;
  const saved = backend.parallelThresholds.elementwise;
  backend.parallelThresholds.elementwise = 0;
  const n = 16 * threads, ptr = backend.allocator.alloc(n * 4);
  const samples: number[] = [];
  for (let r = 0; r < 15; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 500; i++) backend.kernels.fill_f32(n, 1, ptr);
    samples.push(((performance.now() - t0) * 1000) / 500);
  }
  backend.allocator.free(ptr);
  backend.parallelThresholds.elementwise = saved;
  samples.sort((a, b) => a - b);
  return `empty parallel op on ${threads} threads (dispatch + join): ${samples[7]!.toFixed(1)} µs median (min ${samples[0]!.toFixed(1)}; target ≤ 10 µs)`;
}

export class BenchContext {
  readonly rows: Row[] = [];
  readonly checks: Check[] = [];
  readonly notes: string[] = [];
  /** Time of each impl's first (check) call, keyed "workload/label": slow calls get one sample per round. */
  readonly firstCall = new Map<string, number>();
  /** Each workload's float64 reference (computed once, at its check): see harness/check.ts referenceOf. */
  readonly references = new Map<string, { values: ArrayLike<number>; tol: number; name: string }>();
  /** simdnet rows that failed their check against the reference: the bench exits non-zero. */
  readonly simdnetFailures: string[] = [];
  readonly peers: Peer[] = [];
  readonly peerErrors = new Map<string, string>();
  readonly setups: Record<string, string> = {};

  private constructor(readonly builds: Build[]) {}

  static async create(): Promise<BenchContext> {
    const builds: Build[] = [];
    const make = async (kind: Build["kind"], label: string, threads = 1): Promise<void> => {
      try {
        builds.push({ kind, label, backend: await sd.createBackend({ build: kind, threads }) });
      } catch (e) {
        builds.push({ kind, label, error: message(e) });
      }
    };
    // The relaxed build only where the engine accepts relaxed SIMD; otherwise its column says why.
    if (sd.engineSupportsRelaxedSimd()) await make("relaxed", "simdnet relaxed");
    else builds.push({ kind: "relaxed", label: "simdnet relaxed", error: "not run: this engine does not accept relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd; npm run bench passes it)" });
    await make("simd", "simdnet SIMD");
    await make("scalar", "simdnet scalar");
    // After the one-thread builds, so "simdnet best" (the base of every ratio) stays the one-thread build.
    const bestKind = sd.engineSupportsRelaxedSimd() ? "relaxed" : "simd";
    for (const t of THREADED) await make(bestKind, t.label, t.threads);
    const ctx = new BenchContext(builds);
    if (!ctx.build("simd").backend) throw new Error(`the SIMD build failed to load: ${ctx.build("simd").error}`);
    for (const b of builds) ctx.setups[b.label] = b.backend ? `${b.backend.info().source.replace(/^.*\/build\//, "build/")}: ${b.backend.info().reason}; ${b.backend.info().threadsReason}` : b.error!;
    const threaded = builds.find((b) => b.label === THREADED[0]?.label)?.backend;
    if (threaded) ctx.notes.push(emptyParallelOp(threaded));
    await ctx.loadPeers();
    return ctx;
  }

  build(kind: Build["kind"]): Build {
    return this.builds.find((b) => b.kind === kind)!;
  }

  /** The builds that loaded, best first. */
  get liveBuilds(): (Build & { backend: sd.Backend })[] {
    return this.builds.filter((b): b is Build & { backend: sd.Backend } => b.backend !== undefined);
  }

  /** "simdnet best": the relaxed build where the engine accepts it, else SIMD. Every check's reference. */
  get best(): Build & { backend: sd.Backend } {
    return this.liveBuilds[0]!;
  }

  /** Error rows of the builds that did not load (a workload adds them so the column is never silently empty). */
  buildErrors(): { label: string; kind: ImplKind; error: string }[] {
    return this.builds.filter((b) => b.error).map((b) => ({ label: b.label, kind: b.kind, error: b.error! }));
  }

  private async loadPeers(): Promise<void> {
    for (const name of PEER_NAMES) {
      if (onlyPeers && !onlyPeers.includes(name)) {
        this.peerErrors.set(name, "not run: left out by --peers");
        this.setups[name] = "left out by --peers";
        continue;
      }
      try {
        // Dynamic imports: a peer whose package is missing fails here, alone, with its error.
        let p: Peer;
        if (name === "tfjs-wasm") p = await (await import("../peers/tfjs.js")).tfjsPeer("wasm");
        else if (name === "tfjs-cpu") p = await (await import("../peers/tfjs.js")).tfjsPeer("cpu");
        else if (name === "onnxruntime-web") p = await (await import("../peers/onnxruntime.js")).onnxruntimePeer();
        else if (name === "ort-web Attention op") p = await (await import("../peers/onnxruntime.js")).onnxruntimeFusedAttentionPeer();
        else if (name === "onnxruntime-node") p = await (await import("../peers/onnxruntime-node.js")).onnxruntimeNodePeer(1);
        else if (name === "onnxruntime-node 2 threads") p = await (await import("../peers/onnxruntime-node.js")).onnxruntimeNodePeer(2);
        else p = await (await import("../peers/ml-matrix.js")).mlMatrixPeer();
        this.peers.push(p);
        this.setups[name] = p.setup;
      } catch (e) {
        // A bench-only peer that is not installed says how to install it (bench/peers/onnxruntime-node.ts).
        const missing = message(e).startsWith("not installed");
        this.peerErrors.set(name, missing ? message(e) : `peer failed to load: ${message(e)}`);
        this.setups[name] = missing ? message(e) : `FAILED: ${message(e)}`;
      }
    }
  }

  /** Seeded normal data (simdnet's platform-independent generator) as a plain Float32Array. */
  randn(shape: number[], seed: number, scale = 1): Float32Array {
    sd.setBackend(this.build("simd").backend!);
    const t = sd.randn(shape, { seed });
    const data = t.toFloat32Array();
    t.dispose();
    return scale === 1 ? data : data.map((v) => v * scale);
  }
}
