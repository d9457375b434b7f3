/**
 * The training loop's checkpoints, on the small SGD run of unit-train-control: when they are taken,
 * every field they hold, and what a resumed run restores.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Sequential } from "../src/nn/sequential.js";
import { ReduceOnPlateau } from "../src/optim/schedules.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit, type TrainingState } from "../src/train/fit.js";
import {
  flatWeights as flat,
  loopOptions as base,
  loopData as data,
  loopModel as model,
} from "./helpers/train-loop.js";

/** Every checkpoint, cloned at once, with the weights beside it. */
function saver(
  every: number,
  m: Sequential,
): { every: number; save(s: TrainingState): void; saved: { state: TrainingState; weights: number[] }[] } {
  const saved: { state: TrainingState; weights: number[] }[] = [];
  return { every, saved, save: (state) => saved.push({ state: structuredClone(state), weights: flat(m) }) };
}

test("checkpoints come every `every` steps and once at the end, holding the loop's counters", () => {
  const m = model();
  const ck = saver(3, m);
  const control: Observer = {
    onBatchEnd: (e, c) => {
      if (e.step === 2) {
        c.scaleLearningRate(0.5);
        c.setClipNorm(7);
      }
    },
  };
  const started = performance.now();
  const h = fit(m, data, base({ epochs: 2, checkpoint: ck, metrics: ["accuracy"], observers: [control] }));
  const elapsed = (performance.now() - started) / 1000;
  const pick = ({ state: s }: { state: TrainingState }) => [
    s.step,
    s.epoch,
    s.batchIndex,
    s.samples,
    s.lrScale,
    s.clipNorm,
    s.lr,
  ];
  assert.deepEqual(ck.saved.map(pick), [
    [3, 0, 3, 12, 0.5, 7, 0.05],
    [6, 1, 3, 24, 0.5, 7, 0.05],
    [6, 2, 0, 24, 0.5, 7, 0.05],
  ]);
  const end = ck.saved[2].state;
  assert.deepEqual(end.epochs, h.epochs);
  assert.deepEqual(end.plateau, null);
  assert.equal(end.plateauFactor, 1);
  // Training time, added at each epoch's end (so not yet in the checkpoint taken before epoch 0's end):
  // growing, within the call's own wall time; the rate is samples over it.
  const times = ck.saved.map(({ state }) => state.trainSeconds);
  assert.ok(
    times[0] === 0 && 0 < times[1] && times[1] <= times[2] && times[2] <= elapsed,
    `${times} vs ${elapsed}`,
  );
  assert.equal(h.samplesPerSecond, 24 / times[2]);
  assert.ok(h.seconds >= times[2] && h.seconds <= elapsed, `${h.seconds}`);
  for (const e of h.epochs) assert.ok(e.seconds > 0 && e.seconds <= elapsed);
  assert.deepEqual(
    h.epochs.map((e) => [e.epoch, e.steps, e.lr]),
    [
      [0, 3, 0.05],
      [1, 6, 0.05],
    ],
  );
});

test("a checkpoint's order is a copy: the next epoch's shuffle leaves it as it was", () => {
  const kept: TrainingState[] = [];
  const rows: number[] = [];
  fit(
    model(),
    data,
    base({
      epochs: 2,
      checkpoint: { every: 3, save: (s) => kept.push(s) }, // kept as handed over, not cloned
      observers: [
        { onBatchEnd: (e) => rows.push(...Array.from({ length: 4 }, (_, r) => rowOf(e.batch.x, r))) },
      ],
    }),
  );
  assert.deepEqual(Array.from(kept[0].order), rows.slice(0, 12));
  assert.deepEqual(Array.from(kept[1].order), rows.slice(12, 24));
  assert.notDeepEqual(rows.slice(0, 12), rows.slice(12, 24));
});

/** Which row of `data` a gathered batch row is (its inputs are distinct). */
function rowOf(x: Tensor, r: number): number {
  for (let i = 0; i < 12; i++)
    if (data.x.data[2 * i] === x.data[2 * r] && data.x.data[2 * i + 1] === x.data[2 * r + 1]) return i;
  return -1;
}

test("a stop ends the epoch at once (its end still reported) and the run: no later epoch, no final checkpoint", () => {
  const ck = saver(100, model());
  const h = fit(
    model(),
    data,
    base({
      epochs: 3,
      checkpoint: ck,
      observers: [{ onBatchEnd: (e, c) => e.step === 2 && c.stop("enough") }],
    }),
  );
  assert.deepEqual([h.stopReason, h.steps, ck.saved.length], ["enough", 2, 0]);
  assert.deepEqual(
    h.epochs.map((e) => [e.epoch, e.steps]),
    [[0, 2]],
  );
});

/** An observer that counts its batches and keeps the count in checkpoints. */
const counter = (): Observer & { count: number } => {
  const o = {
    count: 0,
    stateKey: "counter",
    getState: () => o.count,
    setState: (s: unknown) => {
      o.count = s as number;
    },
    onBatchEnd: () => {
      o.count++;
    },
  };
  return o;
};

test("observers' states are saved under their stateKey and restored on resume; the rest are left out", () => {
  const m = model();
  const ck = saver(2, m);
  const writeOnly: Observer = { stateKey: "writeOnly", getState: () => "w" };
  fit(
    m,
    data,
    base({
      epochs: 2,
      checkpoint: ck,
      observers: [counter(), writeOnly, { stateKey: "readOnly", setState: () => {} }, {}],
    }),
  );
  assert.deepEqual(ck.saved[0].state.observers, { counter: 2, writeOnly: "w" });
  // Resume at step 2 of 6: the counter goes on from 2. An observer with a stateKey but no setState is
  // skipped, even when the checkpoint holds a state under its key.
  const resumed = counter();
  const r = model(9);
  let at = 0;
  for (const [, t] of r.parameters()) {
    t.data.set(ck.saved[0].weights.slice(at, at + t.size));
    at += t.size;
  }
  fit(r, data, base({ epochs: 2, resume: ck.saved[0].state, observers: [resumed, writeOnly] }));
  assert.equal(resumed.count, 6);
  assert.deepEqual(flat(r), ck.saved[2].weights);
});

test("resume checks the row count, and a plateau state is ignored by a run without a plateau schedule", () => {
  const m = model();
  const ck = saver(1, m);
  fit(m, data, base({ checkpoint: ck, plateau: new ReduceOnPlateau({ patience: 0 }) }));
  assert.notEqual(ck.saved[0].state.plateau, null);
  const fewer = { x: data.x, y: data.y };
  const eight = {
    x: new Tensor(fewer.x.data.slice(0, 16), [8, 2]),
    y: new Tensor(fewer.y.data.slice(0, 24), [8, 3]),
  };
  assert.throws(
    () => fit(model(), eight, base({ resume: ck.saved[0].state })),
    (e: Error) =>
      e instanceof ConfigError &&
      e.location.field === "resume" &&
      e.message === "resume: the checkpoint was taken on 12 training rows, this data has 8",
  );
  const h = fit(model(), data, base({ resume: ck.saved[0].state }));
  assert.equal(h.steps, 3);
});
