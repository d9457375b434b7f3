import type { Backend } from "../backend.js";
import { jsBackend } from "../js/index.js";
import { loadKernels, type LoadedKernels } from "./loader.js";
import { VECTOR_MIN, KernelRunner } from "./runner.js";

/** Facts about a loaded wasm backend, for benchmarks and reports. */
export interface WasmInfo {
  variant: string;
  relaxedSimd: boolean;
  sharedMemory: boolean;
  threads: number;
  memoryBytes: number;
}

export interface WasmBackend extends Backend {
  /** Threads for large matrix products (1 = none); returns the count in force (1 where threads cannot be had). */
  setThreads(n: number): number;
  info(): WasmInfo;
}

/**
 * The WebAssembly SIMD backend: the matrix product (every transpose variant) and the optimisers'
 * per-parameter loops (`axpy`, `scale`, for arrays of `VECTOR_MIN` floats or more) run on compiled kernels;
 * the element-wise, reduction and layout kernels are the js ones for now. Measured while training the
 * MLP 784-256-256-10 at batch 64 on this backend, the products take ~60% of a step and all element-wise
 * and reduction kernels together ~13% (relu and its derivative 8%), so moving those, with their copies
 * in and out of wasm memory, would gain a few percent at most.
 * float64 data goes to the js kernels too (the compiled ones are single precision).
 * Returns null where the kernels cannot be loaded (no WebAssembly SIMD).
 */
export function createWasmBackend(kernels: LoadedKernels | null = loadKernels()): WasmBackend | null {
  if (!kernels) return null;
  const mm = new KernelRunner(kernels);
  return {
    ...jsBackend,
    name: "wasm",
    matmul(a, b, out, m, n, k, transA, transB) {
      if (m === 0 || n === 0) return;
      if (k === 0) { out.fill(0); return; }
      if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) {
        jsBackend.matmul(a, b, out, m, n, k, transA, transB);
        return;
      }
      mm.run(a, b, out, m, n, k, transA, transB);
    },
    axpy(alpha, x, y) {
      if (x.length !== y.length || y.length < VECTOR_MIN) jsBackend.axpy(alpha, x, y);
      else mm.axpy(alpha, x, y);
    },
    scale(alpha, x) {
      if (x.length < VECTOR_MIN) jsBackend.scale(alpha, x);
      else mm.scale(alpha, x);
    },
    alloc: (n) => mm.alloc(n),
    setThreads: (n) => mm.setThreads(n),
    info: () => ({ variant: kernels.variant, relaxedSimd: kernels.relaxed, sharedMemory: kernels.shared, threads: mm.threadCount, memoryBytes: mm.memoryBytes }),
  };
}
