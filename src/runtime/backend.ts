// A Backend is one instance of the kernel module with the memory it runs on: the Wasm exports,
// the host-owned WebAssembly.Memory, the allocator over it, and the bookkeeping behind memory().
// Tensors belong to the backend that allocated them; ops run on their inputs' backend, so two
// backends (SIMD and scalar, say) can live side by side in one process.

import { Allocator } from "./allocator.js";
import { ArgumentError, ThreadError, WasmLoadError } from "./errors.js";
import type { WasmMemory, WasmModule } from "./host-types.js";
import { REQUIRED_EXPORTS, type Kernels } from "./kernels.js";
import { loadDefaultModule } from "./default-module.js";
import { DEFAULT_THRESHOLDS, dispatchingKernels, PARALLEL_KERNELS } from "./pool/dispatch.js";
import type { Family } from "./pool/plans.js";
import { WorkerPool } from "./pool/pool.js";
import { platformSpawner } from "./pool/spawn.js";
import { chooseThreads, type ThreadsOption } from "./pool/threads.js";
import {
  compileWasm, defaultWasmUrl, engineSupportsRelaxedSimd, engineSupportsSimd, type BuildName, type WasmSource,
} from "./wasm-loader.js";

const PAGE = 65536;
const MB = 1024 * 1024;

export interface BackendOptions {
  /**
   * Which kernel module to run. Default: the fastest the engine accepts — "relaxed" (SIMD128 with fused
   * multiply-add), else "simd", else "scalar". "relaxed" results depend on the CPU (FMA or not) in the
   * last bits; "simd" gives the same bits in every engine. Asking for a build the engine lacks throws.
   */
  build?: BuildName;
  /** Older switch: true = the plain "simd" build, false = "scalar"; ignored when `build` is given. */
  simd?: boolean;
  /** Where to load the module from (URL, path, bytes or a compiled Module) instead of the package's build/. */
  wasm?: WasmSource;
  /** Initial memory in MiB (default 16). */
  initialMemoryMB?: number;
  /** Memory cap in MiB (default 2048); allocation past it throws OutOfMemoryError. */
  maxMemoryMB?: number;
  /**
   * Threads the kernels use, including the calling thread: a number, or "auto" (the default) for every
   * available core (os.availableParallelism() in Node, navigator.hardwareConcurrency in browsers).
   * Needs SharedArrayBuffer (browsers: a cross-origin-isolated page) and a thread that may block
   * (not a browser's main thread); otherwise one thread, and backendInfo().threadsReason says why.
   * Results are bit-identical whatever the count.
   */
  threads?: ThreadsOption;
  /**
   * Smallest work per call that is split across threads, by kernel family (see pool/dispatch.ts).
   * For tests and benchmarks; the defaults are measured.
   */
  parallelThresholds?: Partial<Record<Family, number>>;
}

export interface BackendInfo {
  /** Which module runs the kernels. */
  build: BuildName;
  /** Whether that module uses SIMD128 (true for "relaxed" and "simd"). */
  simd: boolean;
  /** Why that build was chosen. */
  reason: string;
  /** Where the module came from. */
  source: string;
  /** Threads the kernels use, including the calling thread. */
  threads: number;
  /** Why that many: what was asked, and what limited it (no SharedArrayBuffer, a failed worker, dispose()). */
  threadsReason: string;
  memoryBytes: number;
  maxMemoryBytes: number;
}

export interface MemoryInfo {
  /** Tensors created and not yet disposed. */
  numTensors: number;
  /** Bytes of data held by those tensors (4 per element). */
  numBytes: number;
  /** Bytes held by the allocator for live blocks, including size-class rounding and scratch. */
  allocatedBytes: number;
  /** Bytes on the allocator's free lists. */
  freeBytes: number;
  /** Size of the Wasm memory. */
  wasmBytes: number;
}

/** The build `options` ask for, checked against what the engine accepts, and why it was chosen. */
function chooseBuild(options: BackendOptions): { build: BuildName; reason: string } {
  const relaxed = engineSupportsRelaxedSimd();
  const simd = engineSupportsSimd();
  const requested: BuildName | undefined = options.build ?? (options.simd === true ? "simd" : options.simd === false ? "scalar" : undefined);
  if (requested !== undefined) {
    if (!(requested in BUILD_NEEDS)) {
      throw new ArgumentError(`init: build must be "relaxed", "simd" or "scalar", got ${JSON.stringify(requested)}`);
    }
    if (requested === "relaxed" && !relaxed) {
      throw new WasmLoadError(
        "init: the relaxed-SIMD build was requested but this engine does not accept relaxed SIMD " +
          "(Node 20 needs `node --experimental-wasm-relaxed-simd`, or `v8.setFlagsFromString(\"--experimental-wasm-relaxed-simd\")` " +
          "before init(); Node >= 22 and Chromium >= 114 have it)",
      );
    }
    if (requested === "simd" && !simd) {
      throw new WasmLoadError("init: the SIMD build was requested but this engine does not support WebAssembly SIMD128");
    }
    const how = options.build !== undefined ? `build: "${requested}"` : `simd: ${options.simd}`;
    return { build: requested, reason: `${requested} build requested (${how}; ${BUILD_NEEDS[requested]})` };
  }
  if (relaxed) return { build: "relaxed", reason: "the engine accepts relaxed SIMD (fused multiply-add): the fastest build" };
  if (simd) return { build: "simd", reason: `the engine supports SIMD128 but not relaxed SIMD${node20RelaxedHint()}` };
  return { build: "scalar", reason: "the engine does not support WebAssembly SIMD128; using the scalar build" };
}

// Node 20's V8 (11.3) implements relaxed SIMD but only behind a flag; Node >= 22 ships it enabled.
function node20RelaxedHint(): string {
  const major = typeof process !== "undefined" ? Number(process.versions?.node?.split(".")[0]) : NaN;
  if (major !== 20) return "";
  return (
    " (Node 20 has it behind a flag: run `node --experimental-wasm-relaxed-simd`, or call " +
    "`v8.setFlagsFromString(\"--experimental-wasm-relaxed-simd\")` before init(), for the faster relaxed build)"
  );
}

/** What build_kind() in assembly/build.ts returns for each build. */
const BUILD_KINDS: Record<number, BuildName> = { 2: "relaxed", 1: "simd", 0: "scalar" };

/**
 * The build a module says it is (its build_kind export), checked against what was asked for. A module
 * handed in through `wasm` may be any build, whatever `build` said: report the module's own answer.
 */
function identifyBuild(exports: Record<string, unknown>, chosen: { build: BuildName; reason: string }, options: BackendOptions, origin: string): { build: BuildName; reason: string } {
  const kindFn = exports.build_kind;
  const actual = typeof kindFn === "function" ? BUILD_KINDS[(kindFn as () => number)()] : undefined;
  if (actual === undefined) {
    if (options.wasm === undefined) return chosen;
    return { build: chosen.build, reason: `${chosen.reason}; the module given in \`wasm\` does not say which build it is (no build_kind export), so this is the build asked for, unverified` };
  }
  const requested = options.build ?? (options.simd === true ? "simd" : options.simd === false ? "scalar" : undefined);
  if (requested !== undefined && requested !== actual) {
    throw new WasmLoadError(`init: the ${requested} build was requested but ${origin} is the ${actual} build (its build_kind() says so)`);
  }
  if (actual === chosen.build) return chosen;
  return { build: actual, reason: `the module given in \`wasm\` (${origin}) is the ${actual} build (${BUILD_NEEDS[actual]})` };
}

/**
 * The default module: the shared-memory variant when threads will run, else the plain one (with the
 * embedded fallback of default-module.ts). A shared variant that cannot be reached (an esbuild bundle
 * ships no .wasm files, and the embedded copies are the plain builds) means one thread, said so.
 */
async function defaultModule(build: BuildName, threads: number, threadsReason: string): Promise<{ module: WasmModule; origin: string; threads: number; threadsReason: string }> {
  if (threads > 1) {
    try {
      return { ...(await compileWasm(defaultWasmUrl(build, true))), threads, threadsReason };
    } catch (error) {
      threadsReason = `1 thread: the shared-memory module is not reachable (${(error as Error).message}); ${threadsReason} asked`;
      threads = 1;
    }
  }
  return { ...(await loadDefaultModule(build)), threads, threadsReason };
}

const BUILD_NEEDS: Record<BuildName, string> = {
  relaxed: "SIMD128 + relaxed SIMD",
  simd: "SIMD128, same bits in every engine",
  scalar: "no SIMD",
};

function instantiate(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<WebAssembly.Instance> {
  return WebAssembly.instantiate(module, {
    env: {
      memory,
      abort(_msg: number, _file: number, line: number, column: number) {
        throw new Error(`simdnet kernel aborted at ${line}:${column}`);
      },
    },
  });
}

export class Backend {
  readonly allocator: Allocator;
  /**
   * The kernels as ops call them: the module's exports, with the splittable ones dispatched across the
   * worker pool above a size threshold (runtime/pool/plans.ts). Same signatures, same bits.
   */
  readonly kernels: Kernels;
  /** Smallest work split across threads, by kernel family (pool/dispatch.ts); tests may lower them. */
  readonly parallelThresholds: Record<Family, number>;
  private view: Float32Array;
  private scratchPtr = 0;
  private scratchSize = 0;
  private tensorCount = 0;
  private tensorBytes = 0;
  private pool: WorkerPool | undefined;
  private readonly threadScratchPtrs: number[] = [];
  private readonly threadScratchSizes: number[] = [];
  private threadsReason: string;

  private constructor(
    /** The module's exports, always on the calling thread. */
    readonly rawKernels: Kernels,
    readonly memory: WasmMemory,
    private readonly description: Omit<BackendInfo, "memoryBytes" | "threads" | "threadsReason">,
    threadsReason: string,
    thresholds: Partial<Record<Family, number>> | undefined,
  ) {
    const base = rawKernels.heap_base();
    this.allocator = new Allocator(memory, base, description.maxMemoryBytes);
    this.view = new Float32Array(memory.buffer);
    this.threadsReason = threadsReason;
    this.parallelThresholds = { ...DEFAULT_THRESHOLDS, ...thresholds };
    this.kernels = dispatchingKernels(rawKernels, {
      activePool: () => (this.pool?.usable ? this.pool : this.dropFailedPool()),
      threadScratch: (t, bytes) => this.threadScratch(t, bytes),
      thresholds: this.parallelThresholds,
    });
  }

  static async create(options: BackendOptions = {}): Promise<Backend> {
    const initialMB = options.initialMemoryMB ?? 16;
    const maxMB = options.maxMemoryMB ?? 2048;
    if (!(initialMB > 0 && maxMB >= initialMB && maxMB <= 4096)) {
      throw new ArgumentError(`init: need 0 < initialMemoryMB <= maxMemoryMB <= 4096, got ${initialMB} and ${maxMB}`);
    }
    const { build, reason } = chooseBuild(options);
    let { threads, reason: threadsReason } = await chooseThreads(options.threads);
    // Threads need the module built for a shared memory (asconfig "*-shared" targets).
    let module: WasmModule, origin: string;
    if (options.wasm !== undefined) ({ module, origin } = await compileWasm(options.wasm));
    else ({ module, origin, threads, threadsReason } = await defaultModule(build, threads, threadsReason));
    const limits = { initial: Math.ceil((initialMB * MB) / PAGE), maximum: Math.ceil((maxMB * MB) / PAGE) };
    let memory = new WebAssembly.Memory({ ...limits, shared: threads > 1 });
    let instance: WebAssembly.Instance;
    try {
      instance = await instantiate(module, memory);
    } catch (cause) {
      if (!(threads > 1 && options.wasm !== undefined)) {
        throw new WasmLoadError(`${origin} failed to instantiate: ${(cause as Error).message}`, { cause });
      }
      // A module given by the caller may declare an unshared memory: run it on one thread.
      memory = new WebAssembly.Memory(limits);
      try {
        instance = await instantiate(module, memory);
      } catch (cause2) {
        throw new WasmLoadError(`${origin} failed to instantiate: ${(cause2 as Error).message}`, { cause: cause2 });
      }
      threadsReason = `1 thread: the given module does not import a shared memory (${threadsReason} asked)`;
      threads = 1;
    }
    const exports = instance.exports as Record<string, unknown>;
    const missing = REQUIRED_EXPORTS.filter((name) => typeof exports[name] !== "function");
    if (missing.length > 0) {
      throw new WasmLoadError(`${origin} lacks kernels ${missing.join(", ")}: the build is stale or not simdnet's (run \`npm run build\`)`);
    }
    const actual = identifyBuild(exports, { build, reason }, options, origin);
    const backend = new Backend(exports as unknown as Kernels, memory, {
      build: actual.build,
      simd: actual.build !== "scalar",
      reason: actual.reason,
      source: origin,
      maxMemoryBytes: Math.ceil((maxMB * MB) / PAGE) * PAGE,
    }, threadsReason, options.parallelThresholds);
    if (threads > 1) {
      try {
        backend.pool = await WorkerPool.start({
          module, memory, threads, kernels: PARALLEL_KERNELS, spawn: await platformSpawner(),
        });
      } catch (cause) {
        if (!(cause instanceof ThreadError)) throw cause;
        backend.threadsReason = `1 thread: ${cause.message} (${threadsReason})`;
      }
    }
    return backend;
  }

  info(): BackendInfo {
    const threads = this.pool?.usable ? this.pool.threads : 1;
    if (this.pool && !this.pool.usable) this.dropFailedPool();
    return { ...this.description, threads, threadsReason: this.threadsReason, memoryBytes: this.memory.buffer.byteLength };
  }

  /** The worker pool, while it runs (tests use it to inject faults). */
  get workerPool(): WorkerPool | undefined {
    return this.pool;
  }

  /**
   * Terminate the worker threads and free their scratch. The backend and its tensors stay usable, on
   * the calling thread alone. Idempotent.
   */
  dispose(): void {
    if (this.pool === undefined) return;
    const threads = this.pool.threads;
    this.pool.shutdown();
    this.pool = undefined;
    this.freeThreadScratch();
    this.threadsReason = `1 thread: the pool of ${threads} was disposed`;
  }

  /** After a worker fault the pool has shut itself down: record why and release what it held. */
  private dropFailedPool(): undefined {
    const pool = this.pool;
    if (pool === undefined) return undefined;
    this.pool = undefined;
    // The scratch is not freed: a worker that timed out may still be running a kernel in it.
    this.threadsReason = `1 thread: the pool of ${pool.threads} stopped after a fault (${pool.failureReason ?? "shut down"})`;
    return undefined;
  }

  private threadScratch(t: number, bytes: number): number {
    if ((this.threadScratchSizes[t] ?? 0) < bytes) {
      const old = this.threadScratchPtrs[t];
      if (old) this.allocator.free(old);
      this.threadScratchPtrs[t] = 0;
      this.threadScratchSizes[t] = 0;
      const ptr = this.allocator.alloc(bytes);
      this.threadScratchPtrs[t] = ptr;
      this.threadScratchSizes[t] = this.allocator.blockSize(ptr)!;
    }
    return this.threadScratchPtrs[t]!;
  }

  private freeThreadScratch(): void {
    for (const ptr of this.threadScratchPtrs) if (ptr) this.allocator.free(ptr);
    this.threadScratchPtrs.length = 0;
    this.threadScratchSizes.length = 0;
  }

  /**
   * A Float32Array over the whole memory. Re-derived whenever memory has grown (growth detaches the
   * old buffer), so take it again after anything that may allocate; never keep it across calls.
   */
  get f32(): Float32Array {
    if (this.view.buffer !== this.memory.buffer) this.view = new Float32Array(this.memory.buffer);
    return this.view;
  }

  /** A scratch region of at least `bytes`, reused across calls; valid until the next scratch() call. */
  scratch(bytes: number): number {
    if (bytes > this.scratchSize) {
      if (this.scratchPtr !== 0) this.allocator.free(this.scratchPtr);
      this.scratchPtr = 0;
      this.scratchSize = 0;
      this.scratchPtr = this.allocator.alloc(bytes);
      this.scratchSize = this.allocator.blockSize(this.scratchPtr)!;
    }
    return this.scratchPtr;
  }

  /** Called by Tensor on creation and dispose: the counts behind memory(). */
  noteTensor(bytes: number, delta: 1 | -1): void {
    this.tensorCount += delta;
    this.tensorBytes += delta * bytes;
  }

  memoryInfo(): MemoryInfo {
    const s = this.allocator.stats();
    return {
      numTensors: this.tensorCount,
      numBytes: this.tensorBytes,
      allocatedBytes: s.liveBytes,
      freeBytes: s.freeBytes,
      wasmBytes: s.memoryBytes,
    };
  }
}
