/**
 * The jobs the wasm thread pool (threads.ts) runs, and how a job travels: written into the pool's shared
 * control words by the caller, read back by every worker, then run a chunk at a time by whichever thread
 * claims the chunk. Every kind splits its work so that each element is computed exactly as on one thread
 * (the same kernel over the same elements, sums in the same order): two threads give one thread's bits.
 */
import type { KernelExports } from "./loader.js";

/** Indexes of the control words. */
export const CTL = {
  generation: 0,
  /** (generation & 0x7fff) << 16 | next chunk index. */
  claim: 1,
  /** Chunks finished in the current job. */
  done: 2,
  ready: 3,
  stop: 4,
  /** The job's kind (JOB_KINDS), then its arguments in the order `writeJob` lists them. */
  args: 8,
  size: 32,
} as const;

/** C = op(A)·op(B), split into column chunks (or row chunks: `chunkRows`); A is already packed. */
export interface GemmJob {
  kind: "gemm";
  ap: number;
  b: number;
  transB: boolean;
  c: number;
  m: number;
  n: number;
  k: number;
  /** n rounded up to the tile width: the columns C is stored with, and the end of the last chunk. */
  np: number;
  /** Column chunks and their width (a multiple of the tile width); the last may be narrower. */
  chunks: number;
  chunkCols: number;
  /** Thread t packs B in scratch + t·scratchBytes. */
  scratch: number;
  scratchBytes: number;
  /**
   * 0: chunks are `chunkCols` columns of every row. Else chunks are this many rows (a multiple of the
   * tile height) of every column, for products too narrow to split by columns (a convolution's few
   * filters): column chunks there would be one tile wide, two threads would each stream all of A, and
   * would write the two halves of every cache line of C.
   */
  chunkRows: number;
}

/** y ← y + alpha·x over n floats, split into chunks of chunkLen (a multiple of 8, the kernel's vector step). */
export interface AxpyJob {
  kind: "axpy";
  x: number;
  y: number;
  n: number;
  /** alpha as the float32 the kernel rounds it to (so it passes through an Int32 control word exactly). */
  alpha: number;
  chunks: number;
  chunkLen: number;
}

/**
 * One Adam step over n floats in float32, fused with p ← p + alpha·u when p is not 0 (kernels/adam.ts's
 * `adamAxpy`), split into chunks of chunkLen: a multiple of 8, the kernel's vector step, so that every
 * element takes the path (vector or tail) it takes in one call over all n.
 */
export interface AdamJob {
  kind: "adam";
  u: number;
  mu: number;
  nu: number;
  /** 0: no step (Adam's pass alone). */
  p: number;
  n: number;
  /**
   * β1, β2, eps, c1, c2 and alpha as float64, two control words each: the kernel derives 1 − β and its
   * skips of a correction that rounds to 1 from the float64 values, so float32 bits would change them.
   */
  constants: readonly [number, number, number, number, number, number];
  chunks: number;
  chunkLen: number;
}

/**
 * `adamOuter` (Adam's step on the gradient dzᵀ·x from its factors) split into chunks of `chunkUnits`
 * units, each reading its columns of dz (row stride `units`); only where a unit's inputs are whole
 * 8-float blocks, so that every element takes the path it takes in one call.
 */
export interface AdamOuterJob {
  kind: "adamOuter";
  dz: number;
  x: number;
  rows: number;
  units: number;
  inputs: number;
  mu: number;
  nu: number;
  p: number;
  chunks: number;
  chunkUnits: number;
  /** As `AdamJob`'s. */
  constants: readonly [number, number, number, number, number, number];
}

/**
 * A convolution's forward pass, input gradient or filter gradient (`phase` 0, 1, 2: kernels/conv-fields.ts's
 * `convChunk`) over `total` images (or taps, phase 2), `chunkLen` a chunk; the kernel's arguments are in
 * the int32 block at `args`, each thread's scratch found from it by the thread's number.
 */
export interface ConvJob {
  kind: "conv";
  phase: number;
  args: number;
  total: number;
  chunks: number;
  chunkLen: number;
}

export type Job = GemmJob | AxpyJob | AdamJob | AdamOuterJob | ConvJob;

/** The kernels a job calls (pointers are byte offsets into the shared memory). */
export type JobKernels = Pick<KernelExports, "gemmColumns" | "axpy" | "adamAxpy" | "adamOuter" | "convChunk">;

/** The number each kind is written as, in the first argument word. */
const JOB_KINDS = { gemm: 0, axpy: 1, adam: 2, adamOuter: 3, conv: 4 } as const;

const bits = new DataView(new ArrayBuffer(8));

function float32Bits(v: number): number {
  bits.setFloat32(0, v);
  return bits.getInt32(0);
}

function bitsFloat32(v: number): number {
  bits.setInt32(0, v);
  return bits.getFloat32(0);
}

/** A float64 as two Int32 control words (high, low): exactly. */
function float64Words(v: number): [number, number] {
  bits.setFloat64(0, v);
  return [bits.getInt32(0), bits.getInt32(4)];
}

function wordsFloat64(high: number, low: number): number {
  bits.setInt32(0, high);
  bits.setInt32(4, low);
  return bits.getFloat64(0);
}

/** Compute chunk `i` of `job` on thread `thread` (0 is the caller); the same call on every thread. */
export function runChunk(ex: JobKernels, job: Job, i: number, thread: number): void {
  if (job.kind === "axpy") {
    const from = i * job.chunkLen;
    ex.axpy(job.alpha, job.x + from * 4, job.y + from * 4, Math.min(job.chunkLen, job.n - from));
    return;
  }
  if (job.kind === "conv") {
    const from = i * job.chunkLen;
    ex.convChunk(job.phase, job.args, from, Math.min(job.chunkLen, job.total - from), thread);
    return;
  }
  if (job.kind === "adam") {
    const at = i * job.chunkLen * 4;
    const [beta1, beta2, eps, c1, c2, alpha] = job.constants;
    const len = Math.min(job.chunkLen, job.n - i * job.chunkLen);
    const p = job.p === 0 ? 0 : job.p + at;
    ex.adamAxpy(job.u + at, job.mu + at, job.nu + at, p, len, beta1, beta2, eps, c1, c2, alpha);
    return;
  }
  if (job.kind === "adamOuter") {
    const j0 = i * job.chunkUnits;
    const at = j0 * job.inputs * 4;
    const [beta1, beta2, eps, c1, c2, alpha] = job.constants;
    const count = Math.min(job.chunkUnits, job.units - j0);
    const { dz, x, rows, units, inputs, mu, nu, p } = job;
    ex.adamOuter(
      dz + j0 * 4,
      x,
      rows,
      units,
      count,
      inputs,
      mu + at,
      nu + at,
      p + at,
      beta1,
      beta2,
      eps,
      c1,
      c2,
      alpha,
    );
    return;
  }
  if (job.chunkRows > 0) {
    // Rows r0.. of A's packed panels (panel r starts at r·k floats) and of C (row stride np), all columns.
    const r0 = i * job.chunkRows;
    ex.gemmColumns(
      job.ap + r0 * job.k * 4,
      job.b,
      job.transB ? 1 : 0,
      job.c + r0 * job.np * 4,
      Math.min(job.chunkRows, job.m - r0),
      job.n,
      job.k,
      0,
      job.np,
      job.scratch + thread * job.scratchBytes,
    );
    return;
  }
  const j0 = i * job.chunkCols;
  ex.gemmColumns(
    job.ap,
    job.b,
    job.transB ? 1 : 0,
    job.c,
    job.m,
    job.n,
    job.k,
    j0,
    Math.min(job.np, j0 + job.chunkCols),
    job.scratch + thread * job.scratchBytes,
  );
}

/** Rows per chunk of a row-split product: a multiple of the tile height, about four chunks per thread. */
export function rowChunk(m: number, mr: number, threads: number): number {
  return Math.max(mr, Math.ceil(m / (4 * threads) / mr) * mr);
}

/** The argument words of `job`, its kind first. */
function jobWords(job: Job): number[] {
  switch (job.kind) {
    case "gemm": {
      const { ap, b, transB, c, m, n, k, np, chunks, chunkCols, scratch, scratchBytes, chunkRows } = job;
      return [
        JOB_KINDS.gemm,
        ap,
        b,
        transB ? 1 : 0,
        c,
        m,
        n,
        k,
        np,
        chunks,
        chunkCols,
        scratch,
        scratchBytes,
        chunkRows,
      ];
    }
    case "conv":
      return [JOB_KINDS.conv, job.phase, job.args, job.total, job.chunks, job.chunkLen];
    case "axpy":
      return [JOB_KINDS.axpy, job.x, job.y, job.n, float32Bits(job.alpha), job.chunks, job.chunkLen];
    case "adamOuter": {
      const { dz, x, rows, units, inputs, mu, nu, p, chunks, chunkUnits } = job;
      const words = [dz, x, rows, units, inputs, mu, nu, p, chunks, chunkUnits];
      return [JOB_KINDS.adamOuter, ...words, ...job.constants.flatMap(float64Words)];
    }
    case "adam":
      return [
        JOB_KINDS.adam,
        ...[job.u, job.mu, job.nu, job.p, job.n, job.chunks, job.chunkLen],
        ...job.constants.flatMap(float64Words),
      ];
  }
}

/** Write `job` into the control words (before its generation is published). */
export function writeJob(ctl: Int32Array, job: Job): void {
  ctl.set(jobWords(job), CTL.args);
}

/** The job the control words hold (what `writeJob` wrote). */
export function readJob(ctl: Int32Array): Job {
  const w = (i: number) => ctl[CTL.args + 1 + i]!;
  const kind = ctl[CTL.args];
  if (kind === JOB_KINDS.axpy) {
    return {
      kind: "axpy",
      x: w(0),
      y: w(1),
      n: w(2),
      alpha: bitsFloat32(w(3)),
      chunks: w(4),
      chunkLen: w(5),
    };
  }
  if (kind === JOB_KINDS.conv)
    return { kind: "conv", phase: w(0), args: w(1), total: w(2), chunks: w(3), chunkLen: w(4) };
  if (kind === JOB_KINDS.adamOuter) {
    const f = (j: number) => wordsFloat64(w(10 + 2 * j), w(11 + 2 * j));
    return {
      kind: "adamOuter",
      dz: w(0),
      x: w(1),
      rows: w(2),
      units: w(3),
      inputs: w(4),
      mu: w(5),
      nu: w(6),
      p: w(7),
      chunks: w(8),
      chunkUnits: w(9),
      constants: [f(0), f(1), f(2), f(3), f(4), f(5)],
    };
  }
  if (kind === JOB_KINDS.adam) {
    const f = (j: number) => wordsFloat64(w(7 + 2 * j), w(8 + 2 * j));
    return {
      kind: "adam",
      u: w(0),
      mu: w(1),
      nu: w(2),
      p: w(3),
      n: w(4),
      chunks: w(5),
      chunkLen: w(6),
      constants: [f(0), f(1), f(2), f(3), f(4), f(5)],
    };
  }
  return {
    kind: "gemm",
    ap: w(0),
    b: w(1),
    transB: w(2) !== 0,
    c: w(3),
    m: w(4),
    n: w(5),
    k: w(6),
    np: w(7),
    chunks: w(8),
    chunkCols: w(9),
    scratch: w(10),
    scratchBytes: w(11),
    chunkRows: w(12),
  };
}
