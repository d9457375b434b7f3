/**
 * Reuse of a training step's temporary arrays. A step of a convolutional net makes ~10 MB of
 * activations and gradients (ResNet block net, batch 32) that are garbage once the optimiser has
 * stepped; left to the garbage collector, each step's arrays are fresh memory, and a page touched for the
 * first time costs ~10 µs on the VMs the benchmarks run on (230 of them a step there: 15% of its time).
 * The training loop knows when its step is over, so it hands the arrays back here and the next step
 * gets the same ones, already in the backend's memory where the kernels read and write them in place.
 * Nothing outside the training loop sees a pool: `allocate` consults one only while the loop runs its
 * forward or backward pass inside `during`.
 */
/** The pool `allocate` serves float32 arrays from, while a training step's pass runs. */
let serving: ArrayPool | null = null;

/**
 * Arrays shorter than this come from `new Float32Array`: V8 keeps a typed array of up to 64 bytes in its
 * own heap (~0.03 µs), and allocates a longer one's storage outside it (here ~1.1 µs for 17 floats, 2.8
 * for 256, 3.4 for 1,568). A small network's step makes dozens (a learner's batch-1 step on
 * 784-256-256-10: its rows of 10 classes, its 256 activations), so every array past 64 bytes is pooled.
 */
export const POOL_MIN_FLOATS = 17;

/**
 * Float32 arrays by length, for the temporaries of one training step after another.
 *
 * @example
 * const pool = new ArrayPool(allocFloat32, zeroFloat32);
 * const out = pool.during(() => model.forward(x));  // its float32 arrays come from the pool
 * pool.recycle([]);                                  // the step is over: all of them may be reused
 */
export class ArrayPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Arrays handed out since the last `recycle`. */
  private taken: Float32Array[] = [];
  private held = 0;

  /**
   * @param fresh makes a zeroed array where the pool has none of that length (the backend's
   *   `allocFloat32`, so that kernels work on them in place)
   * @param zero sets a reused array to zeros (the backend's bulk fill for its own arrays)
   * @param maxFloats the most floats the pool keeps between steps (the rest go to the collector)
   */
  constructor(
    private readonly fresh: (n: number) => Float32Array,
    private readonly zero: (a: Float32Array) => void = (a) => a.fill(0),
    private readonly maxFloats = 1 << 25,
  ) {}

  /** Run `f` with the float32 `allocate` calls of `POOL_MIN_FLOATS` or more served by this pool. */
  during<T>(f: () => T): T {
    const outer = serving;
    serving = this;
    try {
      return f();
    } finally {
      serving = outer;
    }
  }

  /**
   * An array of n floats, reused where one of that length was recycled: zeroed, or where `zeroed` is false
   * (the caller writes every element before reading one) as the last step left it.
   */
  take(n: number, zeroed = true): Float32Array {
    let a = this.free.get(n)?.pop();
    if (a) {
      this.held -= n;
      if (zeroed) this.zero(a);
    } else a = this.fresh(n);
    this.taken.push(a);
    return a;
  }

  /**
   * The step is over: every array handed out since the last call may be reused, except those that
   * share memory with one of `kept` (which some state still holds).
   */
  recycle(kept: readonly ArrayBufferView[]): void {
    for (const a of this.taken) {
      if (this.held + a.length > this.maxFloats || kept.some((k) => overlaps(a, k))) continue;
      let list = this.free.get(a.length);
      if (!list) this.free.set(a.length, (list = []));
      list.push(a);
      this.held += a.length;
    }
    this.taken = [];
  }
}

/** Whether two arrays share any byte of memory. */
function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  );
}

/** A float32 array of n floats from the pool in service (see `take`), or null where none is (or n is small). */
export function pooledFloat32(n: number, zeroed = true): Float32Array | null {
  return serving !== null && n >= POOL_MIN_FLOATS ? serving.take(n, zeroed) : null;
}
