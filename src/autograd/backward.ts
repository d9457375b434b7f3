import { backend } from "../backend/index.js";
import { ShapeError } from "../tensor/errors.js";
import { fmt } from "../tensor/shape.js";
import { allocateOutput, type Data, Tensor } from "../tensor/tensor.js";
import { type DeferredGradients, settle } from "./deferred.js";
import { fusedBackward } from "./fused.js";
import { gradients, type GradRule } from "./gradients.js";
import type { FusedOp, PrimOp } from "./graph.js";

/** Tensors of the graph below `root`, inputs before the tensors computed from them. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative depth-first search: deep networks unrolled over many ops must not overflow the stack.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [t, next] = top;
    const inputs = t.node ? t.node.inputs : [];
    if (next < inputs.length) {
      top[1]++;
      const child = inputs[next];
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

function accumulate(
  grads: Map<Tensor, Tensor>,
  t: Tensor,
  g: Tensor,
  buffer: Data | undefined,
  deferred: DeferredGradients | undefined,
): void {
  const prev = grads.get(t);
  if (!prev) {
    grads.set(t, g);
    return;
  }
  // In place where the first contribution was written into the caller's buffer for `t` (no other
  // gradient holds it); else into a fresh array, since `prev` may be shared with another tensor's.
  const inPlace = buffer !== undefined && prev.data === buffer;
  settle(deferred, prev.data); // a second contribution: the first one's product is needed now
  const d = prev.data;
  const e = g.data;
  if (!inPlace) {
    // prev + g in one pass, each element d[i] + e[i] as below (a training step's pool holds the array).
    const sum = allocateOutput(prev.dtype, prev.size);
    backend().binary("add", d, prev.shape, e, prev.shape, sum, prev.shape);
    grads.set(t, new Tensor(sum, prev.shape));
    return;
  }
  // y + 1·x rounds as d[i] + e[i] does, on every backend (wasm: one float32 add, or a fused one).
  if (d instanceof Float32Array && e instanceof Float32Array) backend().axpy(1, e, d);
  else for (let i = 0; i < d.length; i++) d[i] += e[i];
}

/**
 * Reverse-mode differentiation: the gradients of `output` (a scalar unless `seed` is given) with
 * respect to each tensor of `wrt`. Tensors that `output` does not depend on get zeros.
 *
 * `into` (one entry per `wrt`, or null) offers arrays a gradient may be written into instead of a fresh
 * one: a training loop passes buffers it reuses every step, so a weight gradient lands where the
 * optimiser reads it. A returned gradient may then BE that array (overwritten by the next call).
 * With `deferred`, a dense layer's weight gradient on a few rows whose only contribution lands in an
 * offered array may be left there uncomputed, its factors in `deferred` (see `DeferredGradient`).
 *
 * @example
 * const w = Tensor.from([1, 2], { requiresGrad: true });
 * const [gw] = grad(sum(mul(w, w)), [w]);   // 2·w = [2, 4]
 */
export function grad(
  output: Tensor,
  wrt: readonly Tensor[],
  seed?: Tensor,
  into?: readonly (Data | null | undefined)[],
  deferred?: DeferredGradients,
): Tensor[] {
  let buffers: Map<Tensor, Data> | undefined;
  if (into) {
    buffers = new Map();
    wrt.forEach((t, i) => {
      const d = into[i];
      if (d && !t.node) buffers!.set(t, d);
    });
  }
  const all = gradMap(output, seed, buffers, deferred);
  return wrt.map((t) => all.get(t) ?? Tensor.zeros(t.shape, t.dtype));
}

function gradMap(
  output: Tensor,
  seed?: Tensor,
  buffers?: Map<Tensor, Data>,
  deferred?: DeferredGradients,
): Map<Tensor, Tensor> {
  if (!seed && output.size !== 1) {
    throw new ShapeError(
      `grad of a non-scalar output ${fmt(output.shape)} needs a seed gradient of the same shape`,
    );
  }
  const grads = new Map<Tensor, Tensor>();
  grads.set(output, seed ?? Tensor.full(output.shape, 1, output.dtype));
  const order = topologicalOrder(output);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const node = t.node;
    const g = grads.get(t);
    if (!node || !g) continue;
    // A primitive's gradient rule, or a fused composite's backward kernel.
    const rule: GradRule = gradients[node.op as PrimOp] ?? fusedBackward[node.op as FusedOp];
    const inputs = node.inputs.map((x) => x.detach());
    // A leaf's buffer is offered only for its first contribution; later ones are added into it in place.
    const into = buffers && node.inputs.map((x) => (grads.has(x) ? null : (buffers.get(x) ?? null)));
    const gs = rule(
      g,
      inputs,
      t.detach(),
      node.attrs,
      node.inputs.map((x) => x.requiresGrad),
      into,
      deferred,
    );
    for (let j = 0; j < node.inputs.length; j++) {
      const gi = gs[j];
      const x = node.inputs[j];
      if (gi && x.requiresGrad) accumulate(grads, x, gi.node ? gi.detach() : gi, buffers?.get(x), deferred);
    }
    if (t !== output) grads.delete(t); // free intermediate gradients as soon as they are used
  }
  return grads;
}

/**
 * Like PyTorch's `loss.backward()`: adds the gradient of `output` into `.grad` of every leaf tensor
 * (one with `requiresGrad` and no producing op) that it depends on.
 */
export function backward(output: Tensor, seed?: Tensor): void {
  const all = gradMap(output, seed);
  for (const [t, g] of all) {
    if (t.node || !t.requiresGrad) continue;
    if (!t.grad) t.grad = g;
    else {
      const d = t.grad.data.slice();
      for (let i = 0; i < d.length; i++) d[i] += g.data[i];
      t.grad = new Tensor(d, t.shape);
    }
  }
}
