import type { Backend } from "./backend.js";
import { ConfigError } from "../tensor/errors.js";
import { overlaps } from "../tensor/plain.js";
import { ArrayPool } from "../tensor/recycle.js";
import { jsBackend } from "./js/index.js";
import { createWasmBackend, type WasmBackend } from "./wasm/index.js";
import { loadKernels, usableVariantNames } from "./wasm/loader.js";

export type { Backend, ConvGeometry, UnaryKernel, BinaryKernel, ReduceKernel } from "./backend.js";
export type { WasmBackend, WasmInfo } from "./wasm/index.js";
export { jsBackend } from "./js/index.js";

/**
 * The wasm backend where this runtime loads its kernels (WebAssembly SIMD), else null. Node reads them
 * synchronously at import; a browser has no synchronous file access and calls `loadWasmBackend` once.
 */
let wasmBackend: WasmBackend | null = createWasmBackend();

// Module state set up by initialisers only, so that importing this module acts on nothing outside it
// (package.json's sideEffects; test/side-effects.test.ts).
const registry = new Map<string, Backend>(
  wasmBackend
    ? [
        ["js", jsBackend],
        ["wasm", wasmBackend],
      ]
    : [["js", jsBackend]],
);
// The fast kernels by default where they loaded at import (Node), on one thread so no worker starts
// until asked; js, the reference, in a browser until `loadWasmBackend` and `useBackend`.
let active: Backend = wasmBackend ?? jsBackend;

/**
 * Fetch the compiled kernels (the `.wasm` files beside this module in the bundle) and register the
 * wasm backend, for runtimes that could not read them at import (a browser). Resolves to whether the
 * backend is available; nothing is fetched when it already is.
 *
 * @example
 * if (await loadWasmBackend()) useBackend("wasm");
 */
export async function loadWasmBackend(
  fetchBytes: (name: string) => Promise<Uint8Array<ArrayBuffer> | null> = async (name) => {
    const r = await fetch(new URL(`./wasm/${name}.wasm`, import.meta.url));
    return r.ok ? new Uint8Array(await r.arrayBuffer()) : null;
  },
): Promise<boolean> {
  if (wasmBackend) return true;
  // Only the variants this runtime can use, all at once: a page waits for the slowest, not the sum.
  const names = usableVariantNames();
  const fetched = await Promise.all(names.map((name) => fetchBytes(name).catch(() => null)));
  const bytes = new Map(names.map((name, i) => [name, fetched[i] ?? null]));
  wasmBackend = createWasmBackend(loadKernels((name) => bytes.get(name) ?? null));
  if (wasmBackend) registry.set("wasm", wasmBackend);
  return wasmBackend !== null;
}

/** Make a backend available to `useBackend` by name. */
export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
}

/** Options of `useBackend` and `loadWasmBackend`. */
export interface BackendOptions {
  /**
   * Threads for large matrix products on the wasm backend (default: the cores available; 1 = none).
   * Ignored by backends without threads.
   */
  threads?: number;
}

/** The cores this process may use (1 where the runtime does not say). */
export function availableCores(): number {
  const os = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }
  ).process?.getBuiltinModule?.("node:os") as typeof import("node:os") | undefined;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, os?.availableParallelism?.() ?? nav?.hardwareConcurrency ?? 1);
}

/**
 * Choose the backend that runs every kernel from now on. Chosen once at start (the CLI's `--backend`
 * flag, or a call before training); switching mid-run is allowed but tensors keep no backend affinity.
 * `"auto"` is wasm where it loads, js otherwise. Before any call, Node runs wasm on one thread and a
 * browser js.
 *
 * @example
 * useBackend("wasm", { threads: 2 })
 */
export function useBackend(name: string, options: BackendOptions = {}): Backend {
  const b = registry.get(name === "auto" ? (registry.has("wasm") ? "wasm" : "js") : name);
  if (!b)
    throw new ConfigError(`unknown backend "${name}"; available: auto, ${[...registry.keys()].join(", ")}`, {
      field: "backend",
    });
  const threads = options.threads ?? availableCores();
  if (!Number.isInteger(threads) || threads < 1)
    throw new ConfigError(`threads: expected a positive integer, got ${threads}`, { field: "threads" });
  if (b === wasmBackend) wasmBackend.setThreads(threads);
  active = b;
  return b;
}

/**
 * A zeroed float32 array for data that lives as long as a model or optimiser: in the active backend's
 * own memory where it keeps one (the wasm backend, whose kernels then read and write it in place),
 * else a plain Float32Array. Chosen when the array is made: a model built before `useBackend("wasm")`
 * keeps plain arrays and still trains on wasm, with copies.
 */
export function allocFloat32(n: number): Float32Array {
  return active.alloc?.(n) ?? new Float32Array(n);
}

/**
 * The active backend's kernel `name`, or js's where it has none (a backend's kernels give js's bits, or
 * the optional ones are absent).
 *
 * @example
 * kernelOf("clamp")(grads, -1, 1);
 */
export function kernelOf<K extends keyof typeof jsBackend>(name: K): (typeof jsBackend)[K] {
  return (active[name] ?? jsBackend[name]) as (typeof jsBackend)[K];
}

/** a ← zeros, by the active backend's bulk fill where `a` is its own (`Backend.zero`). */
export function zeroFloat32(a: Float32Array): void {
  if (active.zero) active.zero(a);
  else a.fill(0);
}

/** dst ← src, by the active backend's bulk move where both are its own (`Backend.copy`). */
export function copyFloat32(dst: Float32Array, src: Float32Array): void {
  if (active.copy) active.copy(dst, src);
  else dst.set(src);
}

/**
 * A copy of `a` to keep (a snapshot, a healthy state): written into `into` where that is a float32 array
 * of a's length in other memory, and in the backend's memory just where `a` is, else into a new array
 * made there — so that taking the copy again and putting it back are bulk moves (`copyFloat32`), also
 * after a resume handed back plain arrays.
 *
 * @example
 * kept = keptCopy(kept, layer.weight.data); // the same array as `kept` when it fits
 */
export function keptCopy(into: unknown, a: Float32Array): Float32Array {
  const resident = active.holds?.(a) ?? false;
  const fits =
    into instanceof Float32Array &&
    into.length === a.length &&
    (active.holds?.(into) ?? false) === resident &&
    !overlaps(into, a);
  if (fits) {
    copyFloat32(into, a);
    return into;
  }
  return (resident ? residentCopy(a) : null) ?? a.slice();
}

/** Each model's pool of training-step arrays (see `stepPoolFor`). */
const stepPools = new WeakMap<object, ArrayPool>();

/**
 * The pool a training step on `owner` (a model) takes its temporary arrays from and gives them back to
 * (tensor/recycle.ts): one per model, dropped with it, so that each `fit` call on a model reuses the arrays
 * of the call before (a learner or a loop of one-epoch fits, not only the steps of one call).
 */
export function stepPoolFor(owner: object): ArrayPool {
  let pool = stepPools.get(owner);
  if (!pool) stepPools.set(owner, (pool = new ArrayPool(allocFloat32, zeroFloat32)));
  return pool;
}

/** `a` copied into the active backend's own memory (as `allocFloat32` makes arrays); null where it keeps none or declines. */
export function residentCopy(a: Float32Array): Float32Array | null {
  const copy = active.alloc?.(a.length) ?? null;
  if (copy) copyFloat32(copy, a);
  return copy;
}

/**
 * Start the active backend's worker threads and resolve once they run, with the count in force (1 on
 * js, or where threads cannot be had: `backend().info().threadsReason` says why). Without this call a
 * browser starts its Web Workers in the background at the first large product, which runs, like the
 * ones after it until they are ready, on the calling thread (the same bits: split work is summed in the
 * same order); Node starts its workers synchronously there.
 *
 * @example
 * useBackend("wasm", { threads: 2 });
 * const threads = await threadsReady(); // 2 on a cross-origin isolated page, else 1
 */
export async function threadsReady(): Promise<number> {
  return active === wasmBackend && wasmBackend ? wasmBackend.threadsReady() : 1;
}

/** The backend that runs kernels now. */
export function backend(): Backend {
  return active;
}

/** A registered backend by name (for conformance tests and benchmarks), without making it active. */
export function backendByName(name: string): Backend | undefined {
  return registry.get(name);
}

/**
 * Names of the registered backends ("js", and "wasm" once loaded), in registration order.
 *
 * @example
 * backendNames(); // ["js", "wasm"]
 */
export function backendNames(): string[] {
  return [...registry.keys()];
}
