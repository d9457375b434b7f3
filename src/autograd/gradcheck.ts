import { Tensor } from "../tensor/tensor.js";
import { grad } from "./backward.js";

/** What `gradCheck` found: the worst relative error between autograd's and finite differences' gradients. */
export interface GradCheckResult {
  /** Largest relative error over all checked elements: |analytic − numeric| / max(|analytic|, |numeric|, floor). */
  maxRelativeError: number;
  /** Where it occurred: input index and flat element index. */
  worst: { input: number; element: number; analytic: number; numeric: number };
}

/**
 * Compare autograd's gradient of `f` (reduced to a scalar by a fixed projection when it is not one)
 * with a fourth-order central difference, (8[f(x+h) − f(x−h)] − [f(x+2h) − f(x−2h)]) / 12h, whose
 * truncation error is O(h⁴): in float64 with h = 1e-4 it is accurate to about 1e-11, far below the
 * 1e-6 we ask of autograd. Relative errors use max(|analytic|, |numeric|, floor) as denominator, the
 * floor (1e-3 by default) keeping near-zero gradients from turning rounding noise into large ratios.
 * Keep inputs more than 2h away from kinks (relu at 0, ties of max).
 *
 * @example
 * const x = Tensor.from([0.3, -1.2], { dtype: "float64", requiresGrad: true });
 * gradCheck((x) => tanh(x), [x]).maxRelativeError < 1e-6; // true
 */
export function gradCheck(
  f: (...xs: Tensor[]) => Tensor,
  inputs: Tensor[],
  opts: { h?: number; floor?: number } = {},
): GradCheckResult {
  const h = opts.h ?? 1e-4;
  const floor = opts.floor ?? 1e-3;
  const probe = f(...inputs);
  // A fixed, non-uniform projection makes every output element matter with a different weight.
  const weights = new Float64Array(probe.size);
  for (let i = 0; i < weights.length; i++) weights[i] = 0.5 + ((i * 7919) % 13) / 13;
  const w = new Tensor(weights, probe.shape);
  const scalar = (...xs: Tensor[]): number => {
    const y = f(...xs);
    let s = 0;
    for (let i = 0; i < y.size; i++) s += y.data[i] * weights[i];
    return s;
  };
  const analytic = grad(probe, inputs, w.to(probe.dtype));
  let maxRelativeError = 0;
  let worst = { input: -1, element: -1, analytic: 0, numeric: 0 };
  inputs.forEach((x, k) => {
    for (let i = 0; i < x.size; i++) {
      const orig = x.data[i];
      const at = (d: number): number => {
        x.data[i] = orig + d;
        const v = scalar(...inputs);
        x.data[i] = orig;
        return v;
      };
      const numeric = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
      const a = analytic[k].data[i];
      const err = Math.abs(a - numeric) / Math.max(Math.abs(a), Math.abs(numeric), floor);
      if (err > maxRelativeError || worst.input < 0) {
        maxRelativeError = Math.max(err, maxRelativeError);
        worst = { input: k, element: i, analytic: a, numeric };
      }
    }
  });
  return { maxRelativeError, worst };
}
