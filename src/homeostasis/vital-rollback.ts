/**
 * A plasticity remedy's rollback: the network as it was when the remedy was switched on. Switching a
 * regulator off is not enough — ReDo's and continual backprop's re-initialised units, and intrinsic
 * plasticity's moved gains, stay in the weights (on the bit-flipping problem, seed 5, three remedies rolled
 * back that way left every hidden unit dormant). The snapshot is plain data and travels in checkpoints.
 */
import { putTensorsBack, type Snapshot, snapshotOf } from "../health/repairs.js";
import { deepCopy } from "../tensor/plain.js";
import type { Tensor } from "../tensor/tensor.js";
import type { TrainingControl } from "../train/events.js";

/**
 * Weights, buffers and optimiser state when a remedy was switched on; `step` is the training's own step
 * count then (a continual run's restarts with each task's `fit`).
 */
export type RemedySnapshot = Snapshot;

/** The network and its optimiser now, copied. */
export function snapshotBefore(c: TrainingControl): RemedySnapshot {
  return snapshotOf(c);
}

/** What a rollback did to the network. */
export type RollbackOutcome = "restored" | "reshaped" | "none";

/**
 * Put the snapshot's weights and buffers back, and its optimiser state when still in the same training:
 * the training's step count has moved by the loop's `stepsSince` (a later `fit` call — a continual run's
 * next task — restarts its count and keeps its own optimiser state: it began afresh, and moments from an
 * earlier task would undo that). A model that has since grown (the learner's head) is left as it is: the
 * snapshot no longer fits it ("reshaped"); no snapshot (a checkpoint from before rollbacks restored
 * weights) gives "none".
 *
 * @example
 * putBack(snapshotBefore(control), control, 400); // "restored": weights, buffers, optimiser state
 */
export function putBack(
  s: RemedySnapshot | undefined,
  c: TrainingControl,
  stepsSince: number,
): RollbackOutcome {
  if (!s) return "none";
  const buffers = c.model.buffers();
  const fits = (ts: readonly [string, Tensor][], saved: Float32Array[]): boolean =>
    ts.length === saved.length && ts.every(([, t], i) => t.data.length === saved[i].length);
  if (!fits(c.parameters, s.weights) || !fits(buffers, s.buffers ?? [])) return "reshaped";
  putTensorsBack(s, c);
  if (c.step - s.step === stepsSince) c.setOptimizerState(deepCopy(s.optimizerState));
  return "restored";
}

/** The rollback event's action, in words. */
export function rollbackWords(name: string, outcome: RollbackOutcome, step: number): string {
  if (outcome === "restored")
    return `${name} switched off; the weights put back as they were at step ${step}`;
  if (outcome === "reshaped")
    return `${name} switched off; the model has grown since step ${step}, so the weights it changed stay`;
  return `${name} switched off (the weights it changed stay)`;
}
