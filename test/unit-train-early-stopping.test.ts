/**
 * earlyStopping (Keras' EarlyStopping) driven by hand-written epoch metrics, without a training loop:
 * which metric it reads, which direction counts as better and by how much, when it stops and with what
 * reason, which weights it puts back, and its state across a checkpoint.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import type { EpochEvent, Metrics, TrainingControl } from "../src/train/events.js";
import { earlyStopping, type EarlyStoppingOptions } from "../src/train/observers.js";

/** A control over a one-weight model that records stop reasons; `set` writes the weight. */
function control(): TrainingControl & { stops: string[]; set(w: number): void; weight(): number } {
  const model = new Sequential([new Dense(1, { useBias: false })]).build(1, new Rng(0));
  const parameters = model.parameters();
  const stops: string[] = [];
  return {
    model,
    parameters,
    stops,
    set: (w) => parameters[0][1].data.set([w]),
    weight: () => parameters[0][1].data[0],
    stop: (r) => stops.push(r),
    fail: (r) => stops.push(r),
    step: 0,
    scaleLearningRate: () => {},
    learningRateScale: 1,
    setClipNorm: () => {},
    getOptimizerState: () => null,
    setOptimizerState: () => {},
  };
}

const event = (epoch: number, train: Metrics, validation?: Metrics): EpochEvent => ({
  epoch,
  train,
  validation,
  lr: 0.1,
  steps: epoch + 1,
  seconds: 0,
});

/**
 * Feed epochs (the weight at each epoch's end is 10 + its index) and end the run; returns the epochs
 * it stopped at (by index), the best epoch, and the weight left at the end.
 */
function drive(
  opts: EarlyStoppingOptions,
  epochs: { train: Metrics; validation?: Metrics }[],
): { stops: string[]; stoppedAt: number[]; bestEpoch: number; weight: number } {
  const es = earlyStopping(opts);
  const c = control();
  const stoppedAt: number[] = [];
  epochs.forEach((m, i) => {
    c.set(10 + i);
    const before = c.stops.length;
    es.onEpochEnd!(event(i, m.train, m.validation), c);
    if (c.stops.length > before) stoppedAt.push(i);
  });
  es.onTrainEnd!({ epochs: [], steps: 0, samplesPerSecond: 0, seconds: 0 }, c);
  return { stops: c.stops, stoppedAt, bestEpoch: es.bestEpoch(), weight: c.weight() };
}

const losses = (...v: number[]) => v.map((loss) => ({ train: { loss } }));

test("the loss must fall to count; after `patience` epochs without a fall it stops and puts the best weights back", () => {
  const r = drive({ patience: 2 }, losses(1, 0.8, 0.9, 0.8, 0.85));
  // Best 0.8 at epoch 1; epochs 2 and 3 do not fall below it (0.8 is no fall): stop at epoch 3, and again
  // at 4 (a loop stops at the first); the weights of epoch 1 go back.
  assert.deepEqual(r.stoppedAt, [3, 4]);
  assert.equal(r.stops[0], "early stopping: loss did not improve for 2 epochs (best 0.8000 at epoch 2)");
  assert.equal(r.bestEpoch, 1);
  assert.equal(r.weight, 11);
  const named = drive({ patience: 1, monitor: "train.loss" }, losses(1, 2));
  assert.deepEqual(named.stops, [
    "early stopping: train.loss did not improve for 1 epochs (best 1.000 at epoch 1)",
  ]);
  assert.deepEqual([named.bestEpoch, named.weight], [0, 10]);
});

test("patience defaults to 5 epochs and minDelta to 0", () => {
  const r = drive({}, losses(1, 0.99, 2, 2, 2, 2, 2));
  assert.deepEqual([r.stoppedAt, r.bestEpoch], [[6], 1]);
});

test("a loss improves only by more than minDelta; an accuracy only by rising more than minDelta", () => {
  // Loss: best 1; 0.75 is exactly minDelta lower (no improvement), 0.7 is more.
  assert.equal(drive({ patience: 9, minDelta: 0.25 }, losses(1, 0.75, 0.7)).bestEpoch, 2);
  assert.equal(drive({ patience: 9, minDelta: 0.25 }, losses(1, 0.9, 1.1)).bestEpoch, 0);
  const acc = (...v: number[]) =>
    v.map((accuracy) => ({ train: { loss: 0 }, validation: { loss: 0, accuracy } }));
  // Accuracy: best 0.5; 0.75 is exactly minDelta higher (no improvement), 0.8 is more; a fall never counts.
  assert.equal(
    drive({ patience: 9, minDelta: 0.25, monitor: "validation.accuracy" }, acc(0.5, 0.75, 0.1)).bestEpoch,
    0,
  );
  assert.equal(
    drive({ patience: 9, minDelta: 0.25, monitor: "validation.accuracy" }, acc(0.5, 0.75, 0.8)).bestEpoch,
    2,
  );
  assert.equal(drive({ patience: 9, monitor: "validation.accuracy" }, acc(0.5, 0.6, 0.55)).bestEpoch, 1);
});

test("without a monitor it reads the validation loss when there is one, else the training loss", () => {
  const both = [
    { train: { loss: 3 }, validation: { loss: 1 } },
    { train: { loss: 1 }, validation: { loss: 2 } },
  ];
  assert.equal(drive({ patience: 9 }, both).bestEpoch, 0);
  assert.equal(drive({ patience: 9, monitor: "train.loss" }, both).bestEpoch, 1);
  assert.equal(drive({ patience: 9 }, losses(3, 1)).bestEpoch, 1);
});

test("a monitored metric the run does not compute is a clear error", () => {
  for (const monitor of ["validation.loss", "train.accuracy"])
    assert.throws(
      () => drive({ monitor }, losses(1)),
      (e: Error) => e.message === `earlyStopping: metric "${monitor}" is not computed in this run`,
    );
});

test("restoreBestWeights false keeps no copy and leaves the last weights", () => {
  const es = earlyStopping({ restoreBestWeights: false });
  const c = control();
  c.set(3);
  es.onEpochEnd!(event(0, { loss: 1 }), c);
  assert.deepEqual(es.getState!(), { best: 1, bestEpoch: 0, wait: 0, bestWeights: null });
  c.set(4);
  es.onTrainEnd!({ epochs: [], steps: 0, samplesPerSecond: 0, seconds: 0 }, c);
  assert.equal(c.weight(), 4);
});

test("before any epoch there is no best epoch and nothing to put back", () => {
  const es = earlyStopping();
  assert.equal(es.bestEpoch(), -1);
  const c = control();
  c.set(5);
  es.onTrainEnd!({ epochs: [], steps: 0, samplesPerSecond: 0, seconds: 0 }, c);
  assert.equal(c.weight(), 5);
});

test("it reads epoch metrics only, so it declines every step's gradients", () => {
  const es = earlyStopping();
  assert.deepEqual([es.wantsGradients!(0), es.wantsGradients!(1e9)], [false, false]);
});

test("its state (best, best epoch, wait, best weights) carries a run across a checkpoint", () => {
  const es = earlyStopping({ patience: 2 });
  assert.equal(es.stateKey, "earlyStopping");
  const c = control();
  c.set(7);
  es.onEpochEnd!(event(0, { loss: 1 }), c);
  c.set(8);
  es.onEpochEnd!(event(1, { loss: 2 }), c);
  const state = structuredClone(es.getState!());
  assert.deepEqual(state, { best: 1, bestEpoch: 0, wait: 1, bestWeights: [Float32Array.from([7])] });
  const resumed = earlyStopping({ patience: 2 });
  resumed.setState!(state);
  assert.equal(resumed.bestEpoch(), 0);
  c.set(9);
  resumed.onEpochEnd!(event(2, { loss: 3 }), c); // the second epoch without improvement: stop
  assert.equal(c.stops.length, 1);
  resumed.onTrainEnd!({ epochs: [], steps: 0, samplesPerSecond: 0, seconds: 0 }, c);
  assert.equal(c.weight(), 7);
});
