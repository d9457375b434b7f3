/**
 * Weight gradients left as the factors of their product. A dense layer's weight gradient on a batch of a
 * few rows is dzᵀ·x; a training loop whose optimiser can fuse that product into its own pass (Adam's
 * `adamOuter` kernel) asks `grad` to leave it as factors, and saves writing the gradient and reading it
 * back. Whoever reads the gradient's array first calls `materialize`, which computes the product the
 * gradient rule would have, bit for bit.
 */
import type { Data } from "../tensor/tensor.js";

/** A weight gradient g = dzᵀ·x not computed yet: dz [rows, units] and x [rows, inputs], by rows. */
export interface DeferredGradient {
  dz: Float32Array;
  x: Float32Array;
  rows: number;
  units: number;
  inputs: number;
  /** Compute g into the array it was deferred for (the gradient rule's own product, the same bits). */
  materialize(): void;
}

/** Deferred gradients by the array each will be computed into (a parameter's update buffer). */
export type DeferredGradients = Map<Data, DeferredGradient>;

/** The most rows a product is deferred for: a learner's new row and its replayed ones. */
export const DEFER_MAX_ROWS = 3;

/**
 * Compute the deferred gradient that `data` waits for, if any, and forget it.
 *
 * @example
 * settle(deferred, buffer); // buffer now holds its gradient
 */
export function settle(deferred: DeferredGradients | undefined, data: Data): void {
  const d = deferred?.get(data);
  if (!d) return;
  deferred!.delete(data);
  d.materialize();
}

/**
 * Compute every deferred gradient (in the order they were deferred) and forget them.
 *
 * @example
 * settleAll(deferred); // every update buffer holds its gradient
 */
export function settleAll(deferred: DeferredGradients | undefined): void {
  if (!deferred) return;
  for (const d of deferred.values()) d.materialize();
  deferred.clear();
}
