import { backend } from "../backend/index.js";
import { ShapeError } from "../tensor/errors.js";
import { fmt, normAxis } from "../tensor/shape.js";
import { allocateOutput, Tensor } from "../tensor/tensor.js";
import { record } from "./graph.js";
import * as op from "./ops.js";

/**
 * Composite operations, each a line or two of primitives. They need no kernel and no gradient rule:
 * autograd differentiates them through their primitives. Where a naive composition would overflow
 * (softmax, softplus, log-sigmoid), the maximum is subtracted first and detached: the gradient
 * through it is exactly zero in exact arithmetic, so detaching changes nothing but the rounding.
 */

/** x², element-wise (x·x). */
export const square = (x: Tensor): Tensor => op.mul(x, x);

/**
 * Mean over `axes` (default: all), as sum / count.
 *
 * @example
 * mean(Tensor.from([[1, 2], [3, 6]]), 1); // [1.5, 4.5]
 */
export function mean(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const s = op.sum(x, axes, keepDims);
  return op.div(s, x.size / Math.max(s.size, 1));
}

/** Population variance (divides by n), as layer norm uses it. */
export function variance(x: Tensor, axes?: number | readonly number[], keepDims = false): Tensor {
  const centered = op.sub(x, mean(x, axes, true));
  return mean(square(centered), axes, keepDims);
}

/** Element-wise minimum, −max(−a, −b): broadcasts like `maximum`. */
export const minimum = (a: Tensor | number, b: Tensor | number): Tensor =>
  op.neg(op.maximum(op.neg(lift(a, b)), op.neg(lift(b, a))));

function lift(a: Tensor | number, like: Tensor | number): Tensor {
  return typeof a === "number" ? op.lift(a, like as Tensor) : a;
}

/**
 * Each element held within [lo, hi].
 *
 * @example
 * clamp(Tensor.from([-2, 0.5, 3]), 0, 1); // [0, 0.5, 1]
 */
export const clamp = (x: Tensor, lo: number, hi: number): Tensor => minimum(op.maximum(x, lo), hi);

/** log Σ exp(x) along `axis`, stable for any magnitude. */
export function logSumExp(x: Tensor, axis = -1, keepDims = false): Tensor {
  const m = op.max(x, axis, true).detach();
  const s = op.add(op.log(op.sum(op.exp(op.sub(x, m)), axis, true)), m);
  return keepDims
    ? s
    : op.reshape(
        s,
        x.shape.filter((_, i) => i !== normAxis(axis, x.rank)),
      );
}

/** log softmax along `axis`, x − logSumExp(x): stable for any magnitude. */
export const logSoftmax = (x: Tensor, axis = -1): Tensor => op.sub(x, logSumExp(x, axis, true));

/**
 * Softmax along `axis` (default the last), the maximum subtracted first so large logits do not overflow.
 *
 * @example
 * softmax(Tensor.from([[1, 2, 3]])); // rows that sum to 1
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const e = op.exp(op.sub(x, op.max(x, axis, true).detach()));
  return op.div(e, op.sum(e, axis, true));
}

/**
 * softplus(x) = log(1 + eˣ) = max(x, 0) + log1p(e^−|x|): no overflow for any x, full relative accuracy
 * for x ≪ 0 (where log(1 + eˣ) would round to 0), and gradient σ(x). −|x| is written min(x, −x) so
 * that at x = 0, where relu passes no gradient, min passes it to its first argument and the
 * gradient is σ(0) = ½ as it should be.
 */
export function softplus(x: Tensor): Tensor {
  return op.add(op.relu(x), op.log1p(op.exp(minimum(x, op.neg(x)))));
}

/** log σ(x) = −softplus(−x), finite for any x. */
export const logSigmoid = (x: Tensor): Tensor => op.neg(softplus(op.neg(x)));

/** Leaky ReLU: x where x > 0, else αx (α default 0.01, as in PyTorch). */
export const leakyRelu = (x: Tensor, alpha = 0.01): Tensor => op.where(op.greater(x, 0), x, op.mul(x, alpha));

/** ELU; exp is taken of min(x, 0) so that positive inputs never overflow (which would poison the gradient). */
export const elu = (x: Tensor, alpha = 1): Tensor =>
  op.where(op.greater(x, 0), x, op.mul(op.sub(op.exp(minimum(x, 0)), 1), alpha));

/** SELU constants from Klambauer et al. 2017 (as in PyTorch). */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;
/** SELU (Klambauer et al. 2017, "Self-Normalizing Neural Networks"): scale · elu(x, α). */
export const selu = (x: Tensor): Tensor => op.mul(elu(x, SELU_ALPHA), SELU_SCALE);

/** GELU, exact form x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's default, approximate="none"). */
export const gelu = (x: Tensor): Tensor => op.mul(op.mul(x, 0.5), op.add(op.erf(op.mul(x, Math.SQRT1_2)), 1));

/** Layer normalisation over the last axis (Ba et al. 2016), biased variance as in PyTorch. */
export function layerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps = 1e-5): Tensor {
  if (backend().layerNorm && x.dtype === "float32") return fusedLayerNorm(x, weight, bias, eps);
  const mu = mean(x, -1, true);
  const centered = op.sub(x, mu);
  const v = mean(square(centered), -1, true);
  let y = op.div(centered, op.sqrt(op.add(v, eps)));
  if (weight) y = op.mul(y, weight);
  if (bias) y = op.add(y, bias);
  return y;
}

/**
 * layerNorm where the backend fuses it: one kernel call each way, recorded as one graph node
 * (`fusedBackward.layerNorm`), with the composite's bits.
 */
function fusedLayerNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number): Tensor {
  const features = x.shape[x.rank - 1]!;
  for (const [name, t] of [
    ["weight", weight],
    ["bias", bias],
  ] as const)
    if (t && (t.size !== features || t.dtype !== x.dtype))
      throw new ShapeError(
        `layerNorm: ${name} ${fmt(t.shape)} (${t.dtype}) does not fit inputs ${fmt(x.shape)} (${x.dtype})`,
      );
  const rows = features === 0 ? 0 : x.size / features;
  // Every element written by the kernel: inside a training step, a reused array of its pool.
  const y = allocateOutput("float32", x.size) as Float32Array;
  const mu = new Float32Array(rows);
  const sd = new Float32Array(rows);
  const f32 = (t: Tensor | null) => (t?.data ?? null) as Float32Array | null;
  backend().layerNorm!(f32(x)!, rows, features, f32(weight), f32(bias), eps, y, mu, sd);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  return record(new Tensor(y, x.shape), "layerNorm", inputs, {
    mean: mu,
    sd,
    hasWeight: weight !== null,
    hasBias: bias !== null,
  });
}

/** Index of the largest value along the last axis of a matrix, per row. */
export function argmaxRows(x: Tensor): Int32Array {
  const cols = x.shape[x.rank - 1];
  const rows = x.size / cols;
  const out = new Int32Array(rows);
  const d = x.data;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let bv = -Infinity;
    for (let c = 0; c < cols; c++) {
      const v = d[r * cols + c];
      if (v > bv) {
        bv = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}
