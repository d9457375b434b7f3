/**
 * The backend's working memory inside the kernels' `WebAssembly.Memory`: a grow-only region carved
 * anew for each call. Nothing is freed and nothing is allocated per call once the largest product has
 * been seen, so memory stays flat over any number of steps (and no page is touched for the first time
 * on a hot path).
 */
export class Arena {
  private f32: Float32Array;
  private top = 0;

  constructor(readonly memory: WebAssembly.Memory, private readonly base: number) {
    this.f32 = new Float32Array(memory.buffer);
  }

  /** Start carving a call's regions from the bottom again. */
  reset(): void {
    this.top = alignUp(this.base);
  }

  /** A region of `floats` float32s, 64-byte aligned (a cache line); its byte offset. */
  take(floats: number): number {
    const at = this.top;
    this.top = alignUp(at + floats * 4);
    if (this.top > this.memory.buffer.byteLength) {
      const pages = Math.ceil((this.top - this.memory.buffer.byteLength) / 65536);
      this.memory.grow(pages);
    }
    return at;
  }

  /** A float32 view of the whole memory, renewed after growth. */
  view(): Float32Array {
    if (this.f32.buffer !== this.memory.buffer || this.f32.length * 4 !== this.memory.buffer.byteLength) this.f32 = new Float32Array(this.memory.buffer);
    return this.f32;
  }

  /** Bytes the memory holds now (for memory checks). */
  get bytes(): number {
    return this.memory.buffer.byteLength;
  }
}

function alignUp(x: number): number {
  return (x + 63) & ~63;
}
