/**
 * The host side of the optimiser stages with js's arithmetic (kernels/stages.ts): SGD's momentum, weight
 * decay, RMSprop's and Adagrad's scaling over one parameter's arrays. Resident arrays are updated in
 * place; others are staged and copied back. Below `ADAM64_MIN` floats js's loop runs (the call and the
 * copies cost more than it); the bits are the same either way.
 */
import type { Backend } from "../backend.js";
import { jsBackend } from "../js/index.js";
import { ADAM64_MIN, type KernelRunner, VECTOR_MIN } from "./runner.js";

/** Whether the compiled stage takes these arrays (one length, long enough); absent ones are null. */
function compiled(u: Float32Array, others: readonly (Float32Array | null)[]): boolean {
  return u.length >= ADAM64_MIN && others.every((a) => a === null || a.length === u.length);
}

/** The stage kernels of `Backend` (all present). */
type StageKernels = Required<
  Pick<
    Backend,
    | "momentum"
    | "momentumApply"
    | "decayWeights"
    | "rmsScale"
    | "adagradScale"
    | "squaresFrom"
    | "multiply"
    | "clamp"
  >
>;

/**
 * The stages of `Backend` on the kernels of `mm`; `axpy` is the backend's, which `momentumApply` gives
 * the bits of (compiled in the same pass from `VECTOR_MIN` floats, where the backend's is compiled).
 */
export function stageKernels(mm: KernelRunner, axpy: Backend["axpy"]): StageKernels {
  const ex = () => mm.scratchSpace.kernels.exports;
  const momentum: StageKernels["momentum"] = (u, buf, m, dampening, first, nesterov) => {
    if (!compiled(u, [buf])) return jsBackend.momentum(u, buf, m, dampening, first, nesterov);
    mm.inPlace([u, buf], ([uAt, bAt]) =>
      ex().momentum64(uAt!, bAt!, u.length, m, 1 - dampening, first ? 1 : 0, nesterov ? 1 : 0),
    );
  };
  return {
    momentum,
    momentumApply(u, buf, m, dampening, first, nesterov, p, alpha) {
      if (u.length < VECTOR_MIN || !compiled(u, [buf, p])) {
        momentum(u, buf, m, dampening, first, nesterov);
        return axpy(alpha, u, p);
      }
      const [d, f, n] = [1 - dampening, first ? 1 : 0, nesterov ? 1 : 0];
      mm.inPlace([u, buf, p], ([uAt, bAt, pAt]) =>
        ex().momentumAxpy64(uAt!, bAt!, pAt!, u.length, m, d, f, n, alpha),
      );
    },
    decayWeights(u, p, decay) {
      if (!compiled(u, [p])) return jsBackend.decayWeights(u, p, decay);
      mm.inPlace([u, p], ([uAt, pAt]) => ex().decay64(uAt!, pAt!, u.length, decay));
    },
    rmsScale(u, sq, ga, buf, alpha, eps, m) {
      if (!compiled(u, [sq, ga, buf])) return jsBackend.rmsScale(u, sq, ga, buf, alpha, eps, m);
      mm.inPlace([u, sq, ga, buf], ([uAt, sqAt, gaAt, bAt]) =>
        ex().rms64(uAt!, sqAt!, gaAt!, bAt!, u.length, alpha, eps, m),
      );
    },
    squaresFrom(g, start) {
      if (!compiled(g, [])) return jsBackend.squaresFrom(g, start);
      const [at] = mm.stage([g]);
      return ex().squaresFrom(at!, g.length, start);
    },
    multiply(g, coef) {
      if (!compiled(g, [])) return jsBackend.multiply(g, coef);
      mm.inPlace([g], ([at]) => ex().multiply64(at!, g.length, coef));
    },
    clamp(g, lo, hi) {
      if (!compiled(g, [])) return jsBackend.clamp(g, lo, hi);
      mm.inPlace([g], ([at]) => ex().clamp64(at!, g.length, lo, hi));
    },
    adagradScale(u, sum, eps, decay) {
      if (!compiled(u, [sum])) return jsBackend.adagradScale(u, sum, eps, decay);
      mm.inPlace([u, sum], ([uAt, sAt]) => ex().adagrad64(uAt!, sAt!, u.length, eps, decay));
    },
  };
}
