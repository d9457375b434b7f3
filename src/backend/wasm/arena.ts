/**
 * The backend's WebAssembly memory, in two parts that never move:
 *
 * - `Heap`: long-lived blocks (parameters, optimiser state, update buffers) handed to JavaScript as
 *   Float32Array views, so that kernels read and write them in place with no copy. First fit over a
 *   sorted free list with coalescing; a block goes back to the list when its view is garbage collected.
 * - `Arena`: each call's scratch (operands copied in, packed panels, results), one region taken from the
 *   heap and carved anew for every call. It is replaced by a larger one only when a call needs more, so
 *   memory stays flat over any number of steps and no page is touched for the first time on a hot path.
 */

import type { Data } from "../../tensor/tensor.js";

const ALIGN = 64;

function alignUp(x: number): number {
  return (x + ALIGN - 1) & ~(ALIGN - 1);
}

interface Block {
  at: number;
  bytes: number;
}

export class Heap {
  private readonly free: Block[] = [];
  private top: number;

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
  ) {
    this.top = alignUp(base);
  }

  /** A block of at least `bytes` bytes, 64-byte aligned; its byte offset. Not zeroed. */
  alloc(bytes: number): number {
    const size = alignUp(Math.max(1, bytes));
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.bytes < size) continue;
      const at = b.at;
      if (b.bytes === size) this.free.splice(i, 1);
      else {
        b.at += size;
        b.bytes -= size;
      }
      return at;
    }
    const at = this.top;
    const have = this.memory.buffer.byteLength;
    // Grow before moving the top: a memory at its maximum throws (RangeError) and nothing changes.
    if (at + size > have) this.memory.grow(Math.ceil((at + size - have) / 65536));
    this.top = at + size;
    return at;
  }

  /** Give a block back; neighbours merge, and a block at the top lowers it. */
  release(at: number, bytes: number): void {
    const size = alignUp(Math.max(1, bytes));
    let lo = 0;
    let hi = this.free.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.free[mid]!.at < at) lo = mid + 1;
      else hi = mid;
    }
    this.free.splice(lo, 0, { at, bytes: size });
    const next = this.free[lo + 1];
    const cur = this.free[lo]!;
    if (next && cur.at + cur.bytes === next.at) {
      cur.bytes += next.bytes;
      this.free.splice(lo + 1, 1);
    }
    const prev = this.free[lo - 1];
    if (prev && prev.at + prev.bytes === cur.at) {
      prev.bytes += cur.bytes;
      this.free.splice(lo, 1);
    }
    const last = this.free[this.free.length - 1];
    if (last && last.at + last.bytes === this.top) {
      this.top = last.at;
      this.free.pop();
    }
  }

  /** Bytes in use or free below the top (the memory's high-water mark within the heap). */
  get used(): number {
    return this.top;
  }
}

export class Arena {
  private f32: Float32Array;
  private start = 0;
  private end = 0;
  private top = 0;

  constructor(private readonly heap: Heap) {
    this.f32 = new Float32Array(heap.memory.buffer);
  }

  /**
   * Start carving a call's regions from the bottom again, with room for `floats` float32s in at most
   * `regions` takes (each rounded up to 64 bytes). Offsets taken before a reset are void after it.
   */
  reset(floats: number, regions = 8): void {
    const need = floats * 4 + regions * ALIGN;
    if (need > this.end - this.start) {
      if (this.end > this.start) this.heap.release(this.start, this.end - this.start);
      const bytes = alignUp(Math.max(need, 2 * (this.end - this.start)));
      this.start = this.heap.alloc(bytes);
      this.end = this.start + bytes;
    }
    this.top = this.start;
  }

  /** A region of `floats` float32s, 64-byte aligned (a cache line); its byte offset. */
  take(floats: number): number {
    const at = this.top;
    this.top = alignUp(at + floats * 4);
    if (this.top > this.end)
      throw new Error(
        `wasm arena: a call took more than it reserved (${this.top - this.start} > ${this.end - this.start} bytes)`,
      );
    return at;
  }

  /** A float32 view of the whole memory, renewed after growth. */
  view(): Float32Array {
    const buf = this.heap.memory.buffer;
    if (this.f32.buffer !== buf || this.f32.length * 4 !== buf.byteLength) this.f32 = new Float32Array(buf);
    return this.f32;
  }

  /** Bytes the memory holds now (for memory checks). */
  get bytes(): number {
    return this.heap.memory.buffer.byteLength;
  }
}

/**
 * Write 0 into each 4 KiB page of `out` (about to be overwritten): the OS maps a fresh array's pages at
 * their first touch (~10 µs each on a VM: 10–30 ms for GEMM 1024³'s 4 MiB result, a 45 ms product).
 */
export function touchPages(out: Data): void {
  const step = 4096 / out.BYTES_PER_ELEMENT;
  for (let i = 0; i < out.length; i += step) out[i] = 0;
  out[out.length - 1] = 0;
}
