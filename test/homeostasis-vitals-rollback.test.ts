// A remedy rolled back puts the network back as it was when the remedy was switched on: a remedy that
// damages units (silences the first hidden layer), judged not to help, leaves no trace in the weights or
// the optimiser state. Before, a rollback switched the regulator off and kept what it had done to the weights.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Regulator } from "../src/homeostasis/regulator.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import { putBack, snapshotBefore } from "../src/homeostasis/vital-rollback.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { deepCopy } from "../src/tensor/plain.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer, TrainingControl } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import type { TrainingState } from "../src/train/options.js";
import { blobs } from "./helpers/health-zoo.js";

const data = () => {
  const s = blobs(320, 3, 6, 7);
  return { x: new Tensor(s.x, [s.n, 6]), y: new Tensor(s.y, [s.n, 3]) };
};
const net = () =>
  new Sequential([
    new Dense(24, { activation: "relu" }),
    new Dense(24, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(6, new Rng(5));
const opts = {
  epochs: 40,
  batchSize: 16,
  optimizer: adam({ lr: 0.01 }),
  loss: "crossEntropy" as const,
  seed: 2,
};
const small = { checkEvery: 5, window: 8, baselineStart: 4, forgettingBudget: 0 };
const weights = (c: TrainingControl) => c.parameters.map(([, t]) => Array.from(t.data));

/** Silences a layer's units at `step` (bias −100: ReLU never fires, no gradient) or at every step. */
const silence = (c: TrainingControl, bias: string): void => {
  (c.parameters.find(([n]) => n === bias)![1].data as Float32Array).fill(-100);
};
const silencer = (step: number): Observer => ({
  onBatchEnd: (e, c) => {
    if (e.step === step) silence(c, "1.bias");
  },
});
/** A remedy that damages units: it silences the first hidden layer too, at every step. */
const damage = {
  name: "damage",
  make: (): Regulator[] => [
    {
      name: "damage",
      stateKey: "damage",
      getState: () => null,
      setState: () => {},
      onBatchEnd: (_e, c) => silence(c, "0.bias"),
    },
  ],
};

test("a damaging remedy rolled back: the weights and optimiser state of the step it was switched on, bit for bit", () => {
  const loop = vitals(small, [damage]);
  const seen: { kind: string; w: number[][]; opt: unknown; previous: number[][] }[] = [];
  let previous: number[][] = [];
  // After the loop in the list: sees each step's weights once the loop (and the remedy) acted on them.
  const recorder: Observer = {
    onBatchEnd: (_e, c) => {
      const w = weights(c);
      for (const e of loop.events.slice(seen.length))
        seen.push({ kind: e.kind, w, opt: deepCopy(c.getOptimizerState()), previous });
      previous = w;
    },
  };
  fit(net(), data(), { ...opts, observers: [silencer(200), loop, recorder] });
  assert.deepEqual(
    loop.events.map((e) => e.kind),
    ["plasticityLoss", "remedyApplied", "remedyRolledBack", "remedyExhausted"],
  );
  const applied = seen.find((s) => s.kind === "remedyApplied")!;
  const back = seen.find((s) => s.kind === "remedyRolledBack")!;
  const rolledBack = loop.events[2];
  assert.equal(rolledBack.evidence.restoredTo, loop.events[1].step);
  assert.match(rolledBack.action ?? "", /put back as they were at step/);
  // The remedy did damage: the first layer's biases were at −100 the step before the verdict.
  const bias0 = 1;
  assert.ok(
    back.previous[bias0].every((b) => b === -100),
    "the remedy silenced the first hidden layer",
  );
  assert.notDeepEqual(applied.w[bias0], back.previous[bias0]);
  assert.deepEqual(back.w, applied.w, "weights put back bit for bit");
  assert.deepEqual(back.opt, applied.opt, "optimiser state put back");
  assert.deepEqual(loop.remedies, []);
});

/** A control over two parameters and an optimiser state, as a training hands one to observers. */
const fakeControl = (lengths: number[], step: number) => {
  const model = net();
  const parameters = lengths.map((n, i) => [`${i}`, new Tensor(new Float32Array(n).fill(i + 1), [n])]);
  let optimizerState: unknown = { step, m: new Float32Array(2).fill(step) };
  return {
    model: { ...model, buffers: () => [] },
    parameters,
    step,
    getOptimizerState: () => optimizerState,
    setOptimizerState: (s: unknown) => {
      optimizerState = s;
    },
  } as unknown as TrainingControl;
};

test("putBack: weights always; the optimiser state only within the same training; a grown model untouched", () => {
  const snap = snapshotBefore(fakeControl([3, 2], 10));
  const same = fakeControl([3, 2], 50);
  same.parameters[0][1].data.fill(9);
  assert.equal(putBack(snap, same, 40), "restored");
  assert.deepEqual(
    same.parameters.map(([, t]) => Array.from(t.data)),
    [
      [1, 1, 1],
      [2, 2],
    ],
  );
  assert.deepEqual(same.getOptimizerState(), { step: 10, m: new Float32Array(2).fill(10) });
  // A later fit call (a continual run's next task) counts its steps afresh and keeps its own optimiser.
  const next = fakeControl([3, 2], 7);
  next.parameters[1][1].data.fill(9);
  assert.equal(putBack(snap, next, 40), "restored");
  assert.deepEqual(Array.from(next.parameters[1][1].data), [2, 2]);
  assert.deepEqual(next.getOptimizerState(), { step: 7, m: new Float32Array(2).fill(7) });
  const grown = fakeControl([3, 3], 50);
  grown.parameters[0][1].data.fill(9);
  assert.equal(putBack(snap, grown, 40), "reshaped");
  assert.deepEqual(Array.from(grown.parameters[0][1].data), [9, 9, 9]);
  assert.equal(putBack(undefined, grown, 40), "none");
});

test("a checkpoint taken while a remedy awaits its verdict resumes to the same rollback and weights", () => {
  const make = () => [silencer(200), vitals(small, [damage])];
  const reference = net();
  const refObservers = make();
  fit(reference, data(), { ...opts, observers: refObservers });
  const loopOf = (o: Observer[]) => o[1] as ReturnType<typeof vitals>;
  const [applied, back] = loopOf(refObservers).events.slice(1, 3);
  const states: { state: TrainingState; w: Float32Array[] }[] = [];
  const saver = net();
  fit(saver, data(), {
    ...opts,
    observers: make(),
    checkpoint: {
      every: 10,
      save: (s) =>
        states.push({
          state: structuredClone(s),
          w: saver.parameters().map(([, t]) => (t.data as Float32Array).slice()),
        }),
    },
  });
  const pending = states.filter((s) => s.state.step > applied.step && s.state.step < back.step);
  assert.ok(pending.length >= 2, "checkpoints between the remedy and its verdict");
  for (const { state, w } of pending) {
    const m = net();
    m.parameters().forEach(([, t], i) => t.data.set(w[i]));
    const observers = make();
    fit(m, data(), { ...opts, observers, resume: state });
    const sameWeights = m.parameters().map(([, t]) => Array.from(t.data));
    assert.deepEqual(
      sameWeights,
      reference.parameters().map(([, t]) => Array.from(t.data)),
    );
    assert.deepEqual(loopOf(observers).events, loopOf(refObservers).events, `resumed at ${state.step}`);
  }
});
