import type { ConvGeometry } from "../backend/backend.js";
import { sameShape, type Shape } from "../tensor/shape.js";
import type { Data, Tensor } from "../tensor/tensor.js";
import type { DeferredGradients } from "./deferred.js";
import * as op from "./ops.js";
import type { PrimOp } from "./ops.js";

/**
 * A vector-Jacobian product: given the gradient `g` of the loss with respect to a primitive's output,
 * return the gradient with respect to each input (null where none flows). Inputs and output arrive
 * detached, so rules build no graph of their own.
 */
export type GradRule = (
  g: Tensor,
  inputs: readonly Tensor[],
  out: Tensor,
  attrs: Readonly<Record<string, unknown>>,
  /** Which inputs need a gradient; a rule may skip costly work for the others (matmul does). */
  needs: readonly boolean[],
  /**
   * Arrays an input's gradient may be written into instead of a fresh one (the caller's buffers for
   * parameters: see `grad`); a rule may ignore them. matmul uses them, for weight gradients.
   */
  into?: readonly (Data | null)[],
  /** Where a rule may leave a weight gradient written into `into` as its product's factors (fused linear does). */
  deferred?: DeferredGradients,
) => (Tensor | null)[];

/** Sum a broadcast gradient back down to the shape of the input it came from. */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || shape[i - lead] === 1) axes.push(i);
  }
  return op.reshape(op.sum(g, axes, true), shape);
}

const zero = (): null => null;

/** One rule per primitive; `satisfies` makes a missing rule a compile error. */
export const gradients = {
  neg: (g) => [op.neg(g)],
  exp: (g, _x, out) => [op.mul(g, out)],
  log: (g, [x]) => [op.div(g, x)],
  log1p: (g, [x]) => [op.div(g, op.add(x, 1))],
  sqrt: (g, _x, out) => [op.div(g, op.mul(out, 2))],
  abs: (g, [x]) => [op.mul(g, op.sign(x))],
  sign: () => [zero()],
  step: () => [zero()],
  tanh: (g, _x, out) => [op.mul(g, op.sub(1, op.mul(out, out)))],
  sigmoid: (g, _x, out) => [op.mul(g, op.mul(out, op.sub(1, out)))],
  relu: (g, [x]) => [op.mul(g, op.step(x))],
  erf: (g, [x]) => [op.mul(g, op.mul(op.exp(op.neg(op.mul(x, x))), 2 / Math.sqrt(Math.PI)))],

  add: (g, [a, b]) => [sumTo(g, a.shape), sumTo(g, b.shape)],
  sub: (g, [a, b]) => [sumTo(g, a.shape), sumTo(op.neg(g), b.shape)],
  mul: (g, [a, b]) => [sumTo(op.mul(g, b), a.shape), sumTo(op.mul(g, a), b.shape)],
  div: (g, [a, b], out) => [sumTo(op.div(g, b), a.shape), sumTo(op.neg(op.div(op.mul(g, out), b)), b.shape)],
  // Ties send the gradient to the first argument (as relu sends none at 0); documented, not averaged.
  maximum: (g, [a, b]) => {
    const first = op.greater(op.add(op.greater(a, b), op.equal(a, b)), 0);
    return [sumTo(op.mul(g, first), a.shape), sumTo(op.mul(g, op.sub(1, first)), b.shape)];
  },
  greater: () => [zero(), zero()],
  equal: () => [zero(), zero()],

  where: (g, [c, a, b]) => [null, sumTo(op.where(c, g, 0), a.shape), sumTo(op.where(c, 0, g), b.shape)],
  sum: (g, [x], _out, attrs) => {
    const kept = x.shape.map((d, i) => ((attrs.axes as number[]).includes(i) ? 1 : d));
    return [op.expand(op.reshape(g, kept), x.shape)];
  },
  // The gradient goes to the maximal elements, shared equally among ties.
  max: (g, [x], out, attrs) => {
    const kept = x.shape.map((d, i) => ((attrs.axes as number[]).includes(i) ? 1 : d));
    const mask = op.equal(x, op.reshape(out, kept));
    const count = op.sum(mask, attrs.axes as number[], true);
    return [op.mul(op.div(mask, count), op.reshape(g, kept))];
  },
  reshape: (g, _x, _out, attrs) => [op.reshape(g, attrs.from as number[])],
  transpose: (g, _x, _out, attrs) => {
    const perm = attrs.perm as number[];
    const inverse = new Array<number>(perm.length);
    perm.forEach((p, i) => (inverse[p] = i));
    return [op.transpose(g, inverse)];
  },
  expand: (g, _x, _out, attrs) => [sumTo(g, attrs.from as number[])],
  // C = op(A)·op(B): each input's gradient is again one product, read with the right transposes.
  matmul: (g, [a, b], _out, attrs, needs, into) => {
    const tA = attrs.transA as boolean;
    const tB = attrs.transB as boolean;
    const outA = into?.[0] ?? undefined;
    const outB = into?.[1] ?? undefined;
    const ga = !needs[0]
      ? null
      : tA
        ? op.matmul(b, g, { transA: tB, transB: true, out: outA })
        : op.matmul(g, b, { transB: !tB, out: outA });
    const gb = !needs[1]
      ? null
      : tB
        ? op.matmul(g, a, { transA: true, transB: tA, out: outB })
        : op.matmul(a, g, { transA: !tA, out: outB });
    return [ga, gb];
  },
  gather: (g, [x], _out, attrs) => [
    op.scatterAdd(g, attrs.indices as Int32Array, attrs.axis as number, x.shape[attrs.axis as number]),
  ],
  scatterAdd: (g, _x, _out, attrs) => [op.gather(g, attrs.indices as Int32Array, attrs.axis as number)],
  // Each is the other's adjoint: what im2col read from a pixel, col2im adds back to it.
  im2col: (g, _x, _out, attrs) => [op.col2im(g, attrs.geometry as ConvGeometry)],
  col2im: (g, _x, _out, attrs) => [op.im2col(g, attrs.geometry as ConvGeometry)],
} satisfies Record<PrimOp, GradRule>;
