import { describe, expect, it } from "vitest";
import { Allocator, classSize } from "../src/runtime/allocator.js";
import { OutOfMemoryError } from "../src/index.js";

const PAGE = 65536;

function memoryOf(pages: number, max: number) {
  return new WebAssembly.Memory({ initial: pages, maximum: max });
}

describe("size classes", () => {
  it("round up to 16 bytes, then to at most 25% over the request", () => {
    expect(classSize(0)).toBe(16);
    expect(classSize(1)).toBe(16);
    expect(classSize(17)).toBe(32);
    expect(classSize(256)).toBe(256);
    for (const bytes of [257, 1000, 4097, 65537, 1_000_000, 12_345_678]) {
      const c = classSize(bytes);
      expect(c).toBeGreaterThanOrEqual(bytes);
      expect(c % 16).toBe(0);
      expect(c).toBeLessThanOrEqual(Math.ceil(bytes * 1.25) + 16);
    }
  });
});

describe("Allocator", () => {
  it("hands out 16-byte aligned, non-overlapping blocks above the base", () => {
    const a = new Allocator(memoryOf(1, 16), 1000, 16 * PAGE);
    const blocks = [3, 17, 100, 5000, 1].map((n) => ({ ptr: a.alloc(n), n }));
    for (const b of blocks) {
      expect(b.ptr % 16).toBe(0);
      expect(b.ptr).toBeGreaterThanOrEqual(1000);
    }
    const sorted = blocks.slice().sort((x, y) => x.ptr - y.ptr);
    for (let i = 1; i < sorted.length; i++) expect(sorted[i]!.ptr).toBeGreaterThanOrEqual(sorted[i - 1]!.ptr + sorted[i - 1]!.n);
  });

  it("reuses freed blocks: alloc/free in a loop does not grow memory", () => {
    const mem = memoryOf(1, 64);
    const a = new Allocator(mem, 0, 64 * PAGE);
    const keepAlive = a.alloc(64); // so frees are not all at the top
    for (let i = 0; i < 10_000; i++) {
      const x = a.alloc(4000 + (i % 7) * 16);
      const y = a.alloc(128);
      a.free(x);
      a.free(y);
    }
    expect(mem.buffer.byteLength).toBe(PAGE);
    expect(a.stats().liveBlocks).toBe(1);
    a.free(keepAlive);
    expect(a.stats().liveBytes).toBe(0);
  });

  it("grows memory on demand and keeps the data written before the growth", () => {
    const mem = memoryOf(1, 256);
    const a = new Allocator(mem, 0, 256 * PAGE);
    const p = a.alloc(1024);
    new Float32Array(mem.buffer, p, 256).fill(7);
    const big = a.alloc(3 * PAGE);
    expect(mem.buffer.byteLength).toBeGreaterThanOrEqual(big + 3 * PAGE);
    expect(new Float32Array(mem.buffer, p, 256).every((v) => v === 7)).toBe(true);
  });

  it("throws OutOfMemoryError naming the request at the maximum, and stays usable", () => {
    const mem = memoryOf(1, 4);
    const a = new Allocator(mem, 0, 4 * PAGE);
    const p = a.alloc(PAGE);
    expect(() => a.alloc(10 * PAGE)).toThrow(OutOfMemoryError);
    expect(() => a.alloc(10 * PAGE)).toThrow(/request of 655360 bytes.*maximum of 262144 bytes/);
    a.free(p);
    expect(a.alloc(2 * PAGE)).toBeGreaterThanOrEqual(0);
  });

  it("takes a somewhat larger free block before growing, and rejects double frees", () => {
    const mem = memoryOf(1, 64);
    const a = new Allocator(mem, 0, 64 * PAGE);
    const big = a.alloc(40_000);
    a.alloc(16); // pin the top so the big block goes to a free list
    a.free(big);
    const top = a.stats().topBytes;
    const reused = a.alloc(30_000);
    expect(reused).toBe(big);
    expect(a.stats().topBytes).toBe(top);
    a.free(reused);
    expect(() => a.free(reused)).toThrow(/not a live block/);
  });
});
