/**
 * The host side of the Adam kernels (kernels/adam.ts): one parameter's pass, alone or fused with the
 * step p ← p + alpha·u, operands staged by the runner (resident ones in place), split across threads
 * when the arrays are resident and large.
 */
import type { KernelRunner } from "./runner.js";

/**
 * From this many floats, a float32 Adam step over resident arrays is split across threads. Its square
 * root and divisions bound it (about 0.8 ns a float on one thread), so 32,768 floats take ~25 µs, several
 * times what handing half to a worker costs; a 256×256 layer's weights are above it, biases below.
 */
export const THREAD_MIN_ADAM = 1 << 15;

/** Adam's hyper-parameters for one step: the decays, eps and the bias corrections c1 = 1 − β1ᵗ, c2 = sqrt(1 − β2ᵗ). */
export interface AdamStepConstants {
  beta1: number;
  beta2: number;
  eps: number;
  c1: number;
  c2: number;
}

/**
 * One Adam step in place over u (the gradient, then the update) and the moments mu and nu; with `p`,
 * also p ← p + alpha·u in the same pass (the bits of a following `axpy(alpha, u, p)`). In "float64"
 * arithmetic, the bits of the js kernels (each line in float64, rounded once).
 *
 * @example
 * adamStep(runner, u, mu, nu, { beta1: 0.9, beta2: 0.999, eps: 1e-8, c1: 0.1, c2: 0.0316 }, p, -1e-3);
 */
export function adamStep(
  mm: KernelRunner,
  u: Float32Array,
  mu: Float32Array,
  nu: Float32Array,
  k: AdamStepConstants,
  p: Float32Array | null = null,
  alpha = 0,
  arithmetic: "float32" | "float64" = "float32",
): void {
  const arrays = p ? [u, mu, nu, p] : [u, mu, nu];
  if (arithmetic === "float32" && u.length >= THREAD_MIN_ADAM && adamSplit(mm, arrays, k, alpha)) return;
  const { exports } = mm.scratchSpace.kernels;
  const kernel = arithmetic === "float32" ? exports.adamAxpy : exports.adamAxpy64;
  mm.inPlace([u, mu, nu, p], ([uAt, muAt, nuAt, pAt]) =>
    kernel(uAt!, muAt!, nuAt!, pAt!, u.length, k.beta1, k.beta2, k.eps, k.c1, k.c2, alpha),
  );
}

/**
 * The float32 step of `adamStep` over `[u, mu, nu, p?]` split across the thread pool, in chunks of a
 * multiple of 8 floats (the kernel's vector step: each element takes the path it takes in one call, so
 * the bits are one thread's); false, having done nothing, where an array is not resident or there is
 * one thread.
 */
function adamSplit(mm: KernelRunner, arrays: Float32Array[], k: AdamStepConstants, alpha: number): boolean {
  const at = arrays.map((a) => mm.offsetOf(a));
  if (at.some((x) => x < 0)) return false;
  const pool = mm.workers();
  if (!pool) return false;
  const n = arrays[0]!.length;
  const chunkLen = Math.ceil(n / (2 * mm.threadCount) / 8) * 8;
  const [u, mu, nu, p] = at as [number, number, number, number?];
  pool.run(
    {
      kind: "adam",
      u,
      mu,
      nu,
      p: p ?? 0,
      n,
      constants: [k.beta1, k.beta2, k.eps, k.c1, k.c2, alpha],
      chunks: Math.ceil(n / chunkLen),
      chunkLen,
    },
    mm.scratchSpace.kernels.exports,
  );
  return true;
}

/**
 * The most rows `adamOuterStep` takes: a learner's row with its replayed ones. Each gradient element is
 * recomputed from the factors in the pass, so it pays while the product is shorter than Adam's divisions.
 */
export const OUTER_MAX_ROWS = 3;

/** A weight gradient as its factors, g = dzᵀ·x: dz rows×units and x rows×inputs, stored by rows. */
export interface OuterFactors {
  dz: Float32Array;
  x: Float32Array;
  rows: number;
  units: number;
  inputs: number;
}

/**
 * `adamStep` with p in float32 on the gradient given by `f` (the bits of the product dzᵀ·x into u,
 * then `adamStep`), without writing the gradient: the moments and p are updated in one pass.
 *
 * @example
 * adamOuterStep(runner, { dz, x, rows: 2, units: 256, inputs: 784 }, mu, nu, constants, w, -1e-3);
 */
export function adamOuterStep(
  mm: KernelRunner,
  f: OuterFactors,
  mu: Float32Array,
  nu: Float32Array,
  k: AdamStepConstants,
  p: Float32Array,
  alpha: number,
): void {
  const arrays = [f.dz, f.x, mu, nu, p];
  const resident = arrays.slice(2).every((a) => mm.offsetOf(a) >= 0);
  const [dzAt, xAt, muAt, nuAt, pAt] = mm.stage(arrays) as [number, number, number, number, number];
  const { kernels } = mm.scratchSpace;
  const constants = [k.beta1, k.beta2, k.eps, k.c1, k.c2, alpha] as const;
  const pool = resident && f.inputs % 8 === 0 && p.length >= THREAD_MIN_ADAM ? mm.workers() : null;
  if (pool) {
    // Chunks of whole units, about two per thread (as Adam's split); dz and x staged in shared memory.
    const { rows, units, inputs } = f;
    const chunkUnits = Math.ceil(units / (2 * mm.threadCount));
    const chunks = Math.ceil(units / chunkUnits);
    const at = { dz: dzAt, x: xAt, mu: muAt, nu: nuAt, p: pAt };
    pool.run(
      { kind: "adamOuter", ...at, rows, units, inputs, chunks, chunkUnits, constants },
      kernels.exports,
    );
    return;
  }
  kernels.exports.adamOuter(dzAt, xAt, f.rows, f.units, f.units, f.inputs, muAt, nuAt, pAt, ...constants);
  mm.output(muAt, mu);
  mm.output(nuAt, nu);
  mm.output(pAt, p);
}
