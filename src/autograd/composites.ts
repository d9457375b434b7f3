/**
 * Composites for layers beyond the dense stack: concatenation, batch and group normalisation. Like
 * `functional.ts`, each is a few primitives and needs no kernel and no gradient rule of its own.
 */
import { ShapeError } from "../tensor/errors.js";
import { fmt, normAxis } from "../tensor/shape.js";
import { backend } from "../backend/index.js";
import { allocateOutput, Tensor } from "../tensor/tensor.js";
import { mean, square } from "./functional.js";
import { record } from "./graph.js";
import * as op from "./ops.js";

const range = (from: number, n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => from + i);

/**
 * Tensors side by side along `axis` (the last by default); the others' extents must agree. Each part is
 * scattered to its own positions and the parts added, so its gradient is the matching slice (a gather).
 *
 * @example
 * concat([x, y]) // x [rows, 3] and y [rows, 2] → [rows, 5]
 */
export function concat(parts: readonly Tensor[], axis0 = -1): Tensor {
  if (parts.length === 0) throw new ShapeError("concat: no tensors given");
  const first = parts[0];
  const axis = normAxis(axis0, first.rank);
  for (const p of parts) {
    if (p.rank !== first.rank || p.shape.some((d, i) => i !== axis && d !== first.shape[i]))
      throw new ShapeError(
        `concat along axis ${axis}: shapes ${parts.map((t) => fmt(t.shape)).join(", ")} differ elsewhere`,
      );
  }
  const total = parts.reduce((n, p) => n + p.shape[axis], 0);
  let offset = 0;
  let out: Tensor | null = null;
  for (const p of parts) {
    const placed = op.scatterAdd(p, range(offset, p.shape[axis]), axis, total);
    offset += p.shape[axis];
    out = out ? op.add(out, placed) : placed;
  }
  return out as Tensor;
}

/** Every axis but the last: the ones batch normalisation averages over (rows, and positions of an image). */
export const allButLast = (x: Tensor): number[] => Array.from({ length: x.rank - 1 }, (_, i) => i);

/**
 * (x − mean)/√(variance + eps), then the per-feature gain and bias: the last step of every normalisation,
 * and all of batch norm in inference (with the running statistics).
 *
 * @example
 * normalizeWith(x, mean(x, 0, true), variance(x, 0, true), null, null, 1e-5) // x's columns standardised
 */
export function normalizeWith(
  x: Tensor,
  mu: Tensor,
  variance: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
): Tensor {
  return affine(op.div(op.sub(x, mu), op.sqrt(op.add(variance, eps))), weight, bias);
}

/** y·weight + bias, per feature of the last axis, either left out when null. */
function affine(y: Tensor, weight: Tensor | null, bias: Tensor | null): Tensor {
  const scaled = weight ? op.mul(y, weight) : y;
  return bias ? op.add(scaled, bias) : scaled;
}

/**
 * Batch normalisation in training (Ioffe & Szegedy 2015): each feature (the last axis) normalised by its
 * mean and biased variance over all other axes. Returns the batch statistics too, for running averages.
 *
 * @example
 * batchNorm(x, null, null, 1e-5).y // x [32, 16]: each of the 16 columns now has mean 0 and variance ≈ 1
 */
export function batchNorm(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps = 1e-5,
): { y: Tensor; mean: Tensor; variance: Tensor } {
  const axes = allButLast(x);
  if (backend().batchNorm && x.dtype === "float32") return fusedBatchNorm(x, weight, bias, eps);
  const mu = mean(x, axes, true);
  const variance = mean(square(op.sub(x, mu)), axes, true);
  return { y: normalizeWith(x, mu, variance, weight, bias, eps), mean: mu, variance };
}

/**
 * batchNorm where the backend fuses it: one kernel call each way, recorded as one graph node
 * (`fusedBackward.batchNorm`), with the composite's bits.
 */
function fusedBatchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, eps: number) {
  const features = x.shape[x.rank - 1]!;
  for (const [name, t] of [
    ["weight", weight],
    ["bias", bias],
  ] as const)
    if (t && (t.size !== features || t.dtype !== x.dtype))
      throw new ShapeError(
        `batchNorm: ${name} ${fmt(t.shape)} (${t.dtype}) does not fit inputs ${fmt(x.shape)} (${x.dtype})`,
      );
  const rows = features === 0 ? 0 : x.size / features;
  const stats = x.shape.map((d, i) => (i === x.rank - 1 ? d : 1));
  // Every element written by the kernel: inside a training step, a reused array of its pool.
  const y = allocateOutput("float32", x.size) as Float32Array;
  const mu = new Float32Array(features);
  const variance = new Float32Array(features);
  const sd = new Float32Array(features);
  const f32 = (t: Tensor | null) => (t?.data ?? null) as Float32Array | null;
  backend().batchNorm!(f32(x)!, rows, features, f32(weight), f32(bias), eps, y, mu, variance, sd);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  const out = record(new Tensor(y, x.shape), "batchNorm", inputs, {
    mean: mu,
    sd,
    hasWeight: weight !== null,
    hasBias: bias !== null,
  });
  return { y: out, mean: new Tensor(mu, stats), variance: new Tensor(variance, stats) };
}

/**
 * Group normalisation (Wu & He 2018) for channels-last inputs [n, …, c]: the c channels fall into
 * `groups` groups of adjacent channels, each normalised per sample over its channels and all positions.
 *
 * @example
 * groupNorm(x, 4, null, null) // x [8, 16]: four groups of four features per row, no gain or bias
 */
export function groupNorm(
  x: Tensor,
  groups: number,
  weight: Tensor | null,
  bias: Tensor | null,
  eps = 1e-5,
): Tensor {
  const c = x.shape[x.rank - 1];
  if (x.rank < 2 || c % groups !== 0)
    throw new ShapeError(`groupNorm: ${c} channels of ${fmt(x.shape)} do not split into ${groups} groups`);
  const n = x.shape[0];
  // Positions per sample from the shape, not size / rows: a batch of 0 rows has them too.
  const positions = x.shape.slice(1, -1).reduce((a, b) => a * b, 1);
  const grouped = op.reshape(x, [n, positions, groups, c / groups]);
  const mu = mean(grouped, [1, 3], true);
  const centered = op.sub(grouped, mu);
  const variance = mean(square(centered), [1, 3], true);
  const y = op.reshape(op.div(centered, op.sqrt(op.add(variance, eps))), x.shape);
  return affine(y, weight, bias);
}
