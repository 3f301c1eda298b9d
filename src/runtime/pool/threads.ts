// How many threads a backend gets, and why it got fewer than asked.
//
// Threads need memory the workers can share (SharedArrayBuffer, which browsers expose only to
// cross-origin-isolated pages) and a calling thread that may block in Atomics.wait. A browser's main
// thread may not block, so there simdnet runs on one thread and says so (run it in a Worker to use
// threads): a spinning main thread would freeze the page for the length of every op.

import { platform } from "#simdnet/platform";
import { ArgumentError } from "../errors.js";

export type ThreadsOption = number | "auto";

/** More than this is never useful for one process's kernels, and bounds the control block. */
export const MAX_THREADS = 64;

export interface ThreadChoice {
  threads: number;
  /** Why this count (always set; says what limited it when fewer than asked). */
  reason: string;
}

const isNode = typeof process !== "undefined" && typeof process.versions?.node === "string";

/** Why threads are impossible here, or undefined if they are possible. */
export function threadsUnavailableReason(): string | undefined {
  if (typeof SharedArrayBuffer === "undefined") {
    return isNode
      ? "SharedArrayBuffer is not available in this engine"
      : "SharedArrayBuffer is not available: the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
  }
  if (typeof Atomics === "undefined" || typeof Atomics.wait !== "function") return "Atomics.wait is not available";
  if (!isNode) {
    const g = globalThis as { crossOriginIsolated?: boolean; document?: unknown; WorkerGlobalScope?: unknown };
    if (g.crossOriginIsolated === false) {
      return "the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)";
    }
    if (g.document !== undefined && g.WorkerGlobalScope === undefined) {
      return "a browser's main thread may not block in Atomics.wait: run simdnet in a Web Worker to use threads";
    }
  }
  return undefined;
}

async function availableCores(): Promise<number> {
  return platform.availableCores();
}

/** Resolve `init({ threads })` (default "auto") to a count and a reason. */
export async function chooseThreads(requested: ThreadsOption | undefined): Promise<ThreadChoice> {
  const option = requested ?? "auto";
  if (option !== "auto" && !(Number.isInteger(option) && option >= 1 && option <= MAX_THREADS)) {
    throw new ArgumentError(`init: threads must be "auto" or an integer from 1 to ${MAX_THREADS}, got ${JSON.stringify(requested)}`);
  }
  if (option === 1) return { threads: 1, reason: "1 thread requested" };
  const blocked = threadsUnavailableReason();
  const cores = await availableCores();
  const wanted = option === "auto" ? Math.min(cores, MAX_THREADS) : option;
  const asked = option === "auto" ? `auto: ${cores} cores` : `${option} requested`;
  if (blocked !== undefined) return { threads: 1, reason: `1 thread (${asked}): ${blocked}` };
  return { threads: wanted, reason: `${wanted} thread${wanted === 1 ? "" : "s"} (${asked})` };
}
