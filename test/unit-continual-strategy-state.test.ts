/**
 * Every built-in strategy, two ways its glue can break without its update rule breaking: a checkpoint's
 * state handed to a fresh instance must continue the run bit for bit (at a task's end and within a task),
 * and a factory called without options must behave as with its documented defaults spelled out.
 */
import assert from "node:assert/strict";
import test from "node:test";
import {
  agem,
  buildContinualModel,
  type ContinualState,
  createStrategy,
  ewc,
  joint,
  lwf,
  mas,
  naive,
  onlineEwc,
  replay,
  runStrategy,
  si,
  strategies,
} from "../src/continual/index.js";
import { derpp, erAce } from "../src/continual/strategies/index.js";
import type { Strategy } from "../src/continual/strategy.js";
import type { Sequential } from "../src/nn/sequential.js";
import { settings, streamOf } from "./helpers/continual-run.js";

const TRAIN = streamOf(40, 1);
const TEST = streamOf(24, 2);
const weights = (m: Sequential): number[][] => m.parameters().map(([, t]) => Array.from(t.data));

/** Small memories and samples, so that every strategy's state is exercised on 40 rows. */
const OPTIONS: Record<string, Record<string, number>> = {
  ewc: { lambda: 50, fisherSamples: 6 },
  onlineEwc: { lambda: 50, fisherSamples: 6, gamma: 0.5 },
  si: { c: 5 },
  mas: { lambda: 5, samples: 6 },
  lwf: { lambda: 2 },
  replay: { bufferSize: 5, replayBatch: 3 },
  agem: { memorySize: 6, referenceBatch: 3 },
  derpp: { bufferSize: 5, replayBatch: 3 },
  erAce: { bufferSize: 5, replayBatch: 3 },
};

/** The run's final weights and R, and every checkpoint it saved (state and weights). */
function runOf(name: string, resume?: { state: ContinualState; w: number[][] }) {
  const cfg = settings();
  const saved: { state: ContinualState; w: number[][] }[] = [];
  let last: number[][] = [];
  let model: Sequential | undefined;
  if (resume) {
    model = buildContinualModel(cfg, TRAIN);
    model.parameters().forEach(([, t], k) => t.data.set(resume.w[k]));
  }
  const run = runStrategy(createStrategy({ type: name, options: OPTIONS[name] ?? {} }), TRAIN, TEST, cfg, {
    resume: resume && model ? { state: structuredClone(resume.state), model } : undefined,
    checkpoint: {
      every: 3,
      save: (s, m) => {
        const w = weights(m);
        saved.push({ state: structuredClone(s), w });
        last = w;
      },
    },
  });
  return { R: run.R, last, saved };
}

for (const name of strategies.names().filter((n) => n in OPTIONS || n === "naive" || n === "joint")) {
  test(`${name}: resumed at task 0's end or in either epoch of task 1, a fresh instance ends bit for bit as the whole run`, () => {
    const whole = runOf(name);
    const atEnd = whole.saved.find((s) => s.state.task === 1 && s.state.fit === null)!;
    // Task 1 is 8 steps in 2 epochs: checkpoints at its steps 3 (first epoch) and 6 (second).
    const within = whole.saved.filter(
      (s) => s.state.task === 1 && s.state.fit !== null && s.state.fit.step < 8,
    );
    assert.deepEqual(
      within.map((s) => s.state.fit?.step),
      [3, 6],
    );
    for (const from of [atEnd, ...within]) {
      const again = runOf(name, from);
      assert.deepEqual(again.last, whole.last, `from step ${from.state.step}: final weights`);
      assert.deepEqual(again.R, whole.R);
    }
  });
}

test("each strategy's factory without options behaves as with its registry defaults spelled out", () => {
  const factories: Record<string, (o?: never) => Strategy> = {
    naive,
    joint,
    ewc,
    onlineEwc,
    si,
    mas,
    lwf,
    replay,
    agem,
    derpp,
    erAce,
  };
  assert.deepEqual(Object.keys(factories).sort(), strategies.names().sort(), "every built-in strategy");
  const cfg = settings();
  for (const kind of strategies.kinds()) {
    const defaults = Object.fromEntries(
      Object.entries(kind.options as Record<string, { default?: unknown }>).map(([k, s]) => [k, s.default]),
    );
    let wBare: number[][] = [];
    let wSpelled: number[][] = [];
    const bare = runStrategy(factories[kind.name](), TRAIN, TEST, cfg, {
      checkpoint: { every: 1000, save: (_s, m) => (wBare = weights(m)) },
    });
    runStrategy(factories[kind.name](defaults as never), TRAIN, TEST, cfg, {
      checkpoint: { every: 1000, save: (_s, m) => (wSpelled = weights(m)) },
    });
    assert.ok(
      wBare.flat().every((v) => Number.isFinite(v)),
      `${kind.name}: finite weights`,
    );
    assert.deepEqual(wBare, wSpelled, `${kind.name}: ${JSON.stringify(defaults)}`);
    assert.equal(bare.R.length, 2);
  }
});
