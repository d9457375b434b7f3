// The vitals loop end to end on a small network: a healthy run raises nothing and trains the same weights
// as without it; plasticity destroyed on purpose (every unit of the last hidden layer silenced) is found,
// a remedy that does nothing is rolled back and ReDo is verified; a checkpoint resumes the loop exactly.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseRegulators } from "../src/homeostasis/config.js";
import { Learner } from "../src/learner/index.js";
import { ConfigError } from "../src/tensor/errors.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import type { Sequential } from "../src/nn/sequential.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import type { TrainingState } from "../src/train/options.js";
import { bitFlipRun } from "../bench/vital-bitflip.js";
import { blobs } from "./helpers/health-zoo.js";
import { data, net, nothing, opts, recycle, silencer, small } from "./helpers/vitals.js";

const weights = (m: Sequential) => m.parameters().map(([, t]) => Array.from(t.data));

test("a healthy run: no finding, no action, and the weights of a run without the loop", () => {
  const plain = net();
  fit(plain, data(), opts);
  const watched = net();
  const loop = vitals(small);
  fit(watched, data(), { ...opts, observers: [loop] });
  assert.deepEqual(loop.events, []);
  assert.deepEqual(weights(watched), weights(plain));
});

test("watching only (no remedy to apply): the loss of plasticity found, the weights of a run without the loop", () => {
  // What bench/vital-overhead.ts times as the loop's own cost: it must change nothing it does not decide to.
  const plain = net();
  fit(plain, data(), { ...opts, observers: [silencer(200)] });
  const watched = net();
  const loop = vitals(small, []);
  fit(watched, data(), { ...opts, observers: [silencer(200), loop] });
  assert.deepEqual(
    loop.events.map((e) => e.kind),
    ["plasticityLoss", "remedyExhausted"],
  );
  assert.deepEqual(weights(watched), weights(plain));
});

test("silenced units: found, a useless remedy rolled back, ReDo verified", () => {
  const loop = vitals(small, [nothing, recycle]);
  const m = net();
  fit(m, data(), { ...opts, observers: [silencer(200), loop] });
  const story = loop.events.map((e) => [e.kind, e.evidence.remedy ?? null]);
  assert.deepEqual(story, [
    ["plasticityLoss", null],
    ["remedyApplied", 0],
    ["remedyRolledBack", 0],
    ["remedyApplied", 1],
    ["remedyVerified", 1],
  ]);
  const [found, , back, , verified] = loop.events;
  assert.ok(found.step > 200, "found after the units were silenced");
  // The rule's second half, from the evidence: dormant units up 10 points or the rank below 0.75 × the baseline's.
  const ev = found.evidence;
  assert.ok(
    ev.dormantFraction >= ev.baselineDormant + 0.1 || ev.effectiveRank <= 0.75 * ev.baselineRank,
    JSON.stringify(ev),
  );
  assert.ok(ev.dormantFraction > ev.baselineDormant, "units went quiet");
  assert.ok(
    back.evidence.afterLoss > back.evidence.beforeLoss * 0.9,
    "doing nothing did not bring the loss down",
  );
  assert.ok(verified.evidence.afterLoss < verified.evidence.beforeLoss);
  assert.deepEqual(loop.remedies, ["redo"]);
});

test("a checkpoint resumes the loop exactly: the same events and the same weights", () => {
  const make = () => [silencer(200), vitals(small, [nothing, recycle])];
  const reference = net();
  const refLoop = make();
  fit(reference, data(), { ...opts, observers: refLoop });
  const states: { state: TrainingState; w: Float32Array[] }[] = [];
  const saver = net();
  fit(saver, data(), {
    ...opts,
    observers: make(),
    checkpoint: {
      every: 150,
      save: (s) =>
        states.push({
          state: structuredClone(s),
          w: saver.parameters().map(([, t]) => (t.data as Float32Array).slice()),
        }),
    },
  });
  assert.ok(states.length >= 4);
  for (const { state, w } of states.filter((s) => s.state.step > 200)) {
    const m = net();
    m.parameters().forEach(([, t], i) => t.data.set(w[i]));
    const observers = make();
    fit(m, data(), { ...opts, observers, resume: state });
    assert.deepEqual(weights(m), weights(reference), `resumed at step ${state.step}`);
    const events = (o: Observer[]) => (o[1] as ReturnType<typeof vitals>).events;
    assert.deepEqual(events(observers), events(refLoop), `events resumed at step ${state.step}`);
  }
});

test("named in a homeostasis list: options checked with the field named; the learner unchanged while healthy", () => {
  assert.throws(
    () => parseRegulators([{ type: "vitals", forgettingBudget: 2 }]),
    (e: Error) => e instanceof ConfigError && /homeostasis\[0\]\.forgettingBudget/.test(e.message),
  );
  const rows = blobs(600, 3, 6, 11);
  const run = (homeostasis: unknown[]) => {
    const l = Learner.create({
      task: "classification",
      hidden: [16],
      seed: 1,
      homeostasis: homeostasis as never,
    });
    const out: unknown[] = [];
    for (let r = 0; r < rows.n; r++) {
      const y = Array.from(rows.y.subarray(3 * r, 3 * r + 3)).indexOf(1);
      out.push(l.observe(Array.from(rows.x.subarray(6 * r, 6 * r + 6)), y));
    }
    return { out, vitals: l.vitals() };
  };
  const plain = run(["redo"]);
  const watched = run(["redo", { type: "vitals", checkEvery: 10 }]);
  assert.deepEqual(watched.out, plain.out, "the same predictions, row by row");
  assert.deepEqual(
    watched.vitals.regulators.map((r) => r.name),
    ["redo", "vitals"],
  );
});

test("the bit-flipping problem, seed 5: a baseline mostly dormant is found, and ReDo is tried first", () => {
  // Four of the five hidden units are dormant from the first checks (docs/vital-loop.md): the rule's
  // relative half cannot rise above a baseline of 80%, so most units dormant counts on its own.
  const run = bitFlipRun("loop", 5, { steps: 3000, flip: 1000, hidden: 5, lr: 0.01, bins: 3 });
  const [found, applied] = run.events;
  assert.equal(found?.kind, "plasticityLoss", JSON.stringify(run.events.map((e) => e.kind)));
  assert.ok(found.evidence.dormantFraction >= 0.5, JSON.stringify(found.evidence));
  assert.ok(found.evidence.baselineDormant >= 0.5, "mostly dormant from the baseline on");
  assert.match(
    found.diagnosis,
    /of the units are dormant \(\d+% in the baseline; 50% or more count whatever the baseline\)/,
  );
  assert.equal(applied.kind, "remedyApplied");
  assert.match(applied.diagnosis, /^switched on redo against loss of plasticity/);
});

test("a budget of one remedy: the useless one rolled back, then exhausted once, the tried count in its evidence", () => {
  const heard: string[] = [];
  const loop = vitals({ ...small, maxRemedies: 1, onEvent: (e) => heard.push(e.kind) }, [nothing, recycle]);
  fit(net(), data(), { ...opts, observers: [silencer(200), loop] });
  const kinds = loop.events.map((e) => e.kind);
  assert.deepEqual(kinds.slice(0, 4), [
    "plasticityLoss",
    "remedyApplied",
    "remedyRolledBack",
    "remedyExhausted",
  ]);
  assert.equal(kinds.filter((k) => k === "remedyExhausted").length, 1, JSON.stringify(kinds));
  assert.equal(kinds.filter((k) => k === "remedyApplied").length, 1, "ReDo never tried");
  assert.equal(loop.events[3].evidence.tried, 1);
  assert.deepEqual(loop.remedies, []);
  assert.deepEqual(heard, kinds);
  const st = loop.getState() as {
    loop: { tried: number; next: number; order: number[]; exhausted: boolean };
  };
  assert.deepEqual([st.loop.tried, st.loop.next, st.loop.order, st.loop.exhausted], [1, 1, [0], true]);
});
