/**
 * The host side of the optimiser stages with js's arithmetic (kernels/stages.ts): SGD's momentum, weight
 * decay, RMSprop's and Adagrad's scaling over one parameter's arrays. Resident arrays are updated in
 * place; others are staged and copied back. Below `ADAM64_MIN` floats js's loop runs (the call and the
 * copies cost more than it); the bits are the same either way.
 */
import { jsBackend } from "../js/index.js";
import { ADAM64_MIN, type KernelRunner, VECTOR_MIN } from "./runner.js";

/** Whether the compiled stage takes these arrays (one length, long enough); absent ones are null. */
function compiled(u: Float32Array, others: readonly (Float32Array | null)[]): boolean {
  return u.length >= ADAM64_MIN && others.every((a) => a === null || a.length === u.length);
}

/** Run `kernel` on the offsets of `arrays` (null ones at 0), then copy back those that were staged. */
function run(
  mm: KernelRunner,
  arrays: readonly (Float32Array | null)[],
  kernel: (at: number[]) => void,
): void {
  const present = arrays.filter((a): a is Float32Array => a !== null);
  const staged = mm.stage(present);
  let k = 0;
  const at = arrays.map((a) => (a ? staged[k++]! : 0));
  kernel(at);
  present.forEach((a, i) => mm.output(staged[i]!, a));
}

/**
 * The stages of `Backend` on the kernels of `mm`; `axpy` is the backend's, which `momentumApply` gives
 * the bits of (compiled in the same pass from `VECTOR_MIN` floats, where the backend's is compiled).
 */
export function stageKernels(
  mm: KernelRunner,
  axpy: (alpha: number, x: Float32Array, y: Float32Array) => void,
) {
  const ex = () => mm.scratchSpace.kernels.exports;
  const momentum = (
    u: Float32Array,
    buf: Float32Array,
    m: number,
    dampening: number,
    first: boolean,
    nesterov: boolean,
  ) => {
    if (!compiled(u, [buf])) return jsBackend.momentum(u, buf, m, dampening, first, nesterov);
    run(mm, [u, buf], ([uAt, bAt]) =>
      ex().momentum64(uAt!, bAt!, u.length, m, 1 - dampening, first ? 1 : 0, nesterov ? 1 : 0),
    );
  };
  return {
    momentum,
    momentumApply(
      u: Float32Array,
      buf: Float32Array,
      m: number,
      dampening: number,
      first: boolean,
      nesterov: boolean,
      p: Float32Array,
      alpha: number,
    ) {
      if (u.length < VECTOR_MIN || !compiled(u, [buf, p])) {
        momentum(u, buf, m, dampening, first, nesterov);
        return axpy(alpha, u, p);
      }
      run(mm, [u, buf, p], ([uAt, bAt, pAt]) =>
        ex().momentumAxpy64(
          uAt!,
          bAt!,
          pAt!,
          u.length,
          m,
          1 - dampening,
          first ? 1 : 0,
          nesterov ? 1 : 0,
          alpha,
        ),
      );
    },
    decayWeights(u: Float32Array, p: Float32Array, decay: number) {
      if (!compiled(u, [p])) return jsBackend.decayWeights(u, p, decay);
      run(mm, [u, p], ([uAt, pAt]) => ex().decay64(uAt!, pAt!, u.length, decay));
    },
    rmsScale(
      u: Float32Array,
      sq: Float32Array,
      ga: Float32Array | null,
      buf: Float32Array | null,
      alpha: number,
      eps: number,
      m: number,
    ) {
      if (!compiled(u, [sq, ga, buf])) return jsBackend.rmsScale(u, sq, ga, buf, alpha, eps, m);
      run(mm, [u, sq, ga, buf], ([uAt, sqAt, gaAt, bAt]) =>
        ex().rms64(uAt!, sqAt!, gaAt!, bAt!, u.length, alpha, eps, m),
      );
    },
    squaresFrom(g: Float32Array, start: number): number {
      if (!compiled(g, [])) return jsBackend.squaresFrom(g, start);
      const [at] = mm.stage([g]);
      return ex().squaresFrom(at!, g.length, start);
    },
    multiply(g: Float32Array, coef: number) {
      if (!compiled(g, [])) return jsBackend.multiply(g, coef);
      run(mm, [g], ([at]) => ex().multiply64(at!, g.length, coef));
    },
    clamp(g: Float32Array, lo: number, hi: number) {
      if (!compiled(g, [])) return jsBackend.clamp(g, lo, hi);
      run(mm, [g], ([at]) => ex().clamp64(at!, g.length, lo, hi));
    },
    adagradScale(u: Float32Array, sum: Float32Array, eps: number, decay: number) {
      if (!compiled(u, [sum])) return jsBackend.adagradScale(u, sum, eps, decay);
      run(mm, [u, sum], ([uAt, sAt]) => ex().adagrad64(uAt!, sAt!, u.length, eps, decay));
    },
  };
}
