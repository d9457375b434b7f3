/**
 * runContinual and continualStreams on a tiny 4-class data set: the strategy's run, the joint reference,
 * the measures of both, the online protocol's placeholders, and evaluation on a validation split.
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  type ContinualConfig,
  continualMeasures,
  continualStreams,
  joint,
  naive,
  runContinual,
  runStrategy,
} from "../src/continual/index.js";
import { type Dataset, validationSplit } from "../src/data/dataset.js";
import { dataset, settings } from "./helpers/continual-run.js";

test("runContinual: the strategy, the joint reference, and the measures of both from the config's data", () => {
  const data = { train: dataset(40, 1), test: dataset(24, 2) };
  const cfg: ContinualConfig = {
    ...settings(),
    stream: "split",
    scenario: "class",
    tasks: 2,
    strategy: { type: "naive", options: {} },
    homeostasis: [],
    online: false,
    probeRows: 10,
    compareJoint: true,
    evaluateOn: "test",
    validationFraction: 0.25,
    trainPerTask: 12,
    data,
  };
  const { train, test } = continualStreams(cfg);
  assert.deepEqual(
    train.tasks.map((t) => t.labels.length),
    [12, 12],
  );
  assert.ok(test.tasks.every((t) => t.labels.length < 24));
  const mine = runStrategy(naive(), train, test, cfg);
  const upper = runStrategy(joint(), train, test, cfg);
  const result = runContinual(cfg);
  assert.equal(result.strategy, "naive");
  assert.deepEqual([result.stream, result.scenario, result.taskFree], ["split", "class", false]);
  assert.deepEqual(result.taskNames, ["0/1", "2/3"]);
  assert.deepEqual(result.R, mine.R);
  assert.deepEqual(result.b, mine.b);
  const measures = continualMeasures(mine.R, mine.b, upper.R);
  assert.equal(result.ACC, measures.ACC);
  assert.equal(result.BWT, measures.BWT);
  assert.equal(result.FWT, measures.FWT);
  assert.deepEqual(result.forgetting, measures.forgetting);
  assert.equal(result.intransigence, measures.intransigence);
  assert.deepEqual(result.joint?.R, upper.R);
  assert.equal(result.joint?.ACC, continualMeasures(upper.R, upper.b).ACC);
  assert.ok((result.joint?.wallSeconds ?? -1) >= 0);
  // No joint run without compareJoint or on a task-free stream; a joint strategy is its own reference.
  assert.equal(runContinual({ ...cfg, compareJoint: false }).joint, undefined);
  assert.equal(runContinual({ ...cfg, compareJoint: false }).intransigence, null);
  assert.equal(runContinual({ ...cfg, taskFree: true }).joint, undefined);
  const own = runContinual({ ...cfg, strategy: { type: "joint", options: {} } });
  assert.deepEqual(own.joint?.R, own.R);
  assert.equal(own.intransigence, 0);
  // A user's strategy factory.
  assert.equal(
    runContinual({ ...cfg, compareJoint: false, strategy: () => ({ name: "mine" }) }).strategy,
    "mine",
  );
  // Online: no R-based measures, no joint.
  const online = runContinual({ ...cfg, online: true });
  assert.deepEqual(
    [online.ACC, online.BWT, online.FWT, online.intransigence, online.perTaskIntransigence],
    [NaN, NaN, NaN, null, null],
  );
  assert.deepEqual(online.forgetting, {
    maxOverEarlier: NaN,
    justTrainedMinusLast: NaN,
    perTaskMaxOverEarlier: [],
    perTaskJustTrainedMinusLast: [],
  });
  assert.equal(online.joint, undefined);
  assert.equal(online.online?.accuracy.length, 2);
});

test("evaluateOn validation: measured on the last validationFraction of the training rows, trained on the rest", () => {
  const data = { train: dataset(40, 1), test: dataset(24, 2) };
  const cfg = {
    ...settings(),
    stream: "split" as const,
    scenario: "class" as const,
    tasks: 2,
    evaluateOn: "validation" as const,
    validationFraction: 0.25,
    data,
  } as ContinualConfig;
  const { train, test } = continualStreams(cfg);
  const split = validationSplit(data.train, 0.25);
  const count = (ds: Dataset, a: number, b: number) =>
    Array.from(ds.labels!).filter((l) => l === a || l === b).length;
  assert.deepEqual(
    train.tasks.map((t) => t.labels.length),
    [count(split.train, 0, 1), count(split.train, 2, 3)],
  );
  assert.deepEqual(
    test.tasks.map((t) => t.labels.length),
    [count(split.validation, 0, 1), count(split.validation, 2, 3)],
  );
  assert.deepEqual(Array.from(test.tasks[0].x.data), Array.from(gatherRows(split.validation, [0, 1])));
  const plain = continualStreams({ ...cfg, evaluateOn: "test" });
  assert.deepEqual(
    plain.test.tasks.map((t) => t.labels.length),
    [count(data.test, 0, 1), count(data.test, 2, 3)],
  );
});

function gatherRows(ds: Dataset, classes: number[]): Float32Array {
  const out: number[] = [];
  for (let i = 0; i < ds.n; i++) if (classes.includes(ds.labels![i])) out.push(ds.x[2 * i], ds.x[2 * i + 1]);
  return Float32Array.from(out);
}
