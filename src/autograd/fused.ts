import type { ConvGeometry, NormBackwardKernel } from "../backend/backend.js";
import { convBackwardByKernels } from "../backend/conv-kernels.js";
import { backend, kernelOf } from "../backend/index.js";
import { ShapeError } from "../tensor/errors.js";
import { fmt, sameShape } from "../tensor/shape.js";
import { allocate, allocateOutput, type Data, dtypeOf, Tensor } from "../tensor/tensor.js";
import { DEFER_MAX_ROWS, type DeferredGradients } from "./deferred.js";
import { logSoftmax, square } from "./functional.js";
import type { GradRule } from "./gradients.js";
import { type FusedOp, record } from "./graph.js";
import * as op from "./ops.js";

/**
 * Composites that a backend may fuse. Each is written in primitives, and runs as them where the active
 * backend has no kernels for it; where it has them, the composite is one kernel call forward and one
 * backward, recorded as a single graph node whose backward is the backend's kernel (`fusedBackward`),
 * not a gradient rule. Both paths give the same bits on the js backend (test/autograd.test.ts compares
 * values and gradients); wasm sums a dense layer's bias gradient in float32, row by row.
 */

/**
 * A dense layer, act(x·wᵀ + b), with x [m, k], w [n, k] (row i: unit i's incoming weights), b [n] or
 * null, and act any function of a tensor (none: the identity). Its primitives are matmul, add and act.
 * Where the backend fuses them, relu joins the kernel (one call and one output array each way) and
 * another act is applied to the kernel's output.
 *
 * @example
 * const dense = model.layers[0] as Dense; // [units, inputs] weights, [units] biases
 * linear(x, dense.weight, dense.bias, relu); // [rows, units]
 */
export function linear(x: Tensor, w: Tensor, b: Tensor | null, act?: (z: Tensor) => Tensor): Tensor {
  checkLinear(x, w, b);
  const kernels = backend();
  if (!kernels.linear) {
    const z = op.matmul(x, w, { transB: true });
    const a = b ? op.add(z, b) : z;
    return act ? act(a) : a;
  }
  const relu = act === op.relu;
  const [m, k] = x.shape;
  const n = w.shape[0];
  const out = allocate(x.dtype, m * n);
  kernels.linear(x.data, w.data, b?.data ?? null, out, m, n, k, relu);
  const y = record(new Tensor(out, [m, n]), "linear", b ? [x, w, b] : [x, w], { relu });
  return act && !relu ? act(y) : y;
}

function checkLinear(x: Tensor, w: Tensor, b: Tensor | null): void {
  if (
    x.rank !== 2 ||
    w.rank !== 2 ||
    x.shape[1] !== w.shape[1] ||
    (b && (b.rank !== 1 || b.shape[0] !== w.shape[0]))
  ) {
    throw new ShapeError(
      `linear: expected x [m, k], w [n, k] and b [n], got ${fmt(x.shape)}, ${fmt(w.shape)}${b ? ` and ${fmt(b.shape)}` : ""}`,
    );
  }
  if (x.dtype !== w.dtype || (b && b.dtype !== w.dtype))
    throw new ShapeError(`linear: dtypes differ (${x.dtype}, ${w.dtype}${b ? `, ${b.dtype}` : ""})`);
}

/**
 * Softmax cross-entropy along the last axis, averaged over rows: −(1/rows)·Σ t·log softmax(z), rows
 * being z's size over its last extent (1 for a vector). The composite
 * `neg(div(sum(mul(t, logSoftmax(z))), rows))`; fused, one kernel call each way instead of a dozen
 * primitives with their arrays and graph nodes (batch 1 trains 12–24% faster), with the same bits.
 *
 * @example
 * softmaxCrossEntropy(x, y); // logits x and one-hot targets y, both [rows, classes]: a scalar
 */
export function softmaxCrossEntropy(z: Tensor, t: Tensor): Tensor {
  if (z.rank < 1 || !sameShape(z.shape, t.shape)) {
    throw new ShapeError(
      `softmaxCrossEntropy: expected logits and targets of one shape [..., classes], got ${fmt(z.shape)} and ${fmt(t.shape)}`,
    );
  }
  if (z.dtype !== t.dtype)
    throw new ShapeError(`softmaxCrossEntropy: dtypes differ (${z.dtype} vs ${t.dtype})`);
  const cols = z.shape[z.rank - 1]!;
  const rows = cols === 0 ? 0 : z.size / cols;
  const meanOver = z.rank > 1 ? z.size / cols : 1;
  const kernels = backend();
  if (!kernels.softmaxCrossEntropy) return op.neg(op.div(op.sum(op.mul(t, logSoftmax(z, -1))), meanOver));
  const e = allocate(z.dtype, z.size),
    logp = allocate(z.dtype, z.size),
    sums = allocate(z.dtype, rows);
  const loss = kernels.softmaxCrossEntropy(z.data, t.data, rows, cols, e, sums, logp, meanOver);
  const saved = { e, sums, logp, rows, cols, meanOver };
  return record(Tensor.scalar(loss, z.dtype), "softmaxCrossEntropy", [z, t], saved);
}

/**
 * Σ w·(p − a)² over tensors of one shape and dtype (w null: Σ (p − a)²), a scalar: one parameter's term
 * of the quadratic penalty (EWC, SI, MAS, L2-Init). The composite `sum(mul(square(sub(p, a)), w))`;
 * fused, one pass each way instead of five arrays of p's size and their graph nodes, with the same bits.
 * It fuses when only p needs a gradient (a and w are the penalty's constants); else the primitives run.
 *
 * @example
 * squaredDistance(theta, anchor, importance); // a scalar, differentiable in theta
 */
export function squaredDistance(p: Tensor, a: Tensor, w: Tensor | null): Tensor {
  const kernels = backend();
  if (
    !kernels.squaredDistance ||
    a.requiresGrad ||
    w?.requiresGrad ||
    !sameShape(p.shape, a.shape) ||
    (w && !sameShape(p.shape, w.shape)) ||
    p.dtype !== a.dtype ||
    (w && w.dtype !== p.dtype)
  ) {
    const sq = square(op.sub(p, a));
    return op.sum(w ? op.mul(sq, w) : sq);
  }
  const s = kernels.squaredDistance(p.data, a.data, w?.data ?? null);
  return record(Tensor.scalar(s, p.dtype), "squaredDistance", w ? [p, a, w] : [p, a]);
}

/**
 * A dense layer's dw = dzᵀ·x, into `buffer` where it fits; where the caller defers products (a few rows,
 * float32), `buffer` is returned uncomputed and the product waits in `deferred` for whoever reads it.
 */
function weightGradient(
  dz: Tensor,
  x: Tensor,
  w: Tensor,
  buffer: Data | undefined,
  deferred: DeferredGradients | undefined,
): Tensor {
  const [rows, units] = dz.shape as [number, number];
  const inputs = x.shape[1]!;
  const product = () => op.matmul(dz, x, { transA: true, out: buffer });
  if (
    !deferred ||
    rows > DEFER_MAX_ROWS ||
    !(buffer instanceof Float32Array) ||
    buffer.length !== w.size ||
    !(dz.data instanceof Float32Array) ||
    !(x.data instanceof Float32Array)
  )
    return product();
  deferred.set(buffer, { dz: dz.data, x: x.data, rows, units, inputs, materialize: product });
  return new Tensor(buffer, w.shape);
}

/**
 * The backward half of each fused pair: the backend's kernel (the js one where the backend that ran the
 * forward half is no longer active), with the products of a dense layer as matmul kernels.
 */
/**
 * A fused normalisation's gradients (batch or layer norm: x [..., features], then the weight and the
 * bias where given), from the backend's kernel and the statistics its forward pass kept.
 */
function normBackward(
  kernel: NormBackwardKernel,
  g: Tensor,
  inputs: readonly Tensor[],
  attrs: Readonly<Record<string, unknown>>,
  needs: readonly boolean[],
): (Tensor | null)[] {
  const x = inputs[0]!;
  const w = attrs.hasWeight ? inputs[1]! : null;
  const features = x.shape[x.rank - 1]!;
  const rows = features === 0 ? 0 : x.size / features;
  const fresh = (t: Tensor, need: boolean | undefined) =>
    need ? new Tensor(allocateOutput(t.dtype, t.size), t.shape) : null; // the kernels write every element
  const grads = inputs.map((t, i) => fresh(t, needs[i]));
  const dw = w ? grads[1]! : null;
  const db = attrs.hasBias ? grads[grads.length - 1]! : null;
  const f32 = (d: Data | null | undefined) => (d ?? null) as Float32Array | null;
  kernel(
    f32(g.data)!,
    f32(x.data)!,
    rows,
    features,
    f32(w?.data),
    f32(attrs.mean as Data)!,
    f32(attrs.sd as Data)!,
    f32(grads[0]?.data),
    f32(dw?.data),
    f32(db?.data),
  );
  return grads;
}

export const fusedBackward = {
  // x [m, k], w [n, k], b [n]: dz = g·relu′ and db = column sums of dz in one call, then dx = dz·w and
  // dw = dzᵀ·x (into the caller's buffer, or left there as its factors where the caller defers it).
  linear: (g, [x, w, b], out, attrs, needs, into, deferred) => {
    const relu = attrs.relu as boolean;
    const [m, n] = g.shape;
    const dz = relu ? new Tensor(allocate(g.dtype, m * n), [m, n]) : g;
    const db = b && needs[2] ? new Tensor(allocate(g.dtype, n), [n]) : null;
    if (relu || db) {
      const kernel = kernelOf("linearBackward");
      kernel(g.data, out.data, relu ? dz.data : null, db?.data ?? null, m, n, relu);
    }
    const dx = needs[0] ? op.matmul(dz, w!) : null;
    const dw = needs[1] ? weightGradient(dz, x!, w!, into?.[1] ?? undefined, deferred) : null;
    return b === undefined ? [dx, dw] : [dx, dw, db];
  },
  // dz = (g/rows)·(softmax(z)·Σⱼtⱼ − t), dt = −(g/rows)·log softmax(z), as the composite rounds them.
  softmaxCrossEntropy: (g, [z, t], _out, attrs, needs) => {
    const a = attrs as { e: Data; sums: Data; logp: Data; rows: number; cols: number; meanOver: number };
    const dz = needs[0] ? new Tensor(allocate(z!.dtype, z!.size), z!.shape) : null;
    const dt = needs[1] ? new Tensor(allocate(t!.dtype, t!.size), t!.shape) : null;
    const kernel = kernelOf("softmaxCrossEntropyBackward");
    kernel(
      g.data[0]!,
      t!.data,
      a.e,
      a.sums,
      a.logp,
      a.rows,
      a.cols,
      a.meanOver,
      dz?.data ?? null,
      dt?.data ?? null,
    );
    return [dz, dt];
  },
  // dp = 2·round(round(g·w)·round(p − a)), into the caller's buffer where one is offered; a and w are
  // constants (squaredDistance fuses only then).
  squaredDistance: (g, [p, a, w], _out, _attrs, _needs, into) => {
    const buffer = into?.[0];
    const dp =
      buffer && buffer.length === p!.size && dtypeOf(buffer) === p!.dtype
        ? buffer
        : allocate(p!.dtype, p!.size);
    const kernel = kernelOf("squaredDistanceBackward");
    kernel(g.data[0]!, p!.data, a!.data, w?.data ?? null, dp);
    return w ? [new Tensor(dp, p!.shape), null, null] : [new Tensor(dp, p!.shape), null];
  },
  // x [batch, h, w, c], w [filters, taps], b [filters]: dz and db as a dense layer's, then dx = col2im(dz·w)
  // and dw = dzᵀ·im2col(x) (into the caller's buffer) in one call.
  conv2d: (g, [x, w, b], out, attrs, needs, into) => {
    const relu = attrs.relu as boolean;
    const filters = w!.shape[0]!;
    const rows = g.size / filters;
    // dz lives only in this rule: in the backend's memory where it keeps a block for these filters.
    const scratch = relu && g.dtype === "float32" ? (backend().scratchFor?.(w!.data, g.size) ?? null) : null;
    const dz = relu ? (scratch ?? allocate(g.dtype, g.size)) : g.data;
    const db = b && needs[2] ? new Tensor(allocate(g.dtype, filters), [filters]) : null;
    if (relu || db) {
      const kernel = kernelOf("linearBackward");
      kernel(g.data, out.data, relu ? dz : null, db?.data ?? null, rows, filters, relu);
    }
    const buffer = into?.[1];
    // col2im zeroes dx before adding into it (js and wasm alike).
    const dx = needs[0] ? allocateOutput(x!.dtype, x!.size) : null;
    const dw = !needs[1]
      ? null
      : buffer && buffer.length === w!.size && dtypeOf(buffer) === w!.dtype
        ? buffer
        : allocate(w!.dtype, w!.size);
    const kernels = backend();
    const geometry = attrs.geometry as ConvGeometry;
    const cols = attrs.cols as Data | null;
    if (kernels.conv2dBackward) kernels.conv2dBackward(x!.data, w!.data, dz, dx, dw, geometry, filters, cols);
    else convBackwardByKernels(kernels, x!.data, w!.data, dz, dx, dw, geometry, filters, cols);
    const grads = [dx && new Tensor(dx, x!.shape), dw && new Tensor(dw, w!.shape)];
    return b === undefined ? grads : [...grads, db];
  },
  // x [..., features], then the weight and the bias where given: all three in one call.
  batchNorm: (g, inputs, _out, attrs, needs) =>
    normBackward(kernelOf("batchNormBackward"), g, inputs, attrs, needs),
  // The same, each row's statistics kept instead of each feature's.
  layerNorm: (g, inputs, _out, attrs, needs) =>
    normBackward(kernelOf("layerNormBackward"), g, inputs, attrs, needs),
  // dx: each window's gradient shared among its maximal entries, added where they were read (js/pool.ts).
  maxPool2d: (g, [x], out, attrs) => {
    const dx = allocate(x!.dtype, x!.size);
    const kernel = kernelOf("maxPoolBackward");
    kernel(x!.data, out.data, g.data, attrs.geometry as ConvGeometry, dx);
    return [new Tensor(dx, x!.shape)];
  },
} satisfies Record<FusedOp, GradRule>;
