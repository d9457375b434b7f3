/**
 * A regulator is an observer of the training loop that acts after the optimiser step (or adds a loss
 * term), keeps per-unit state that survives from task to task, and checkpoints it under its `stateKey`.
 * The built-in ones read activations and weights, never `BatchEvent.grads`, so each declines them
 * (`wantsGradients: () => false`): otherwise fit copies every gradient at every step for them.
 */
import type { Observer } from "../train/events.js";

/**
 * A homeostatic regulator: a training observer with a name and per-unit state it checkpoints under `stateKey`.
 */
export interface Regulator extends Observer {
  readonly name: string;
  readonly stateKey: string;
  getState(): unknown;
  setState(state: unknown): void;
  /** How many units it has replaced so far, for a regulator that replaces units (the run record shows it). */
  unitsReplaced?(): number;
}

/** Per-layer running statistics, created when training first begins (or restored from a checkpoint). */
export function perLayer<T>(current: T[] | null, count: number, make: (k: number) => T): T[] {
  return current && current.length === count ? current : Array.from({ length: count }, (_, k) => make(k));
}

/** Clamp x into [lo, hi]. */
export const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
