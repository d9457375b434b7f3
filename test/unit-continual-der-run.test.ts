/**
 * DER++ and ER-ACE on a short class-incremental split of the digits (2 tasks): both remember the first
 * task where naive fine-tuning forgets it, with and without task boundaries.
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  continualMeasures,
  continualStreams,
  createStrategy,
  parseContinualConfig,
  runStrategy,
} from "../src/continual/index.js";

function accuracy(strategy: Record<string, unknown>, taskFree: boolean): { acc: number; first: number } {
  const cfg = parseContinualConfig({
    stream: "split",
    scenario: "class",
    tasks: 2,
    epochs: 3,
    batchSize: 16,
    trainPerTask: 200,
    testPerTask: 100,
    seed: 1,
    compareJoint: false,
    taskFree,
    strategy,
  });
  const { train, test: testStream } = continualStreams(cfg);
  const run = runStrategy(createStrategy(cfg.strategy as never), train, testStream, cfg);
  return { acc: continualMeasures(run.R, run.b).ACC, first: run.R[1][0] };
}

for (const taskFree of [false, true]) {
  test(`derpp and erAce beat naive on a 2-task class-incremental split${taskFree ? ", task-free" : ""}`, () => {
    const naive = accuracy({ type: "naive" }, taskFree);
    // Naive forgets the first task's classes outright: the new head wins every row.
    assert.ok(naive.first < 0.1, `naive keeps ${naive.first} of task 0`);
    for (const type of ["derpp", "erAce"]) {
      const { acc, first } = accuracy({ type, bufferSize: 100 }, taskFree);
      assert.ok(first > 0.4, `${type} keeps ${first} of task 0`);
      assert.ok(acc > naive.acc + 0.2, `${type} ACC ${acc} vs naive ${naive.acc}`);
    }
  });
}
