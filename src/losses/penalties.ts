/**
 * Penalty terms a loss gains from the parameters alone: the quadratic pull towards anchor weights that
 * EWC, online EWC, SI and MAS weight by an importance, and L2-Init and plain L2-to-anchor use unweighted.
 * Here, below both the continual strategies and the homeostatic regulators that add them.
 */
import { squaredDistance } from "../autograd/fused.js";
import * as op from "../autograd/ops.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * Σ_p Σ_i importance_p,i · (θ_p,i − anchor_p,i)², times `strength`: the quadratic penalty of EWC, online
 * EWC, SI and MAS (importance null: plain L2 towards the anchor). Parameters without an anchor are left
 * out; null when none has one. Differentiable in the parameters.
 *
 * @example
 * const anchor = new Map([["0.weight", Float32Array.of(0, 0)]]);
 * quadraticPenalty([["0.weight", new Tensor(Float32Array.of(1, 2), [2])]], anchor, null, 0.5)!.data[0]; // 2.5
 */
export function quadraticPenalty(
  parameters: readonly (readonly [string, Tensor])[],
  anchor: ReadonlyMap<string, Float32Array>,
  importance: ReadonlyMap<string, Float32Array> | null,
  strength: number,
): Tensor | null {
  let total: Tensor | null = null;
  for (const [name, p] of parameters) {
    const a = anchor.get(name);
    if (!a) continue;
    const w = importance?.get(name);
    // One fused node per parameter where the backend fuses (the same bits as its primitives).
    const s = squaredDistance(p, new Tensor(a, p.shape), w ? new Tensor(w, p.shape) : null);
    total = total ? op.add(total, s) : s;
  }
  return total && op.mul(total, strength);
}
