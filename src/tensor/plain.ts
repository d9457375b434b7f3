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
