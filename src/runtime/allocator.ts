// A size-class allocator over a WebAssembly.Memory that the host owns.
//
// Why size classes: a training loop frees and re-requests the same few sizes every step, so a
// freed block goes on its class's free list and the next request of that class pops it — no search,
// no growth. Classes are 16-byte multiples up to 256 B, then four steps per power of two
// (2^k·{1, 1.25, 1.5, 1.75}), so a block wastes at most 25%. A request whose class list is empty
// takes a free block of a larger class before it bumps the top (and before memory grows), and a
// block freed at the top lowers the top instead of being listed. Blocks are 16-byte aligned (v128).
//
// Memory grows on demand up to `maxBytes`; past that OutOfMemoryError names the request. Growing
// detaches every ArrayBuffer view of the old buffer: callers re-derive views (see Backend.f32).

import { OutOfMemoryError } from "./errors.js";
import type { WasmMemory } from "./host-types.js";

const ALIGN = 16;
const PAGE = 65536;

/** Class size (bytes) for a request: the smallest class that holds `bytes`. */
export function classSize(bytes: number): number {
  const b = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (b <= 256) return b;
  const top = 2 ** Math.floor(Math.log2(b));
  for (const step of [1, 1.25, 1.5, 1.75, 2]) {
    const size = top * step;
    if (size >= b) return size;
  }
  return top * 2;
}

export interface AllocatorStats {
  /** Bytes in blocks handed out and not yet freed (class sizes, not request sizes). */
  liveBytes: number;
  liveBlocks: number;
  /** Bytes parked on free lists, ready for reuse. */
  freeBytes: number;
  /** Top of the heap: everything between base and top is live or on a free list. */
  topBytes: number;
  /** Current size of the Wasm memory. */
  memoryBytes: number;
}

export class Allocator {
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  /** Class size of every live block, by address: frees are checked against it. */
  private readonly live = new Map<number, number>();
  private liveBytes = 0;
  private freeBytes = 0;

  constructor(
    private readonly memory: WasmMemory,
    readonly base: number,
    readonly maxBytes: number,
  ) {
    this.top = Math.ceil(base / ALIGN) * ALIGN;
  }

  alloc(bytes: number): number {
    if (!Number.isFinite(bytes) || bytes < 0) {
      throw new OutOfMemoryError(`alloc: invalid request of ${bytes} bytes`);
    }
    const wanted = classSize(bytes);
    const reused = this.takeFree(wanted);
    const block = reused ?? { ptr: this.bump(wanted, bytes), size: wanted };
    this.live.set(block.ptr, block.size);
    this.liveBytes += block.size;
    return block.ptr;
  }

  free(ptr: number): void {
    const size = this.live.get(ptr);
    if (size === undefined) throw new Error(`free: ${ptr} is not a live block (double free?)`);
    this.live.delete(ptr);
    this.liveBytes -= size;
    if (ptr + size === this.top) {
      this.top = ptr;
      return;
    }
    let list = this.freeLists.get(size);
    if (!list) this.freeLists.set(size, (list = []));
    list.push(ptr);
    this.freeBytes += size;
  }

  /** Class size of a live block (what the block can hold). */
  blockSize(ptr: number): number | undefined {
    return this.live.get(ptr);
  }

  stats(): AllocatorStats {
    return {
      liveBytes: this.liveBytes,
      liveBlocks: this.live.size,
      freeBytes: this.freeBytes,
      topBytes: this.top,
      memoryBytes: this.memory.buffer.byteLength,
    };
  }

  private takeFree(size: number): { ptr: number; size: number } | undefined {
    const exact = this.freeLists.get(size);
    if (exact && exact.length > 0) {
      this.freeBytes -= size;
      return { ptr: exact.pop()!, size };
    }
    // Reuse a block of a larger class (up to twice the size, so small requests do not pin big
    // blocks). The block keeps its class size, so freeing it returns it to its own list.
    let best: number | undefined;
    for (const [cls, list] of this.freeLists) {
      if (list.length > 0 && cls > size && cls <= 2 * size && (best === undefined || cls < best)) best = cls;
    }
    if (best === undefined) return undefined;
    this.freeBytes -= best;
    return { ptr: this.freeLists.get(best)!.pop()!, size: best };
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
      throw new OutOfMemoryError(
        `out of memory: a request of ${requested} bytes needs the heap to reach ${endBytes} bytes, ` +
          `over the maximum of ${this.maxBytes} bytes (${this.liveBytes} bytes live in ${this.live.size} blocks, ` +
          `${this.freeBytes} bytes free in other size classes); dispose tensors or raise maxMemoryMB`,
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
