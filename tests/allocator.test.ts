import { describe, expect, it } from "vitest";
import { Allocator, roundedSize, sizeClassIndex } from "../src/runtime/allocator.js";
import {
  ArgumentError, OutOfMemoryError, Random, Tensor, createBackend, memory, setBackend, tensor, zeros,
} from "../src/index.js";

const PAGE = 65536;

function memoryOf(pages: number, max: number) {
  return new WebAssembly.Memory({ initial: pages, maximum: max });
}

describe("size classes", () => {
  it("are monotonic in the block size: one per 16 bytes to 256, then four per power of two", () => {
    expect(roundedSize(0)).toBe(16);
    expect(roundedSize(1)).toBe(16);
    expect(roundedSize(17)).toBe(32);
    expect(sizeClassIndex(16)).toBe(0);
    expect(sizeClassIndex(256)).toBe(15);
    expect(sizeClassIndex(272)).toBe(16);
    expect(sizeClassIndex(320)).toBe(17); // 256·1.25
    expect(sizeClassIndex(319 & ~15)).toBe(16);
    expect(sizeClassIndex(512)).toBe(20);
    let previous = -1;
    for (let bytes = 16; bytes < 1 << 22; bytes += 16 * Math.max(1, Math.floor(bytes / 1024))) {
      const c = sizeClassIndex(bytes);
      expect(c).toBeGreaterThanOrEqual(previous);
      previous = c;
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

  it("takes a larger free block before growing (splitting it), and rejects double frees", () => {
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
    expect(() => a.free(reused)).toThrow(ArgumentError);
    expect(() => a.free(reused)).toThrow(/not a live block/);
  });
});

describe("coalescing", () => {
  it("merges a freed block with free neighbours on both sides into one run", () => {
    const a = new Allocator(memoryOf(4, 4), 0, 4 * PAGE);
    const [p, q, r] = [a.alloc(1000), a.alloc(2000), a.alloc(3000)];
    a.alloc(16); // pin the top
    a.free(p);
    a.free(r);
    expect(a.stats().freeBlocks).toBe(2);
    a.free(q);
    expect(a.stats()).toMatchObject({ freeBlocks: 1, freeBytes: 1008 + 2000 + 3008, largestFreeBytes: 6016 });
    expect(a.alloc(6016)).toBe(p);
  });

  it("lowers the top through a free tail, whatever the order of the frees", () => {
    const a = new Allocator(memoryOf(4, 4), 48, 4 * PAGE);
    const blocks = [100, 200, 300, 400].map((n) => a.alloc(n));
    for (const i of [1, 3, 0, 2]) a.free(blocks[i]!);
    expect(a.stats()).toMatchObject({ topBytes: 48, freeBytes: 0, freeBlocks: 0, liveBytes: 0 });
  });

  it("reuses an exact-size free block first (the training loop's churn), without splitting a larger one", () => {
    const a = new Allocator(memoryOf(4, 4), 0, 4 * PAGE);
    const big = a.alloc(8000);
    a.alloc(16);
    const small = a.alloc(512);
    a.alloc(16);
    a.free(big);
    a.free(small);
    for (let i = 0; i < 100; i++) {
      const p = a.alloc(512);
      expect(p).toBe(small);
      a.free(p);
    }
    expect(a.stats().largestFreeBytes).toBe(8000);
  });
});

describe("fragmentation (issue 9, finding 4)", () => {
  it("16 MiB cap: fill memory, dispose in allocation order, then an 8 MiB tensor fits", async () => {
    const backend = await createBackend({ build: "simd", initialMemoryMB: 1, maxMemoryMB: 16 });
    setBackend(backend);
    const filled: Tensor[] = [];
    const sizes = [1000, 70_000, 333, 250_000, 16, 4096];
    for (let i = 0; ; i++) {
      try {
        filled.push(zeros([sizes[i % sizes.length]!]));
      } catch (error) {
        expect(error).toBeInstanceOf(OutOfMemoryError);
        break;
      }
    }
    expect(filled.length).toBeGreaterThan(50);
    for (const t of filled) t.dispose();
    expect(memory()).toMatchObject({ numTensors: 0, allocatedBytes: 0, freeBytes: 0 });
    const big = zeros([2 << 20]);
    expect(big.view()[(2 << 20) - 1]).toBe(0);
    big.dispose();
  });

  it("8 MiB cap: with memory full of holes, a 16-byte request fits in a hole", async () => {
    const backend = await createBackend({ build: "simd", initialMemoryMB: 1, maxMemoryMB: 8 });
    setBackend(backend);
    const filled: Tensor[] = [];
    for (let i = 0; ; i++) {
      try {
        filled.push(zeros([1000 + (i % 5) * 3000]));
      } catch {
        break;
      }
    }
    const crumbs: Tensor[] = [];
    for (;;) {
      try {
        crumbs.push(tensor([0, 0, 0, 0])); // fill the last bytes below the cap too
      } catch {
        break;
      }
    }
    filled.forEach((t, i) => { if (i % 2 === 0) t.dispose(); });
    expect(memory().freeBytes).toBeGreaterThan(3 << 20);
    // Memory is full to the cap: only a freed block (split) can serve the request.
    const small = tensor([1, 2, 3, 4]);
    expect(Array.from(small.view())).toEqual([1, 2, 3, 4]);
    small.dispose();
    for (const t of [...filled, ...crumbs]) t.dispose();
    expect(memory().allocatedBytes).toBe(0);
  });
});

describe("random alloc/free against a model of the heap", () => {
  // Plain checks, not expect(): this loop runs thousands of times and expect() is slow.
  function check(ok: boolean, what: string): void {
    if (!ok) throw new Error(`heap model: ${what}`);
  }

  /** The free runs between live blocks, as the allocator must see them after coalescing. */
  function gapsOf(live: Map<number, number>, base: number, top: number): number[] {
    const sorted = [...live.entries()].sort((x, y) => x[0] - y[0]);
    const gaps: number[] = [];
    let cursor = base;
    for (const [ptr, size] of sorted) {
      check(ptr >= cursor, `block ${ptr} overlaps the block ending at ${cursor}`);
      if (ptr > cursor) gaps.push(ptr - cursor);
      cursor = ptr + size;
    }
    // The run below the top is never left free: it lowers the top instead.
    check(cursor === top, `last live block ends at ${cursor}, top is ${top}`);
    return gaps;
  }

  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: no overlap, alignment 16, every byte accounted, and OOM only when nothing could hold the request`, () => {
      const pages = 8;
      const mem = memoryOf(1, pages);
      const base = 1040;
      const a = new Allocator(mem, base, pages * PAGE);
      const rng = new Random(seed);
      const live = new Map<number, number>();
      const stamp = new Map<number, number>();
      const churnSizes = [64, 4096, 12_000];
      let ooms = 0;
      for (let step = 0; step < 4000; step++) {
        const wantAlloc = live.size === 0 || rng.uniform() < 0.55;
        if (wantAlloc) {
          const bytes = rng.uniform() < 0.5 ? churnSizes[rng.int(churnSizes.length)]! : 1 + rng.int(rng.uniform() < 0.9 ? 5000 : 120_000);
          const before = a.stats();
          try {
            const ptr = a.alloc(bytes);
            check(ptr % 16 === 0 && ptr >= base, `pointer ${ptr}`);
            const size = a.blockSize(ptr)!;
            check(size === roundedSize(bytes), `block size ${size} for ${bytes} bytes`);
            live.set(ptr, size);
            const mark = step + 1;
            new Uint32Array(mem.buffer, ptr, size / 4).fill(mark);
            stamp.set(ptr, mark);
          } catch (error) {
            expect(error).toBeInstanceOf(OutOfMemoryError);
            ooms++;
            const need = roundedSize(bytes);
            expect(before.largestFreeBytes).toBeLessThan(need);
            expect(before.topBytes + need).toBeGreaterThan(pages * PAGE);
            expect(a.stats()).toEqual(before); // a failed request changes nothing
          }
        } else {
          const keys = [...live.keys()];
          const ptr = keys[rng.int(keys.length)]!;
          const size = live.get(ptr)!;
          // Nobody else wrote into this block while it was live.
          check(new Uint32Array(mem.buffer, ptr, size / 4).every((v) => v === stamp.get(ptr)), `block ${ptr} was overwritten`);
          a.free(ptr);
          live.delete(ptr);
        }
        const s = a.stats();
        const gaps = gapsOf(live, base, s.topBytes);
        const liveBytes = [...live.values()].reduce((x, y) => x + y, 0);
        check(s.liveBytes === liveBytes && s.liveBlocks === live.size, "live bytes and blocks");
        check(s.freeBlocks === gaps.length, `${s.freeBlocks} free blocks, the model has ${gaps.length} runs (unmerged neighbours?)`);
        check(s.freeBytes === gaps.reduce((x, y) => x + y, 0), "free bytes");
        check(s.largestFreeBytes === Math.max(0, ...gaps), "largest free run");
        check(s.liveBytes + s.freeBytes === s.topBytes - base, "live + free = top - base");
      }
      expect(ooms).toBeGreaterThan(0); // the cap was reached, so the OOM rule was exercised
      for (const ptr of live.keys()) a.free(ptr);
      expect(a.stats()).toMatchObject({ topBytes: base, freeBytes: 0, liveBytes: 0 });
    });
  }
});
