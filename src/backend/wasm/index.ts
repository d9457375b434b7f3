import type { Backend } from "../backend.js";
import { jsBackend } from "../js/index.js";
import * as jsLinear from "../js/linear.js";
import { convBackwardByKernels, convByKernels } from "../conv-kernels.js";
import * as conv from "./conv.js";
import { convBackward, convForward, KeptFields } from "./conv-fused.js";
import { adamOuterStep, adamStep, OUTER_MAX_ROWS } from "./adam.js";
import * as distance from "./distance.js";
import { SAME_SHAPE_OPS, sameShape } from "./elementwise.js";
import * as norm from "./norm.js";
import { loadKernels, type LoadedKernels } from "./loader.js";
import { ADAM64_MIN, MAP_MIN, VECTOR_MIN, KernelRunner } from "./runner.js";
import { centredRowGram, jacobiDiagonalize } from "./spectrum.js";
import { stageKernels } from "./stages.js";

/** Facts about a loaded wasm backend, for benchmarks and reports. */
export interface WasmInfo {
  variant: string;
  relaxedSimd: boolean;
  sharedMemory: boolean;
  /** Threads a large product uses now (1 = the calling thread only). */
  threads: number;
  /**
   * Why `threads` is what it is, e.g. "Web Workers over shared memory", or "no shared memory: the page
   * is not cross-origin isolated (serve it with COOP/COEP headers)".
   */
  threadsReason: string;
  memoryBytes: number;
}

export interface WasmBackend extends Backend {
  /** Threads for large matrix products (1 = none); returns the count in force (1 where threads cannot be had). */
  setThreads(n: number): number;
  /** Resolves, with the count in force, once the workers asked for have started (a browser starts them in the background). */
  threadsReady(): Promise<number>;
  info(): WasmInfo;
}

/**
 * The WebAssembly SIMD backend: the matrix product (every transpose variant), the optimisers'
 * per-parameter loops (`axpy`, `scale`, for arrays of `VECTOR_MIN` floats or more; Adam; SGD's momentum,
 * weight decay, RMSprop and Adagrad with js's float64 arithmetic, so js's bits) and relu with its
 * derivative (branch-free; js's branch mispredicts on pre-activations of either sign), the layout
 * kernels of convolution and pooling (im2col, col2im, max pooling), batch normalisation's pair and
 * same-shape add, sub, mul and div (each the same bits as js's) run on compiled kernels; the other
 * element-wise, reduction and layout kernels are the js ones. Arrays made by `alloc` (parameters,
 * optimiser state, the update buffers of `bufferFor`) live in the kernels' memory and are used in place.
 * float64 data goes to the js kernels too (the compiled ones are single precision).
 * Returns null where the kernels cannot be loaded (no WebAssembly SIMD).
 */
export function createWasmBackend(kernels: LoadedKernels | null = loadKernels()): WasmBackend | null {
  if (!kernels) return null;
  const mm = new KernelRunner(kernels);
  const buffers = new WeakMap<object, Float32Array>();
  const fields = new KeptFields(mm);
  const scratch = new KeptFields(mm);
  const table: WasmBackend = {
    ...jsBackend,
    name: "wasm",
    matmul(a, b, out, m, n, k, transA, transB) {
      if (m === 0 || n === 0) return;
      if (k === 0) {
        out.fill(0);
        return;
      }
      if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) {
        jsBackend.matmul(a, b, out, m, n, k, transA, transB);
        return;
      }
      mm.run(a, b, out, m, n, k, transA, transB);
    },
    linear(x, w, b, out, m, n, k, relu) {
      if (
        m === 0 ||
        n === 0 ||
        k === 0 ||
        !(x instanceof Float32Array) ||
        !(w instanceof Float32Array) ||
        !(out instanceof Float32Array) ||
        (b && !(b instanceof Float32Array))
      ) {
        jsLinear.linear(x, w, b, out, m, n, k, relu);
        return;
      }
      mm.run(x, w, out, m, n, k, false, true, { bias: b as Float32Array | null, relu });
    },
    linearBackward(g, y, dz, db, m, n, relu) {
      if (m * n < MAP_MIN || !f32OrNull(g) || !f32OrNull(y) || !f32OrNull(dz) || !f32OrNull(db))
        jsLinear.linearBackward(g, y, dz, db, m, n, relu);
      else
        mm.linearBackward(
          g as Float32Array,
          y as Float32Array,
          dz as Float32Array | null,
          db as Float32Array | null,
          m,
          n,
          relu,
        );
    },
    unary(op, x, out) {
      if (
        (op === "relu" || op === "step") &&
        x instanceof Float32Array &&
        out instanceof Float32Array &&
        x.length >= MAP_MIN
      )
        mm.map(op, x, out);
      else jsBackend.unary(op, x, out);
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const n = out.length;
      if (
        Object.hasOwn(SAME_SHAPE_OPS, op) &&
        n >= MAP_MIN &&
        a.length === n &&
        b.length === n &&
        allF32(a, b, out)
      )
        sameShape(
          mm,
          op as keyof typeof SAME_SHAPE_OPS,
          a as Float32Array,
          b as Float32Array,
          out as Float32Array,
        );
      else jsBackend.binary(op, a, aShape, b, bShape, out, outShape);
    },
    squaredDistance(p, a, w) {
      if (p.length < VECTOR_MIN || !allF32(p, a, w)) return jsBackend.squaredDistance(p, a, w);
      return Math.fround(
        distance.squaredDistance(mm, p as Float32Array, a as Float32Array, w as Float32Array | null),
      );
    },
    squaredDistanceBackward(g, p, a, w, dp) {
      if (p.length < VECTOR_MIN || !allF32(p, a, w, dp)) jsBackend.squaredDistanceBackward(g, p, a, w, dp);
      else
        distance.squaredDistanceBackward(
          mm,
          g,
          p as Float32Array,
          a as Float32Array,
          w as Float32Array | null,
          dp as Float32Array,
        );
    },
    adam(u, mu, nu, beta1, beta2, eps, c1, c2) {
      const arithmetic = adamArithmetic(u, mu, nu, u);
      if (!arithmetic) jsBackend.adam!(u, mu, nu, beta1, beta2, eps, c1, c2);
      else adamStep(mm, u, mu, nu, { beta1, beta2, eps, c1, c2 }, null, 0, arithmetic);
    },
    // Below VECTOR_MIN both halves take js's arithmetic, as `adam` and `axpy` alone do: the same bits.
    adamApply(u, mu, nu, beta1, beta2, eps, c1, c2, p, alpha) {
      const arithmetic = adamArithmetic(u, mu, nu, p);
      if (!arithmetic) jsBackend.adamApply!(u, mu, nu, beta1, beta2, eps, c1, c2, p, alpha);
      else adamStep(mm, u, mu, nu, { beta1, beta2, eps, c1, c2 }, p, alpha, arithmetic);
    },
    // Where adamApply runs float32 and the product is one pass of multiply-adds (rows ≤ 3, under gemm's
    // depth block); else the caller's product then adamApply.
    adamOuter(dz, x, rows, units, inputs, mu, nu, beta1, beta2, eps, c1, c2, p, alpha) {
      const n = units * inputs;
      if (rows < 1 || rows > OUTER_MAX_ROWS || adamArithmetic(p, mu, nu, p) !== "float32") return false;
      if (dz.length !== rows * units || x.length !== rows * inputs || p.length !== n) return false;
      adamOuterStep(mm, { dz, x, rows, units, inputs }, mu, nu, { beta1, beta2, eps, c1, c2 }, p, alpha);
      return true;
    },
    axpy(alpha, x, y) {
      if (x.length !== y.length || y.length < VECTOR_MIN) jsBackend.axpy(alpha, x, y);
      else mm.axpy(alpha, x, y);
    },
    scale(alpha, x) {
      if (x.length < VECTOR_MIN) jsBackend.scale(alpha, x);
      else mm.scale(alpha, x);
    },
    ...stageKernels(mm, (alpha, x, y) => table.axpy(alpha, x, y)),
    stepSquares(w, w0, g, out) {
      if (w.length < VECTOR_MIN || w0.length !== w.length || g.length !== w.length)
        jsBackend.stepSquares(w, w0, g, out);
      else mm.stepSquares(w, w0, g, out);
    },
    im2col(x, g, padValue, out) {
      if (out.length < MAP_MIN || !(x instanceof Float32Array) || !(out instanceof Float32Array))
        jsBackend.im2col(x, g, padValue, out);
      else conv.im2col(mm.scratchSpace, x, g, padValue, out);
    },
    col2im(cols, g, out) {
      if (cols.length < MAP_MIN || !(cols instanceof Float32Array) || !(out instanceof Float32Array))
        jsBackend.col2im(cols, g, out);
      else conv.col2im(mm.scratchSpace, cols, g, out);
    },
    conv2d(x, w, b, out, g, filters, relu) {
      if (g.batch * g.outH * g.outW < 2 || filters < 2 || g.channels === 0 || !allF32(x, w, b, out))
        return convByKernels(table, x, w, b, out, g, filters, relu);
      return convForward(
        mm,
        fields,
        x as Float32Array,
        w as Float32Array,
        b as Float32Array | null,
        out as Float32Array,
        g,
        filters,
        relu,
      );
    },
    conv2dBackward(x, w, dz, dx, dw, g, filters, cols) {
      if (g.batch * g.outH * g.outW < 2 || filters < 2 || g.channels === 0 || !allF32(x, w, dz, dx, dw, cols))
        convBackwardByKernels(table, x, w, dz, dx, dw, g, filters, cols);
      else
        convBackward(
          mm,
          fields,
          x as Float32Array,
          w as Float32Array,
          dz as Float32Array,
          dx as Float32Array | null,
          dw as Float32Array | null,
          g,
          filters,
          cols as Float32Array | null,
        );
    },
    batchNorm(x, rows, features, w, b, eps, y, mean, variance, sd) {
      if (rows * features < MAP_MIN)
        jsBackend.batchNorm!(x, rows, features, w, b, eps, y, mean, variance, sd);
      else norm.batchNorm(mm, x, rows, features, w, b, eps, y, mean, variance, sd);
    },
    batchNormBackward(g, x, rows, features, w, mean, sd, dx, dw, db) {
      if (rows * features < MAP_MIN)
        jsBackend.batchNormBackward!(g, x, rows, features, w, mean, sd, dx, dw, db);
      else norm.batchNormBackward(mm, g, x, rows, features, w, mean, sd, dx, dw, db);
    },
    // Layer norm's rows are short (a hidden layer's units): js's loops, on wasm memory or not.
    layerNorm: jsBackend.layerNorm,
    layerNormBackward: jsBackend.layerNormBackward,
    maxPool(x, g, out) {
      if (out.length < MAP_MIN || !allF32(x, out)) jsBackend.maxPool(x, g, out);
      else conv.maxPool(mm.scratchSpace, x as Float32Array, g, out as Float32Array);
    },
    maxPoolBackward(x, y, gOut, g, dx) {
      if (dx.length < MAP_MIN || !allF32(x, y, gOut, dx)) jsBackend.maxPoolBackward(x, y, gOut, g, dx);
      else
        conv.maxPoolBackward(
          mm.scratchSpace,
          x as Float32Array,
          y as Float32Array,
          gOut as Float32Array,
          g,
          dx as Float32Array,
        );
    },
    centredRowGram: (h, rows, units, gram) => centredRowGram(mm.scratchSpace, h, rows, units, gram),
    jacobiDiagonalize: (a, n) => jacobiDiagonalize(mm.scratchSpace, a, n),
    alloc: (n) => mm.alloc(n),
    zero: (a) => mm.zero(a),
    copy: (dst, src) => mm.copy(dst, src),
    holds: (a) => mm.offsetOf(a) >= 0,
    bufferFor(owner, n) {
      const kept = buffers.get(owner);
      if (kept && kept.length === n) return kept;
      // Only a real buffer is remembered, so an owner first seen without one gets one when memory allows.
      const made = mm.alloc(n);
      if (made) buffers.set(owner, made);
      return made;
    },
    scratchFor: (owner, n) => scratch.take(owner, n),
    setThreads: (n) => mm.setThreads(n),
    threadsReady: () => mm.threadsReady(),
    info: () => ({
      variant: kernels.variant,
      relaxedSimd: kernels.relaxed,
      sharedMemory: kernels.shared,
      threads: mm.threadCount,
      threadsReason: mm.threadsReason,
      memoryBytes: mm.memoryBytes,
    }),
  };
  return table;
}

/** Single precision, each of them (absent ones aside): what the compiled kernels take. */
function allF32(...xs: unknown[]): boolean {
  return xs.every(f32OrNull);
}

/** Absent, or single precision (what the compiled kernels take). */
function f32OrNull(a: unknown): boolean {
  return a === null || a instanceof Float32Array;
}

/**
 * How Adam runs on arrays of this length: float32 SIMD from VECTOR_MIN floats (as `axpy`), js's float64
 * arithmetic compiled (its bits, about twice its speed) from ADAM64_MIN, js itself below (the call and
 * copies cost more).
 */
function adamArithmetic(u: Float32Array, mu: Float32Array, nu: Float32Array, p: Float32Array) {
  const n = u.length;
  if (mu.length !== n || nu.length !== n || p.length !== n || n < ADAM64_MIN) return null;
  return n < VECTOR_MIN ? "float64" : "float32";
}
