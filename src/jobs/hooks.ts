// What every job shares: a log line callback, cancellation, and the checkpoint sink. Jobs never
// touch a file system: they hand checkpoint bytes to the sink, and the caller decides where they go
// (an atomic file in Node, IndexedDB or a download in a page).

import type { HostAbortSignal } from "../runtime/host-types.js";

export interface SavedCheckpointInfo {
  /** Steps done when the checkpoint was taken. */
  step: number;
  /** True for the checkpoint taken when the run completed. */
  final: boolean;
}

/** Receives each checkpoint; the job waits for it (so a slow store never sees two saves at once). */
export type CheckpointSink = (bytes: Uint8Array, info: SavedCheckpointInfo) => void | Promise<void>;

export interface JobHooks {
  /** One line of human-readable progress (the CLI prints these). */
  log?: (line: string) => void;
  /** Stop between steps; the job saves a checkpoint and returns with `stopped: true`. */
  signal?: HostAbortSignal;
}

/** "1 epoch", "2 epochs". */
export function plural(n: number, noun: string, many = `${noun}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? noun : many}`;
}

/**
 * Returns a function the training loop awaits after every step: every `everyMs` of wall time it
 * yields to the event loop (a macrotask), so a stop request — Ctrl-C in Node, a message to a
 * Worker — gets handled even when no checkpoint is written. Costs about 1 ms per yield.
 */
export function eventLoopYielder(everyMs = 100): () => Promise<void> | undefined {
  let last = performance.now();
  return () => {
    const now = performance.now();
    if (now - last < everyMs) return undefined;
    last = now;
    return new Promise((resolve) => setTimeout(resolve, 0));
  };
}
