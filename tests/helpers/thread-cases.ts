// Cases for the thread bit-identity tests: a kernel call over freshly filled buffers, run on one
// backend, returning the outputs' bytes. Shared by tests/threads.test.ts and threads-attention.test.ts.

import type { Backend } from "../../src/index.js";

export type Kind = "rand" | "ids" | "labels" | "zero" | "pos";
/** A buffer: its length in 4-byte elements and how to fill it. */
export interface Buf { n: number; kind: Kind; limit?: number }
export interface Case {
  name: string;
  kernel: string;
  buffers: Record<string, Buf>;
  /** The kernel's arguments, given each buffer's pointer. */
  args(p: Record<string, number>): number[];
  outputs: string[];
  /** Scratch bytes the kernel needs (default: GEMM's), at p.scratch. */
  scratchBytes?(b: Backend): number;
  /** Runs on the calling thread before the call, e.g. a forward pass whose outputs the backward reads. */
  before?(b: Backend, p: Record<string, number>): void;
}

/** Deterministic fill so every backend sees the same inputs. */
export function fill(b: Backend, ptr: number, buf: Buf, seed: number): void {
  let s = (seed * 2654435761) >>> 0 || 1;
  const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296);
  const f = b.f32, i32 = new Int32Array(b.memory.buffer);
  for (let i = 0; i < buf.n; i++) {
    const u = next();
    if (buf.kind === "ids") i32[ptr / 4 + i] = Math.floor(u * buf.limit!);
    else if (buf.kind === "labels") i32[ptr / 4 + i] = u < 0.1 ? -1 : Math.floor(u * buf.limit!);
    else if (buf.kind === "zero") f[ptr / 4 + i] = 0;
    else if (buf.kind === "pos") f[ptr / 4 + i] = 0.05 + u;
    else f[ptr / 4 + i] = (u - 0.5) * 4;
  }
}

/** Run one case on a backend: fresh buffers, the call, then the outputs' bytes and the return value. */
export function run(b: Backend, c: Case): { out: Uint32Array[]; ret: number } {
  const ptrs: Record<string, number> = {};
  let seed = 1;
  for (const [name, buf] of Object.entries(c.buffers)) {
    ptrs[name] = b.allocator.alloc(Math.max(16, buf.n * 4));
    fill(b, ptrs[name]!, buf, seed++);
  }
  ptrs.scratch = b.scratch(c.scratchBytes ? c.scratchBytes(b) : b.rawKernels.gemm_scratch_bytes());
  c.before?.(b, ptrs);
  const args = c.args(ptrs);
  const ret = (b.kernels as unknown as Record<string, (...a: number[]) => number>)[c.kernel]!(...args);
  const out = c.outputs.map((name) => new Uint32Array(b.memory.buffer, ptrs[name]!, c.buffers[name]!.n).slice());
  for (const name of Object.keys(c.buffers)) b.allocator.free(ptrs[name]!);
  return { out, ret: ret as number };
}

