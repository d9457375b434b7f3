/**
 * Listening to a learner as it learns — a flight recorder's trace, a dashboard — without being part of
 * it: listeners see each row's score and each optimiser step, change nothing, and are not saved.
 */
import type { BatchEvent, Observer } from "../train/events.js";

/** What `Learner.listen` calls: every scored row, every step's gradients, every step (all optional). */
export interface LearnerListener {
  /** A labelled row was scored before learning: whether the prediction was right, and its loss. */
  scored?(hit: boolean, loss: number): void;
  /** A step's raw gradients, before clipping and before the optimiser (read only, during the call). */
  gradients?(grads: ReadonlyMap<string, Float32Array>): void;
  /** A step was taken (read before the health monitor's repairs of that step run). */
  step?(event: BatchEvent): void;
}

/**
 * The training observer that hands every step to `listeners` (the list is read at each call, so a
 * listener added later is heard from its next step on). It declines copies of the gradients: the
 * live arrays reach `gradients` without one.
 *
 * @example
 * const relay = relayTo(listeners); // first among a run's observers
 */
export function relayTo(listeners: readonly LearnerListener[]): Observer {
  return {
    wantsGradients: () => false,
    readsGradients: () => listeners.some((l) => l.gradients),
    onGradients: (grads) => {
      for (const l of listeners) l.gradients?.(grads);
    },
    onBatchEnd: (e) => {
      for (const l of listeners) l.step?.(e);
    },
  };
}
