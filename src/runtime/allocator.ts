// A coalescing allocator over a WebAssembly.Memory that the host owns.
//
// Layout: [base, top) is covered exactly by live blocks and free blocks; [top, maxBytes) is room
// to grow. Blocks are 16-byte aligned (v128) and 16-byte multiples; a request is rounded up to 16
// bytes and to nothing more (a larger free block is split, and the rest stays free).
//
// Guarantee. Free blocks are coalesced eagerly: freeing a block merges it with a free neighbour on
// either side, and a free block that ends at the top lowers the top instead of being listed. So
// there are never two adjacent free blocks, and the block below the top is never free. A request
// of n bytes (rounded up to 16) therefore succeeds if and only if
//   - some free block holds at least n bytes (a maximal run of free memory, after merging), or
//   - top + n <= maxBytes (the engine permitting the memory to grow);
// otherwise it throws OutOfMemoryError and changes nothing. In particular, with nothing live, any
// request up to maxBytes − base succeeds, whatever was allocated and freed before.
//
// Cost. A training loop frees and re-requests the same few sizes every step, so free blocks are
// indexed by exact size: a request that finds a free block of its own size takes it in O(1). Else
// it takes any block from the smallest non-empty size class entirely above the request (found with
// a bitmap of non-empty classes: a few word operations) and splits it. Only when neither exists does it scan the free
// blocks of the request's own class (they may be smaller or larger than the request), before it
// bumps the top. Freeing is O(1): neighbours are found through maps keyed by start and end.
//
// Memory grows on demand up to `maxBytes`; past that OutOfMemoryError names the request. Growing
// detaches every ArrayBuffer view of the old buffer: callers re-derive views (see Backend.f32).

import { ArgumentError, OutOfMemoryError } from "./errors.js";
import type { WasmMemory } from "./host-types.js";

const ALIGN = 16;
const PAGE = 65536;

/** Bytes actually reserved for a request: rounded up to the 16-byte alignment (at least 16). */
export function roundedSize(bytes: number): number {
  return Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
}

/**
 * Index of the size class holding a block of `bytes` (a multiple of 16): one class per 16 bytes up
 * to 256, then four per power of two (2^k·{1, 1.25, 1.5, 1.75}). Monotonic in `bytes`, so every
 * block in a class above the request's class is at least as large as the request.
 */
export function sizeClassIndex(bytes: number): number {
  if (bytes <= 256) return bytes / ALIGN - 1;
  // k = ⌊log2 bytes⌋ by counting leading zeros (blocks are below 2^32: the cap is at most 4 GiB).
  const k = 31 - Math.clz32(bytes);
  const quarter = Math.floor((bytes - 2 ** k) / 2 ** (k - 2));
  return 16 + (k - 8) * 4 + quarter;
}

export interface AllocatorStats {
  /** Bytes in blocks handed out and not yet freed (16-byte rounded sizes). */
  liveBytes: number;
  liveBlocks: number;
  /** Bytes in free blocks below the top, ready for reuse. */
  freeBytes: number;
  /** Free blocks below the top (each a maximal run: no two are adjacent). */
  freeBlocks: number;
  /** The largest free block below the top, in bytes (0 if none). */
  largestFreeBytes: number;
  /** Top of the heap: everything between base and top is live or free. */
  topBytes: number;
  /** Current size of the Wasm memory. */
  memoryBytes: number;
}

export class Allocator {
  private top: number;
  readonly base: number;
  /** Size of every live block, by address: frees are checked against it. */
  private readonly live = new Map<number, number>();
  /** Free blocks: size by start address, and start by end address (to find both neighbours). */
  private readonly freeByStart = new Map<number, number>();
  private readonly freeByEnd = new Map<number, number>();
  /** Free block starts by exact size (the O(1) reuse path; sets may be empty) and by size class (the search path). */
  private readonly freeBySize = new Map<number, Set<number>>();
  private readonly freeByClass: Set<number>[] = [];
  /** Bit c set ⇔ class c has a free block (so finding the next non-empty class skips empty ones). */
  private readonly nonEmptyClasses = new Uint32Array(8);
  private liveBytes = 0;
  private freeBytes = 0;

  constructor(
    private readonly memory: WasmMemory,
    base: number,
    readonly maxBytes: number,
  ) {
    this.base = Math.ceil(base / ALIGN) * ALIGN;
    this.top = this.base;
  }

  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new OutOfMemoryError(`alloc: invalid request of ${bytes} bytes`);
    }
    const size = roundedSize(bytes);
    const found = this.findFree(size);
    let ptr: number;
    if (found !== undefined) {
      const blockSize = this.freeByStart.get(found)!;
      this.unlistFree(found, blockSize);
      if (blockSize > size) this.listFree(found + size, blockSize - size);
      ptr = found;
    } else {
      ptr = this.bump(size, bytes);
    }
    this.live.set(ptr, size);
    this.liveBytes += size;
    return ptr;
  }

  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new ArgumentError(`free: ${ptr} is not a live block (double free?)`);
    this.live.delete(ptr);
    this.liveBytes -= size;
    let start = ptr;
    let end = ptr + size;
    const before = this.freeByEnd.get(start);
    if (before !== undefined) {
      this.unlistFree(before, start - before);
      start = before;
    }
    const afterSize = this.freeByStart.get(end);
    if (afterSize !== undefined) {
      this.unlistFree(end, afterSize);
      end += afterSize;
    }
    if (end === this.top) this.top = start;
    else this.listFree(start, end - start);
  }

  /** Size of a live block (what the block can hold). */
  blockSize(ptr: number): number | undefined {
    return this.live.get(ptr);
  }

  stats(): AllocatorStats {
    let largest = 0;
    for (const [size, set] of this.freeBySize) if (set.size > 0) largest = Math.max(largest, size);
    return {
      liveBytes: this.liveBytes,
      liveBlocks: this.live.size,
      freeBytes: this.freeBytes,
      freeBlocks: this.freeByStart.size,
      largestFreeBytes: largest,
      topBytes: this.top,
      memoryBytes: this.memory.buffer.byteLength,
    };
  }

  /** Start of a free block of at least `size` bytes, or undefined if there is none. */
  private findFree(size: number): number | undefined {
    if (this.freeByStart.size === 0) return undefined;
    const exact = this.freeBySize.get(size);
    if (exact && exact.size > 0) return first(exact);
    const cls = sizeClassIndex(size);
    const above = this.firstNonEmptyClass(cls + 1);
    if (above >= 0) return first(this.freeByClass[above]!);
    const own = this.freeByClass[cls];
    if (own) {
      for (const start of own) if (this.freeByStart.get(start)! >= size) return start;
    }
    return undefined;
  }

  private listFree(start: number, size: number): void {
    this.freeByStart.set(start, size);
    this.freeByEnd.set(start + size, start);
    let same = this.freeBySize.get(size);
    if (!same) {
      // Emptied sets are kept for reuse (churn would otherwise make a Set per free); prune them
      // when there are many, so a workload of ever-new sizes does not grow the map without bound.
      if (this.freeBySize.size >= 4096) for (const [s, set] of this.freeBySize) if (set.size === 0) this.freeBySize.delete(s);
      this.freeBySize.set(size, (same = new Set()));
    }
    same.add(start);
    const cls = sizeClassIndex(size);
    (this.freeByClass[cls] ??= new Set()).add(start);
    this.nonEmptyClasses[cls >>> 5]! |= 1 << (cls & 31);
    this.freeBytes += size;
  }

  private unlistFree(start: number, size: number): void {
    this.freeByStart.delete(start);
    this.freeByEnd.delete(start + size);
    this.freeBySize.get(size)!.delete(start);
    const cls = sizeClassIndex(size);
    const inClass = this.freeByClass[cls]!;
    inClass.delete(start);
    if (inClass.size === 0) this.nonEmptyClasses[cls >>> 5]! &= ~(1 << (cls & 31));
    this.freeBytes -= size;
  }

  /** The smallest class >= `from` with a free block, or −1. */
  private firstNonEmptyClass(from: number): number {
    for (let w = from >>> 5; w < this.nonEmptyClasses.length; w++) {
      let bits = this.nonEmptyClasses[w]!;
      if (w === from >>> 5) bits &= ~0 << (from & 31);
      if (bits !== 0) return w * 32 + (31 - Math.clz32(bits & -bits));
    }
    return -1;
  }

  private bump(size: number, requested: number): number {
    const ptr = this.top;
    const end = ptr + size;
    if (end > this.memory.buffer.byteLength) this.grow(end, requested);
    this.top = end;
    return ptr;
  }

  private grow(endBytes: number, requested: number): void {
    if (endBytes > this.maxBytes) {
      const { largestFreeBytes } = this.stats();
      throw new OutOfMemoryError(
        `out of memory: a request of ${requested} bytes needs the heap to reach ${endBytes} bytes, ` +
          `over the maximum of ${this.maxBytes} bytes (${this.liveBytes} bytes live in ${this.live.size} blocks; ` +
          `${this.freeBytes} bytes free below the top in ${this.freeByStart.size} blocks, the largest ${largestFreeBytes} bytes); ` +
          `dispose tensors or raise maxMemoryMB`,
      );
    }
    const current = this.memory.buffer.byteLength;
    // Grow geometrically (at least 25%) so a growing workload does not grow page by page.
    const wanted = Math.max(endBytes, Math.min(this.maxBytes, Math.ceil(current * 1.25)));
    const pages = Math.ceil((wanted - current) / PAGE);
    try {
      this.memory.grow(pages);
    } catch (cause) {
      throw new OutOfMemoryError(
        `out of memory: the engine refused to grow memory from ${current} to ${current + pages * PAGE} bytes ` +
          `for a request of ${requested} bytes`,
        { cause },
      );
    }
  }
}

function first(set: Set<number>): number | undefined {
  for (const v of set) return v;
  return undefined;
}
