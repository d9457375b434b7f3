import assert from "node:assert/strict";
import { test } from "node:test";
import {
  type ContinualState,
  continualStreams,
  createStrategy,
  parseContinualConfig,
  runStrategy,
} from "../src/continual/index.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import type { Sequential } from "../src/nn/sequential.js";
import { type StepSeries, streamRecorder } from "../src/report/record.js";

/**
 * Exact resume of continual runs: every strategy, resumed from checkpoints written within tasks and at
 * their boundaries (through real checkpoint bytes), ends with the same accuracy matrix and the same
 * weights as the run that was never interrupted — and a recorder of every step's loss (the run record's)
 * with the same series and task boundaries.
 */
const base = {
  stream: "split",
  scenario: "class",
  tasks: 3,
  epochs: 2,
  batchSize: 16,
  trainPerTask: 96,
  testPerTask: 40,
  seed: 4,
  compareJoint: false,
};
const strategies: Record<string, unknown>[] = [
  { type: "naive" },
  { type: "joint" },
  { type: "ewc", fisherSamples: 20, lambda: 100 },
  { type: "onlineEwc", fisherSamples: 20, lambda: 100 },
  { type: "si", c: 1 },
  { type: "mas", samples: 20 },
  { type: "lwf" },
  { type: "replay", bufferSize: 50 },
  { type: "agem", memorySize: 40, referenceBatch: 16 },
  { type: "derpp", bufferSize: 50 },
  { type: "erAce", bufferSize: 50 },
];

interface Saved {
  bytes: Uint8Array;
  state: ContinualState;
}

interface Run {
  R: number[][];
  weights: number[][];
  saved: Saved[];
  recorded: { steps: StepSeries; taskEnds: number[] };
}

function run(raw: Record<string, unknown>, every: number, resume?: Saved): Run {
  const cfg = parseContinualConfig(raw);
  const { train, test } = continualStreams(cfg);
  const saved: Saved[] = [];
  let last: Sequential | null = null;
  const loaded = resume && decodeModel(resume.bytes, "ckpt");
  const recorder = streamRecorder();
  const result = runStrategy(createStrategy(cfg.strategy as never), train, test, cfg, {
    checkpoint: {
      every,
      save: (state, model) => {
        last = model;
        saved.push({
          state,
          bytes: encodeModel(model, { checkpoint: state as unknown as Record<string, unknown> }),
        });
      },
    },
    resume: loaded && { state: loaded.checkpoint as unknown as ContinualState, model: loaded.model },
    observers: [recorder],
  });
  return {
    R: result.R,
    weights: last!.parameters().map(([, t]) => Array.from(t.data)),
    saved,
    recorded: { steps: recorder.steps.series(), taskEnds: recorder.taskEnds },
  };
}

for (const strategy of strategies) {
  test(`continual resume: ${strategy.type} resumed from any checkpoint ends exactly as the uninterrupted run`, () => {
    const raw = { ...base, strategy };
    const full = run(raw, 5);
    const boundaries = full.saved.filter((s) => s.state.fit === null);
    assert.equal(boundaries.length, 3, "a checkpoint at each task's end");
    // Within each task (a checkpoint half-way through it), and at the first two boundaries.
    const within = [0, 1, 2].map((task) => {
      const inTask = full.saved.filter((s) => s.state.fit !== null && s.state.task === task);
      return inTask[Math.floor(inTask.length / 2)];
    });
    const picks = [...within, boundaries[0], boundaries[1]];
    for (const from of picks) {
      const resumed = run(raw, 5, from);
      assert.deepEqual(resumed.R, full.R, `R after resuming at step ${from.state.step}`);
      assert.deepEqual(resumed.weights, full.weights, `weights after resuming at step ${from.state.step}`);
      assert.deepEqual(
        resumed.recorded,
        full.recorded,
        `recorded steps after resuming at step ${from.state.step}`,
      );
    }
    // One entry per step (short runs are not bucketed), the last task ending on the last step.
    const { steps, taskEnds } = full.recorded;
    assert.deepEqual(
      steps.step,
      Array.from({ length: full.saved[full.saved.length - 1].state.step }, (_, i) => i + 1),
    );
    assert.equal(taskEnds.length, 3);
    assert.deepEqual(
      taskEnds,
      boundaries.map((b) => b.state.step),
      "each task ends where its boundary checkpoint was taken",
    );
  });
}

for (const type of ["replay", "derpp", "erAce"])
  test(`continual resume: a task-free ${type} run resumes exactly too`, () => {
    const raw = { ...base, scenario: "domain", taskFree: true, strategy: { type, bufferSize: 50 } };
    const full = run(raw, 7);
    assert.equal(full.R.length, 3);
    for (const from of [full.saved[2], full.saved[Math.floor(full.saved.length / 2)]]) {
      const resumed = run(raw, 7, from);
      assert.deepEqual(resumed.R, full.R);
      assert.deepEqual(resumed.weights, full.weights);
      assert.deepEqual(resumed.recorded, full.recorded);
    }
  });
