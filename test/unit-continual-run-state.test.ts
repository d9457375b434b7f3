/**
 * What runStrategy hands to the pieces it runs and what it keeps for them: the strategy's own rng
 * stream and context, the regulators' and observers' checkpointed state (and only theirs), the step
 * count and times carried over a resume, the online record's probes and replaced-unit counts, and the
 * refusals of the task-free protocol (message and field).
 */
import assert from "node:assert/strict";
import test from "node:test";
import { defineKind } from "../src/config/registry.js";
import {
  buildContinualModel,
  type ContinualState,
  naive,
  runStrategy,
  type TaskContext,
} from "../src/continual/index.js";
import type { Strategy } from "../src/continual/strategy.js";
import { balanceMeasures } from "../src/homeostasis/balance.js";
import { type Regulator, regulators } from "../src/homeostasis/index.js";
import type { Sequential } from "../src/nn/sequential.js";
import { ConfigError, type HomeostatError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { rowSlice } from "../src/train/evaluate.js";
import type { Observer } from "../src/train/events.js";
import { tinyStream } from "./helpers/continual.js";
import { settings, streamOf } from "./helpers/continual-run.js";

const TRAIN = streamOf(40, 1);
const TEST = streamOf(24, 2);
// Steps per task at batch 4 over 2 epochs (the runner test derives the same counts).
const STEPS = TRAIN.tasks.map((t) => 2 * Math.ceil(t.labels.length / 4));

/** Counts optimiser steps; checkpoints the count under its key, and says so when it is restored. */
function stepCounter(stateKey: string | undefined, withState = true) {
  const c = {
    steps: 0,
    restored: [] as unknown[],
    observer: {
      stateKey,
      onBatchEnd: () => {
        c.steps++;
      },
    } as Observer,
  };
  if (withState) {
    c.observer.getState = () => ({ steps: c.steps });
    c.observer.setState = (s) => {
      c.restored.push(s);
      c.steps = (s as { steps: number }).steps;
    };
  }
  return c;
}

/** Regulators that count steps; "countedReplacing" reports its count as units replaced. */
const made: { name: string; steps: number; restored: unknown[] }[] = [];
const counting = (name: string, replaces: boolean) =>
  defineKind({
    name,
    doc: "Counts optimiser steps (a test's regulator).",
    options: {},
    create: (): Regulator => {
      const c = { name, steps: 0, restored: [] as unknown[] };
      made.push(c);
      return {
        name,
        stateKey: `${name}Key`,
        getState: () => ({ steps: c.steps }),
        setState: (s) => {
          c.restored.push(s);
          c.steps = (s as { steps: number }).steps;
        },
        onBatchEnd: () => {
          c.steps++;
        },
        ...(replaces ? { unitsReplaced: () => c.steps } : {}),
      };
    },
  });
regulators.register(counting("countedReplacing", true));
regulators.register(counting("countedOnly", false));
const HOMEOSTASIS = [
  { type: "countedReplacing", options: {} },
  { type: "countedOnly", options: {} },
];

test("the strategy gets its own rng, forked as 'strategy <name>', a task-bound context, and its observer in fit", () => {
  const cfg = settings();
  const seen: { draw: number; taskFree: boolean; index: number }[] = [];
  let batches = 0;
  const probe: Strategy = {
    name: "probe",
    onTaskStart: (ctx: TaskContext) =>
      seen.push({ draw: ctx.rng.next(), taskFree: ctx.taskFree, index: ctx.taskIndex }),
    observer: () => ({
      onBatchEnd: () => {
        batches++;
      },
    }),
  };
  runStrategy(probe, TRAIN, TEST, cfg);
  const rng = new Rng(cfg.seed).fork("strategy probe");
  assert.deepEqual(seen, [
    { draw: rng.next(), taskFree: false, index: 0 },
    { draw: rng.next(), taskFree: false, index: 1 },
  ]);
  assert.equal(batches, STEPS[0] + STEPS[1]);
});

test("checkpoints keep each regulator's state and each observer's that has a key and getState; a resume restores them", () => {
  const cfg = settings({ homeostasis: HOMEOSTASIS });
  made.length = 0;
  const keyed = stepCounter("keyed");
  const unkeyed = stepCounter(undefined);
  const stateless = stepCounter("stateless", false);
  const saved: { state: ContinualState; w: number[][] }[] = [];
  let finalModel: Sequential | undefined;
  const whole = runStrategy(naive(), TRAIN, TEST, cfg, {
    observers: [keyed.observer, unkeyed.observer, stateless.observer],
    checkpoint: {
      every: 5,
      save: (s, m) => {
        saved.push({ state: structuredClone(s), w: m.parameters().map(([, t]) => Array.from(t.data)) });
        finalModel = m;
      },
    },
  });
  assert.ok(finalModel);
  const total = STEPS[0] + STEPS[1];
  assert.deepEqual(
    made.map((r) => r.steps),
    [total, total],
  );
  const mid = saved.find((s) => s.state.task === 1 && s.state.fit !== null)!;
  const at = mid.state.step; // steps over the whole stream
  assert.equal(at, STEPS[0] + (mid.state.fit?.step ?? 0));
  assert.deepEqual(mid.state.regulators, {
    countedReplacingKey: { steps: at },
    countedOnlyKey: { steps: at },
  });
  assert.deepEqual(mid.state.observers, { keyed: { steps: at } });

  // Resume from the end of task 0 (fit restores nothing there) with fresh regulators and observers, one
  // regulator's state left out of the checkpoint.
  const endIndex = saved.findIndex((s) => s.state.task === 1 && s.state.fit === null);
  const end = saved[endIndex];
  assert.equal(end.state.step, STEPS[0]);
  made.length = 0;
  const state = structuredClone(end.state);
  delete (state.regulators as Record<string, unknown>).countedOnlyKey;
  state.wallSeconds = 1000;
  state.evalSeconds = 500;
  const model = buildContinualModel(cfg, TRAIN);
  model.parameters().forEach(([, t], k) => t.data.set(end.w[k]));
  const [keyed2, unkeyed2] = [stepCounter("keyed"), stepCounter(undefined)];
  const later: ContinualState[] = [];
  const before = performance.now();
  const again = runStrategy(naive(), TRAIN, TEST, cfg, {
    resume: { state, model },
    observers: [keyed2.observer, unkeyed2.observer],
    checkpoint: { every: 5, save: (s) => later.push(structuredClone(s)) },
  });
  const outside = (performance.now() - before) / 1000;
  assert.deepEqual(again.R, whole.R);
  assert.deepEqual(made[0].restored, [{ steps: STEPS[0] }]);
  assert.deepEqual(made[1].restored, [], "no state saved for it: left as created");
  assert.deepEqual(
    made.map((r) => r.steps),
    [total, STEPS[1]],
  );
  assert.deepEqual(keyed2.restored, [{ steps: STEPS[0] }]);
  assert.equal(keyed2.steps, total);
  assert.deepEqual(unkeyed2.restored, []);
  // The step count goes on from the checkpoint's: the resumed run's checkpoints are the whole run's later ones.
  assert.deepEqual(
    later.map((s) => [s.task, s.step, s.fit?.step]),
    saved.slice(endIndex + 1).map((s) => [s.state.task, s.state.step, s.state.fit?.step]),
  );
  // Times go on from the checkpoint's too; what the resumed run adds is at most the time spent in it.
  assert.ok(again.evalSeconds >= 500 && again.evalSeconds - 500 <= outside, `eval ${again.evalSeconds}`);
  assert.ok(again.wallSeconds >= 1000 && again.wallSeconds - 1000 <= outside, `wall ${again.wallSeconds}`);
});

/** A strategy that logs its task starts and ends; its state is the log, unless `stateless`. */
function logging(stateless = false) {
  const log = { started: [] as number[], ended: [] as number[], restored: [] as unknown[] };
  const strategy: Strategy = {
    name: "logging",
    onTaskStart: (ctx) => log.started.push(ctx.taskIndex),
    onTaskEnd: (ctx) => log.ended.push(ctx.taskIndex),
    getState: () => (stateless ? undefined : { ended: [...log.ended] }),
    setState: (s) => {
      log.restored.push(s);
      if (s) log.ended = [...(s as { ended: number[] }).ended];
    },
  };
  return { log, strategy };
}

test("a resume gives the strategy back its checkpointed state (none when it kept none) and restarts no task begun", () => {
  const cfg = settings();
  const states: ContinualState[] = [];
  const whole = logging();
  runStrategy(whole.strategy, TRAIN, TEST, cfg, {
    checkpoint: { every: 5, save: (s) => states.push(structuredClone(s)) },
  });
  assert.deepEqual(whole.log, { started: [0, 1], ended: [0, 1], restored: [] });
  const model = buildContinualModel(cfg, TRAIN);
  for (const state of [
    states.find((s) => s.task === 1 && s.fit === null)!,
    states.find((s) => s.task === 1 && s.fit !== null)!,
  ]) {
    const again = logging();
    runStrategy(again.strategy, TRAIN, TEST, cfg, { resume: { state: structuredClone(state), model } });
    assert.deepEqual(again.log.restored, [{ ended: [0] }]);
    assert.deepEqual(again.log.ended, [0, 1]);
    assert.deepEqual(
      again.log.started,
      state.fit === null ? [1] : [],
      "a task resumed within is not started again",
    );
  }
  const none: ContinualState[] = [];
  runStrategy(logging(true).strategy, TRAIN, TEST, cfg, {
    checkpoint: { every: 1000, save: (s) => none.push(s) },
  });
  assert.equal(none[0].strategy, null);
  const again = logging(true);
  runStrategy(again.strategy, TRAIN, TEST, cfg, { resume: { state: none[0], model } });
  assert.deepEqual(again.log.restored, [], "nothing to restore");
});

test("a fresh run's training and evaluation seconds together are at most the time spent in the call", () => {
  const before = performance.now();
  const run = runStrategy(naive(), TRAIN, TEST, settings());
  const outside = (performance.now() - before) / 1000;
  assert.ok(run.wallSeconds >= 0 && run.evalSeconds > 0, `${run.wallSeconds}, ${run.evalSeconds}`);
  assert.ok(
    run.wallSeconds + run.evalSeconds <= outside,
    `${run.wallSeconds} + ${run.evalSeconds} vs ${outside}`,
  );
});

test("online record: balance probed on the first probeRows rows before each task and after the last; units replaced per regulator", () => {
  const cfg = { ...settings({ homeostasis: HOMEOSTASIS }), online: true, probeRows: 3 };
  made.length = 0;
  let model: Sequential | undefined;
  const run = runStrategy(naive(), TRAIN, TEST, cfg, {
    checkpoint: { every: 1000, save: (_s, m) => (model = m) },
  });
  const rows = (t: number) => rowSlice(TRAIN.tasks[t].x, 0, 3);
  const initial = buildContinualModel(cfg, TRAIN);
  assert.deepEqual(run.online?.balance[0], balanceMeasures(initial, rows(0)));
  assert.ok(model);
  assert.deepEqual(
    run.online?.balance[2],
    balanceMeasures(model, rows(1)),
    "after the last task, on its rows",
  );
  assert.equal(run.online?.balance.length, 3);
  // Only a regulator that replaces units is counted, under its name.
  assert.deepEqual(run.online?.regulators, { countedReplacing: STEPS[0] + STEPS[1] });
  // Without probeRows, up to 500 rows: all of a small task's.
  const all = runStrategy(naive(), TRAIN, TEST, { ...settings(), online: true });
  assert.deepEqual(all.online?.balance[0], balanceMeasures(initial, TRAIN.tasks[0].x));
});

test("task-free refusals name their field: a strategy that needs boundaries, a task-incremental stream, online or homeostasis", () => {
  const cfg = settings({ taskFree: true });
  const refused = (run: () => unknown, field: string) =>
    assert.throws(run, (e: HomeostatError) => e instanceof ConfigError && e.location.field === field);
  refused(() => runStrategy({ name: "bounded" }, TRAIN, TEST, cfg), "strategy");
  const taskStream = tinyStream("task", 4, [
    { x: [[0, 1]], labels: [0], classes: [0, 1] },
    { x: [[1, 0]], labels: [2], classes: [2, 3] },
  ]);
  refused(() => runStrategy(naive(), taskStream, taskStream, cfg), "scenario");
  refused(() => runStrategy(naive(), TRAIN, TEST, { ...cfg, online: true }), "taskFree");
  refused(() => runStrategy(naive(), TRAIN, TEST, { ...cfg, homeostasis: HOMEOSTASIS }), "taskFree");
});

test("buildContinualModel: the config's hidden layers, then a softmax layer as wide as the stream; a bad layer is named", () => {
  const model = buildContinualModel(settings(), TRAIN);
  const out = model.forward(rowSlice(TRAIN.tasks[0].x, 0, 2));
  assert.deepEqual(out.shape, [2, 4]);
  for (let r = 0; r < 2; r++) {
    const row = Array.from(out.data.slice(r * 4, r * 4 + 4));
    assert.ok(
      Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-6 && row.every((p) => p > 0),
      `row ${r}: ${row}`,
    );
  }
  assert.throws(
    () =>
      buildContinualModel(
        { ...settings(), layers: [{ type: "dense", units: 3 }, { type: "nope" }] } as never,
        TRAIN,
      ),
    /model\.layers\[1\]/,
  );
});

test("resumed within a task: observers get back only the state saved under their key, and only if they take one; steps go on", () => {
  const cfg = settings();
  const saved: { state: ContinualState; w: number[][] }[] = [];
  runStrategy(naive(), TRAIN, TEST, cfg, {
    observers: [stepCounter("keyed").observer],
    checkpoint: {
      every: 5,
      save: (s, m) =>
        saved.push({ state: structuredClone(s), w: m.parameters().map(([, t]) => Array.from(t.data)) }),
    },
  });
  const midIndex = saved.findIndex((s) => s.state.task === 1 && s.state.fit !== null);
  const mid = saved[midIndex];
  const resumeFrom = (state: ContinualState, observers: Observer[]) => {
    const model = buildContinualModel(cfg, TRAIN);
    model.parameters().forEach(([, t], k) => t.data.set(mid.w[k]));
    const later: ContinualState[] = [];
    runStrategy(naive(), TRAIN, TEST, cfg, {
      resume: { state, model },
      observers,
      checkpoint: { every: 5, save: (s) => later.push(structuredClone(s)) },
    });
    return later;
  };
  // A checkpoint that also holds state for "stateless", whose observer now takes none.
  const state = structuredClone(mid.state);
  (state.observers as Record<string, unknown>).stateless = { steps: 1 };
  const [keyed, absent, stateless] = [
    stepCounter("keyed"),
    stepCounter("absent"),
    stepCounter("stateless", false),
  ];
  const later = resumeFrom(state, [keyed.observer, absent.observer, stateless.observer]);
  // Within a task fit restores its observers' state too, so the saved count may come back more than once.
  assert.ok(keyed.restored.length > 0, "restored");
  for (const r of keyed.restored) assert.deepEqual(r, { steps: mid.state.step });
  assert.deepEqual(absent.restored, [], "nothing saved under its key");
  // The step count goes on from the checkpoint's, within the task as at its end.
  assert.deepEqual(
    later.map((s) => [s.task, s.step, s.fit?.step]),
    saved.slice(midIndex + 1).map((s) => [s.state.task, s.state.step, s.state.fit?.step]),
  );
  // A checkpoint written before the runner kept observers' state (no `observers`) is resumed without
  // error; within a task, fit's own state still brings the count back.
  const older = structuredClone(mid.state);
  delete (older as { observers?: unknown }).observers;
  const [keyedAgain, unkeyed] = [stepCounter("keyed"), stepCounter(undefined)];
  resumeFrom(older, [keyedAgain.observer, unkeyed.observer]);
  for (const r of keyedAgain.restored) assert.deepEqual(r, { steps: mid.state.step });
  assert.deepEqual(unkeyed.restored, []);
});
