import type { Tensor } from "../tensor/tensor.js";

/**
 * The closed set of primitive operations. Everything else (softmax, gelu, layer norm, the losses) is
 * composed from these in `functional.ts` and needs no kernel and no gradient rule of its own.
 * `sign`, `step`, `greater` and `equal` are piecewise constant: their gradient is zero. `gather`
 * (an embedding lookup, a slice) and `scatterAdd` (its adjoint; a concatenation) are each other's gradient. A dense layer,
 * softmax cross-entropy and a squared distance are composites too (`fused.ts`), which a backend may run
 * in one kernel. `im2col` and its adjoint `col2im` make convolution a matrix product and pooling a
 * reduction (`conv.ts`).
 */
export type PrimOp =
  | "neg"
  | "exp"
  | "log"
  | "log1p"
  | "sqrt"
  | "abs"
  | "sign"
  | "step"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "erf"
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "maximum"
  | "greater"
  | "equal"
  | "where"
  | "sum"
  | "max"
  | "reshape"
  | "transpose"
  | "expand"
  | "matmul"
  | "gather"
  | "scatterAdd"
  | "im2col"
  | "col2im";

/** Composites a backend may run as one kernel each way (`fused.ts`); a fused node names its composite. */
export type FusedOp =
  | "linear"
  | "softmaxCrossEntropy"
  | "squaredDistance"
  | "maxPool2d"
  | "conv2d"
  | "batchNorm"
  | "layerNorm";

/** Link `out` into the graph as computed by `op` from `inputs`, when any of them needs a gradient. */
export function record(
  out: Tensor,
  op: PrimOp | FusedOp,
  inputs: Tensor[],
  attrs: Record<string, unknown> = {},
): Tensor {
  for (const t of inputs) {
    if (t.requiresGrad) {
      out.requiresGrad = true;
      out.node = { op, inputs, attrs };
      break;
    }
  }
  return out;
}
