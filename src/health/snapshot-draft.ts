/**
 * Rollback snapshots taken speculatively. A healthy check keeps a snapshot of the weights and the
 * optimiser state (2.4 MB for 784-256-10 with Adam); copied on its own after the check, that was its
 * largest part. Instead, the check's pass over each layer's weights for its sums of squares (the backend's
 * `stepSquares`, whose chains of dependent additions leave room) also copies the layer's weights and the
 * optimiser arrays of their length into a spare set of buffers: the draft. A healthy check keeps the draft
 * as its snapshot, copying only the rest (biases, small layers, buffers, counters); any other check leaves
 * the draft's buffers spare for the next. The snapshot a kept draft displaces becomes the spare.
 */
import type { KeepPair } from "../backend/backend.js";
import type { TrainingControl } from "../train/events.js";
import { copyInto, copyTensors, type Snapshot, type SnapshotDraft } from "./repairs.js";

/** A draft being filled: which pairs a check's passes may still copy. */
export interface OpenDraft extends SnapshotDraft {
  /** The pairs of arrays `n` floats long not copied yet; the caller copies them now. */
  claim(n: number): KeepPair[];
}

/** The spare buffers a monitor drafts its snapshots into (derived memory, not state: a checkpoint leaves them out). */
export class SnapshotDrafts {
  private spare: Snapshot | null = null;

  /** A draft into the spare buffers (made now, a full copy, where there are none). */
  begin(control: TrainingControl): OpenDraft {
    const into = this.spare ?? {
      step: control.step,
      weights: copyTensors(control.parameters, undefined),
      buffers: copyTensors(control.model.buffers(), undefined),
      optimizerState: copyInto(control.getOptimizerState(), undefined),
    };
    this.spare = into;
    const open = [
      ...control.parameters.flatMap(([, t], i): KeepPair[] => pairOf(t.data, into.weights[i])),
      ...leafPairs(control.getOptimizerState(), into.optimizerState),
    ];
    const filled = new Set<Float32Array>();
    return {
      into,
      filled,
      claim(n) {
        const mine = open.filter(([from, to]) => from.length === n && !filled.has(to));
        for (const [, to] of mine) filled.add(to);
        return mine;
      },
      kept: (dropped) => {
        this.spare = dropped;
      },
    };
  }

  /** Drop the spare buffers (the model's parameters changed shape, or a checkpoint was restored). */
  forget(): void {
    this.spare = null;
  }
}

/** [from, to] where both are Float32Arrays of one length, else none. */
function pairOf(from: unknown, to: unknown): KeepPair[] {
  return from instanceof Float32Array && to instanceof Float32Array && from.length === to.length
    ? [[from, to]]
    : [];
}

/** The Float32Arrays of `state` beside those at the same place in `into`, as `copyInto` walks them. */
function leafPairs(state: unknown, into: unknown): KeepPair[] {
  if (ArrayBuffer.isView(state)) return pairOf(state, into);
  if (Array.isArray(state))
    return state.flatMap((v, i) => leafPairs(v, Array.isArray(into) ? into[i] : undefined));
  if (state && typeof state === "object" && into && typeof into === "object")
    return Object.entries(state).flatMap(([k, v]) => leafPairs(v, (into as Record<string, unknown>)[k]));
  return [];
}
