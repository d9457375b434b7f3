/**
 * Copies of plain state (numbers, strings, arrays, typed arrays, plain objects) that share nothing with
 * the original. `structuredClone` is not one for state the wasm backend holds: its arrays are views of
 * the module's memory, a SharedArrayBuffer, and a structured clone of a shared buffer is the same memory.
 */

/**
 * A deep copy; every typed array is copied into a fresh, unshared buffer.
 *
 * @example
 * const copy = deepCopy({ step: 3, moments: [wasmView] }); // copy.moments[0] !== wasmView, same values
 */
export function deepCopy<T>(state: T): T {
  if (ArrayBuffer.isView(state)) return (state as unknown as Float32Array).slice() as unknown as T;
  if (Array.isArray(state)) return state.map(deepCopy) as unknown as T;
  if (state && typeof state === "object") {
    return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, deepCopy(v)])) as T;
  }
  return state;
}

/** Copies float32 array `a` into `into` where it fits (see `deepCopyInto`), else into a new array. */
export type Float32Copier = (into: unknown, a: Float32Array) => Float32Array;

/**
 * `deepCopy(state)`, its typed arrays written into those of `into` where `into` has an array of the
 * same kind and length at the same place (an earlier copy of a state of the same shape), so a copy taken
 * again and again allocates, and touches fresh memory, only where the shape changed. `into` is not
 * otherwise kept: the copy is a new tree, and shares nothing with `state`. `copyFloat32` copies the
 * float32 arrays instead (the backend's `keptCopy`, whose copies of its own arrays stay in its memory).
 *
 * @example
 * kept = deepCopyInto(kept, { weights: [w] }); // kept.weights[0] is the same array as before, now w's values
 */
export function deepCopyInto<T>(into: unknown, state: T, copyFloat32?: Float32Copier): T {
  if (ArrayBuffer.isView(state)) {
    const a = state as unknown as Float32Array;
    if (copyFloat32 && a instanceof Float32Array) return copyFloat32(into, a) as unknown as T;
    const b = into as Float32Array | undefined;
    if (b && b.constructor === a.constructor && b.length === a.length && !overlaps(a, b)) {
      b.set(a);
      return b as unknown as T;
    }
    return a.slice() as unknown as T;
  }
  const at = (k: string | number): unknown =>
    into && typeof into === "object" ? (into as Record<string | number, unknown>)[k] : undefined;
  if (Array.isArray(state)) return state.map((v, i) => deepCopyInto(at(i), v, copyFloat32)) as unknown as T;
  if (state && typeof state === "object") {
    return Object.fromEntries(
      Object.entries(state).map(([k, v]) => [k, deepCopyInto(at(k), v, copyFloat32)]),
    ) as T;
  }
  return state;
}

/** Whether two typed arrays share any byte of memory. */
export function overlaps(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return (
    a.buffer === b.buffer &&
    a.byteOffset < b.byteOffset + b.byteLength &&
    b.byteOffset < a.byteOffset + a.byteLength
  );
}
