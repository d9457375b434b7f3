/**
 * The health monitor's repair actions as events: each one's kind, evidence, words and what it did to
 * the training loop, over a recording stand-in for the loop's controls.
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  CLIP_HEADROOM,
  clipAt,
  type RepairContext,
  rollback,
  rollbackAndCut,
  scaleLearningRate,
} from "../src/health/actions.js";
import { noSnapshots, type SnapshotState } from "../src/health/repairs.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { TrainingControl } from "../src/train/events.js";

/** A loop's controls that record what a repair asked of them; one parameter of three weights. */
function controls() {
  const weight = new Tensor(Float32Array.from([9, 9, 9]), [3]);
  const asked = { scale: 1, clip: null as number | null, optimizerState: undefined as unknown };
  const control = {
    parameters: [["0.weight", weight]],
    scaleLearningRate: (f: number) => {
      asked.scale *= f;
    },
    get learningRateScale() {
      return asked.scale;
    },
    setClipNorm: (n: number | null) => {
      asked.clip = n;
    },
    setOptimizerState: (s: unknown) => {
      asked.optimizerState = s;
    },
  } as unknown as TrainingControl;
  return { control, weight, asked };
}

const context = (control: TrainingControl, snapshots: SnapshotState): RepairContext =>
  ({ control, step: 42, batch: undefined, state: { snapshots }, layers: [] }) as unknown as RepairContext;

test("rollback puts the older snapshot's weights and optimiser state back and says to which step; nothing without one", () => {
  const { control, weight, asked } = controls();
  assert.deepEqual(rollback(context(control, noSnapshots())), []);
  assert.deepEqual([...weight.data], [9, 9, 9], "no snapshot: weights untouched");
  const snapshots: SnapshotState = {
    older: { step: 30, weights: [Float32Array.from([1, 2, 3])], optimizerState: { t: 7 } },
    newer: { step: 40, weights: [Float32Array.from([4, 5, 6])], optimizerState: { t: 8 } },
    same: false,
  } as SnapshotState;
  assert.deepEqual(rollback(context(control, snapshots)), [
    {
      step: 42,
      kind: "rollback",
      evidence: { toStep: 30 },
      diagnosis: "weights and optimiser state put back to step 30, the last healthy snapshot",
      action: "rolled back",
      repaired: true,
    },
  ]);
  assert.deepEqual([...weight.data], [1, 2, 3]);
  assert.deepEqual(asked.optimizerState, { t: 7 });
  // The newer snapshot (taken after the older, perhaps already unhealthy) is dropped.
  assert.deepEqual([snapshots.newer, snapshots.same], [null, true]);
});

test("scaleLearningRate: a factor below 1 is a cut, above 1 a raise; the event gives the factor and the scale now", () => {
  const { control, asked } = controls();
  const ctx = context(control, noSnapshots());
  assert.deepEqual(scaleLearningRate(ctx, 0.5), {
    step: 42,
    kind: "learningRateCut",
    evidence: { factor: 0.5, scale: 0.5 },
    diagnosis: "learning rate multiplied by 0.5 (now 0.500× the configured schedule)",
    action: "cut the learning rate",
    repaired: true,
  });
  const raise = scaleLearningRate(ctx, 4);
  assert.deepEqual(
    [raise.kind, raise.evidence, raise.diagnosis, raise.action],
    [
      "learningRateRaise",
      { factor: 4, scale: 2 },
      "learning rate multiplied by 4 (now 2.00× the configured schedule)",
      "raised the learning rate",
    ],
  );
  assert.equal(scaleLearningRate(ctx, 1).kind, "learningRateRaise", "1 is no cut");
  assert.equal(asked.scale, 2);
  // Rollback and cut: the rollback's event (none here: no snapshot), then the cut's.
  assert.deepEqual(
    rollbackAndCut(ctx, 0.1).map((e) => [e.kind, e.evidence]),
    [["learningRateCut", { factor: 0.1, scale: 2 * 0.1 }]],
  );
});

test("clipAt turns clipping on at the threshold and says so", () => {
  const { control, asked } = controls();
  assert.deepEqual(clipAt(control, 7, 12.3456), {
    step: 7,
    kind: "gradientClipping",
    evidence: { maxNorm: 12.3456 },
    diagnosis: `global-norm gradient clipping turned on at 12.3 (${CLIP_HEADROOM}× the typical gradient norm)`,
    action: "clipping on",
    repaired: true,
  });
  assert.equal(asked.clip, 12.3456);
  assert.equal(CLIP_HEADROOM, 5);
});
