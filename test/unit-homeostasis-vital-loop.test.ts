// The vitals loop's wiring, driven by hand: a remedy that is running hears every hook in the loop's place
// and its answers count (its batch, its loss term, whether gradients and activations are wanted, the units
// it replaced); units are read on the step's own batch or on the probe of recent rows as the rule says; a
// blown-up loss is left to the stability monitor; a checkpoint's pending remedy is judged, rolled back and
// followed by the next untried one in exact words; checkpoints from before a part of the state existed
// load with that part fresh.
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import type { Regulator } from "../src/homeostasis/regulator.js";
import {
  consolidationTerm,
  freshConsolidation,
  stableImportance,
} from "../src/homeostasis/vital-consolidation.js";
import { vitals } from "../src/homeostasis/vital-loop.js";
import type { VitalsOptions } from "../src/homeostasis/vital-options.js";
import type { Remedy } from "../src/homeostasis/vital-remedies.js";
import { freshKnob } from "../src/homeostasis/vital-state.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type {
  Batch,
  BatchEvent,
  EpochEvent,
  History,
  Observer,
  TrainingControl,
} from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { batchEvent, rows, type TestControl, testControl } from "./helpers/control.js";
import { blobs } from "./helpers/health-zoo.js";
import { tiny } from "./helpers/homeostasis.js";
import { data, net, nothing, opts, silencer, small } from "./helpers/vitals.js";

type Saved = { monitor: unknown; loop: Record<string, unknown>; regulators: unknown[][] };

/** A regulator that records each hook it hears ("name.hook …") and answers as told. */
function spy(name: string, calls: string[], answers: Partial<Regulator> = {}): Regulator {
  return {
    name,
    stateKey: name,
    getState: () => ({ name }),
    setState: (s) => void calls.push(`${name}.setState ${JSON.stringify(s)}`),
    onTrainBegin: () => void calls.push(`${name}.onTrainBegin`),
    onBatchEnd: (e) => void calls.push(`${name}.onBatchEnd ${e.step}`),
    onEpochEnd: (e) => void calls.push(`${name}.onEpochEnd ${e.epoch}`),
    onTrainEnd: (h) => void calls.push(`${name}.onTrainEnd ${h.steps}`),
    ...answers,
  };
}
const remedyOf = (r: Regulator, recycles = false): Remedy => ({ name: r.name, recycles, make: () => [r] });

/**
 * A loop over `remedies` restored from a checkpoint written once training had begun on `control`'s model
 * (so that its monitor knows the layers): its loop state patched (`order: undefined` leaves the order out,
 * as checkpoints before it did), and the switched-on remedies' states `states` (default null each).
 */
function restoredLoop(
  remedies: Remedy[],
  patch: Record<string, unknown>,
  options: VitalsOptions,
  control: TrainingControl,
  states?: unknown[][],
) {
  const loop = vitals({ seed: 1, ...options }, remedies);
  loop.onTrainBegin?.(control);
  const s = loop.getState() as Saved;
  Object.assign(s.loop, patch);
  if ("order" in patch && patch.order === undefined) delete s.loop.order;
  s.regulators = states ?? (s.loop.active as number[]).map(() => [null]);
  loop.setState(s);
  return loop;
}

/** A loop restored with `running` switched on, as a resumed run finds them. */
const withRunning = (running: Regulator[], options: VitalsOptions = {}, control = tiny().control) =>
  restoredLoop(
    running.map((r) => remedyOf(r)),
    { active: running.map((_, i) => i) },
    { plasticity: false, forgettingBudget: 0, ...options },
    control,
    running.map((r) => [{ saved: r.name }]),
  );

/** `n` rows of `row` (and a one-hot target of the first class). */
const batchOf = (n: number, row: number[]): Batch => ({
  x: rows(Array.from({ length: n }, () => row)),
  y: rows(Array.from({ length: n }, () => [1, 0])),
});
const epoch = (e: number): EpochEvent => ({ epoch: e, train: { loss: 1 }, lr: 1, steps: 1, seconds: 0 });
const history = (steps: number): History => ({ epochs: [], steps, samplesPerSecond: 0, seconds: 0 });

test("a running remedy hears every hook in the loop's place, in order, and its answers count", () => {
  const calls: string[] = [];
  const a = spy("a", calls, {
    transformBatch: (b) => {
      calls.push(`a.transformBatch ${b.x.shape[0]}`);
      return batchOf(1, [9, 9]);
    },
    lossTerm: () => {
      calls.push("a.lossTerm");
      return new Tensor(Float32Array.of(0.25), [1]);
    },
    onGradients: (g) => void calls.push(`a.onGradients ${[...g.keys()].join(",")}`),
    unitsReplaced: () => 3,
  });
  // b declines to transform (undefined keeps a's batch), adds its own term, replaces no unit (no hook).
  const b = spy("b", calls, {
    transformBatch: (batch) => void calls.push(`b.transformBatch ${batch.x.data[0]}`),
    lossTerm: () => new Tensor(Float32Array.of(0.5), [1]),
  });
  // c hears nothing of note and has no term this step (null beside the others' terms).
  const c: Regulator = {
    name: "c",
    stateKey: "c",
    getState: () => null,
    setState: () => {},
    lossTerm: () => null,
  };
  const { control } = tiny();
  const loop = withRunning([a, b, c], {}, control);
  assert.deepEqual(calls.splice(0), ['a.setState {"saved":"a"}', 'b.setState {"saved":"b"}']);
  assert.deepEqual(loop.remedies, ["a", "b", "c"]);
  loop.onTrainBegin?.(control);
  const out = loop.transformBatch?.(batchOf(3, [1, 2]), control);
  assert.deepEqual(Array.from(out?.x.data ?? []), [9, 9], "a's batch, kept through b's undefined");
  const ctx = { batch: out!, logits: rows([[0, 0]]), parameters: control.parameters, step: 1, epoch: 0 };
  assert.equal(loop.lossTerm?.(ctx, control)?.item(), 0.75, "a's 0.25 and b's 0.5");
  const grads = new Map(control.parameters.map(([n, t]) => [n, new Float32Array(t.size)]));
  loop.onGradients?.(grads, control);
  loop.onBatchEnd?.(batchEvent(7, { control, x: [[9, 9]], y: [[1, 0]] }), control);
  loop.onEpochEnd?.(epoch(0), control);
  loop.onTrainEnd?.(history(7), control);
  assert.deepEqual(calls, [
    "a.onTrainBegin",
    "b.onTrainBegin",
    "a.transformBatch 3",
    "b.transformBatch 9",
    "a.lossTerm",
    "a.onGradients 0.weight,0.bias,1.weight,1.bias",
    "a.onBatchEnd 7",
    "b.onBatchEnd 7",
    "a.onEpochEnd 0",
    "b.onEpochEnd 0",
    "a.onTrainEnd 7",
    "b.onTrainEnd 7",
  ]);
  assert.equal(loop.unitsReplaced?.(), 3, "a's 3, and none from b");
  assert.equal((loop.getState() as Saved).loop.steps, 1, "the loop counted the step");
  // Nothing running, no memory side: no loss term and the batch as given.
  const idle = withRunning([]);
  const given = batchOf(2, [1, 2]);
  assert.equal(idle.transformBatch?.(given, control), given);
  assert.equal(idle.lossTerm?.(ctx, control), null);
  assert.equal(idle.unitsReplaced?.(), 0);
});

test("gradients and activations are asked for only as a running remedy asks", () => {
  const calls: string[] = [];
  const none = withRunning([]);
  assert.deepEqual(
    [none.wantsGradients?.(1), none.readsGradients?.(), none.wantsActivations],
    [false, false, false],
  );
  const losses: number[] = [];
  const choosy = spy("choosy", calls, {
    wantsGradients: (loss) => {
      losses.push(loss);
      return loss > 1;
    },
    onGradients: () => {},
    readsGradients: () => false,
    wantsActivations: "outputs",
  });
  const one = withRunning([choosy]);
  assert.deepEqual([one.wantsGradients?.(0.5), one.wantsGradients?.(2)], [false, true]);
  assert.deepEqual(losses, [0.5, 2], "asked with the batch's loss");
  assert.equal(one.readsGradients?.(), false);
  assert.equal(one.wantsActivations, "outputs");
  // No wantsGradients and no readsGradients mean yes to both; any one that asks for all activations wins.
  const plain = spy("plain", calls, { onGradients: () => {}, wantsActivations: true });
  const two = withRunning([choosy, plain]);
  assert.deepEqual(
    [two.wantsGradients?.(0.5), two.readsGradients?.(), two.wantsActivations],
    [true, true, true],
  );
  // A remedy without an onGradients hook reads no gradient, whatever it says.
  const looker = spy("looker", calls, { readsGradients: () => true });
  assert.equal(withRunning([looker]).readsGradients?.(), false);
});

test("its own detectors want unit outputs at a check step only on a batch large enough to read them on", () => {
  const { control } = tiny();
  const watching = (running: Regulator[]) => {
    const loop = withRunning(running, { plasticity: true, checkEvery: 1 }, control);
    loop.onTrainBegin?.(control);
    return loop;
  };
  const quiet = watching([]);
  quiet.transformBatch?.(batchOf(3, [1, 0]), control);
  assert.equal(quiet.wantsActivations, false, "3 rows: the probe is read instead");
  quiet.transformBatch?.(batchOf(16, [1, 0]), control);
  assert.equal(quiet.wantsActivations, "outputs", "16 rows: read in place, outputs only");
  const all = watching([spy("all", [], { wantsActivations: true })]);
  all.transformBatch?.(batchOf(16, [1, 0]), control);
  assert.equal(all.wantsActivations, true, "a remedy asking for pre-activations too gets them");
  // Not watching plasticity (no detector reads units): nothing asked, whatever the batch.
  const blind = withRunning([], {}, control);
  blind.onTrainBegin?.(control);
  blind.transformBatch?.(batchOf(16, [1, 0]), control);
  assert.equal(blind.wantsActivations, false);
});

/**
 * Dead units read where the rule says. The probe holds `probeRows` rows of [1, 0], on which hidden unit 1
 * of the tiny network never fires (−1·1 + 0.5·0 + 0.2 < 0: dead, beyond a budget of 0); the steps' own
 * activations (when given) have every unit firing. Returns the number of `deadUnits` findings over 12
 * check steps.
 */
function deadFindings(own: { rows: number; activations: boolean; loss?: number }, probeRows: number) {
  const { control } = tiny();
  const loop = vitals({ plasticity: false, forgettingBudget: 0, deadUnits: 0, checkEvery: 1, seed: 1 }, []);
  loop.onTrainBegin?.(control);
  for (let n = 0; n < probeRows; n += 8) loop.transformBatch?.(batchOf(8, [1, 0]), control);
  for (let step = 1; step <= 12; step++) {
    (control as TestControl).step = step;
    const e: BatchEvent = batchEvent(step, {
      control,
      loss: own.loss,
      x: Array.from({ length: own.rows }, () => [0, 0]),
      y: Array.from({ length: own.rows }, () => [1, 0]),
      outputs: { "0": Array.from({ length: own.rows }, () => [1, 1, 1, 1]) },
    });
    loop.onBatchEnd?.(own.activations ? e : { ...e, activations: undefined }, control);
  }
  assert.equal((control as TestControl).failed, null);
  return loop.events.filter((e) => e.kind === "deadUnits").length;
}

test("units are read on the step's own activations from 16 rows, else on a probe of 16 rows or more", () => {
  assert.equal(deadFindings({ rows: 16, activations: true }, 16), 0, "16 rows read in place: all alive");
  assert.ok(deadFindings({ rows: 15, activations: true }, 16) > 0, "15 rows: the probe's dead unit found");
  assert.ok(deadFindings({ rows: 16, activations: false }, 16) > 0, "no activations kept: the probe");
  assert.equal(deadFindings({ rows: 8, activations: true }, 8), 0, "a probe of 8 rows is too small to read");
  // Nothing read at all (no activations, no probe): no unit is known to be dead. Before, a dead-unit
  // window that read no row counted every unit dead, and the budget re-initialised them all.
  assert.equal(deadFindings({ rows: 16, activations: false }, 0), 0);
});

test("a blown-up loss is the stability monitor's: the loop neither reads units on it nor ends the run", () => {
  assert.ok(deadFindings({ rows: 8, activations: true, loss: 2 }, 16) > 0, "a finite loss: found");
  assert.equal(deadFindings({ rows: 8, activations: true, loss: Number.NaN }, 16), 0);
  assert.equal(deadFindings({ rows: 8, activations: true, loss: 1e30 }, 16), 0);
});

/**
 * A checkpoint written while `pending` awaited its verdict, restored into a loop over `remedies`
 * (`active` switched on), then trained healthily until a verdict and what follows it.
 */
function resumedVerdict(
  remedies: Remedy[],
  saved: {
    active: number[];
    pending: number;
    before: number;
    dormant?: number;
    tried: number;
    next: number;
    order?: number[];
  },
  options: VitalsOptions = {},
  observers: Observer[] = [],
) {
  const dormant = saved.dormant ?? 0;
  const before = { loss: saved.before, dormant, effectiveRank: 99, stableRank: 9, weightChange: 0 };
  const m = net();
  const { active, tried, next, order } = saved;
  const pending = { remedy: saved.pending, step: 3, before };
  const loop = restoredLoop(
    remedies,
    { active, pending, tried, next, order },
    { ...small, ...options },
    testControl(m),
  );
  fit(m, data(), { ...opts, epochs: 8, observers: [...observers, loop] });
  return loop;
}

test("a pending remedy whose loss rose is rolled back, the others kept on; then the budget is spent", () => {
  const calls: string[] = [];
  const [a, b] = [spy("a", calls), spy("b", calls)];
  // The loss before it was 1e-6: any loss the network has now is a rise, so b did not help.
  const loop = resumedVerdict([remedyOf(a), remedyOf(b)], {
    active: [0, 1],
    pending: 1,
    before: 1e-6,
    tried: 2,
    next: 2,
    order: [0, 1],
  });
  assert.deepEqual(
    loop.events.map((e) => e.kind),
    ["remedyRolledBack", "remedyExhausted"],
  );
  assert.deepEqual(loop.remedies, ["a"], "a stays on");
  const [back, spent] = loop.events;
  assert.match(
    back.diagnosis,
    /^b did not help within 8 checks: online loss 0\.00000100, dormant 0%, effective rank 99\.0 before, online loss \d\.\d+, dormant \d+%, effective rank (\d+\.\d+|–) after$/,
  );
  // A checkpoint's pending remedy carries no snapshot (written before rollbacks restored weights).
  assert.equal(back.action, "b switched off (the weights it changed stay)");
  assert.deepEqual(Object.keys(back.evidence).slice(0, 3), ["remedy", "appliedAt", "beforeLoss"]);
  assert.deepEqual(
    [back.evidence.remedy, back.evidence.appliedAt, back.evidence.restoredTo],
    [1, 3, undefined],
  );
  assert.equal(back.repaired, true);
  assert.match(
    spent.diagnosis,
    /^loss of plasticity persists after 2 remedies \(online loss \d\.\d+, dormant/,
  );
  assert.equal(spent.action, "none left within the budget");
  assert.deepEqual(spent.evidence, { tried: 2 });
  assert.equal(spent.repaired, false);
  const st = (loop.getState() as Saved).loop;
  assert.deepEqual([st.exhausted, st.pending, st.active], [true, null, [0]]);
  // a's regulator kept hearing the steps; b's stopped at its rollback.
  const heard = (name: string) => calls.filter((c) => c.startsWith(`${name}.onBatchEnd`)).length;
  assert.ok(heard("a") > heard("b") && heard("b") > 0, `a ${heard("a")}, b ${heard("b")}`);
});

test("a pending remedy that helped stays on, in words; the loss it was judged by", () => {
  const loop = resumedVerdict([remedyOf(spy("a", []))], {
    active: [0],
    pending: 0,
    before: 1000,
    tried: 1,
    next: 1,
    order: [0],
  });
  assert.deepEqual(
    loop.events.map((e) => e.kind),
    ["remedyVerified"],
  );
  const [ok] = loop.events;
  assert.match(
    ok.diagnosis,
    /^a verified over 8 checks: online loss 1\.00e\+3, dormant 0%, effective rank 99\.0 before, online loss \d\.\d+, dormant \d+%, effective rank (\d+\.\d+|–) after \(the rule no longer holds\)$/,
  );
  assert.equal(ok.action, "a stays on");
  assert.ok(ok.evidence.afterLoss < 1000);
  assert.deepEqual(loop.remedies, ["a"]);
});

test("an older checkpoint without the order tried: the first `next` remedies count as tried", () => {
  // Three remedies, the first tried and pending; the third recycles units, but few units are dormant here,
  // so after the first is rolled back the second (the list's order) comes next.
  const calls: string[] = [];
  const remedies = [remedyOf(spy("a", calls)), remedyOf(spy("b", calls)), remedyOf(spy("c", calls), true)];
  const loop = resumedVerdict(remedies, { active: [0], pending: 0, before: 1e-6, tried: 1, next: 1 });
  const kinds = loop.events.map((e) => e.kind);
  assert.deepEqual(kinds.slice(0, 2), ["remedyRolledBack", "remedyApplied"]);
  const applied = loop.events[1];
  assert.equal(applied.evidence.remedy, 1);
  assert.match(
    applied.diagnosis,
    /^switched on b against loss of plasticity \(online loss \d\.\d+, dormant \d+%, effective rank (\d+\.\d+|–); baseline online loss \d\.\d+, dormant \d+%, effective rank \d+\.\d+\); verdict after 8 checks$/,
  );
  assert.equal(applied.action, "b on");
  assert.ok(
    "beforeLoss" in applied.evidence && "baselineLoss" in applied.evidence,
    JSON.stringify(applied.evidence),
  );
  assert.deepEqual((loop.getState() as Saved).loop.order, [0, 1]);
});

test("a checkpoint from before consolidation, the asymmetric replay and the classes seen loads them fresh", () => {
  const loop = vitals({ seed: 1 });
  const s = loop.getState() as Saved;
  for (const k of ["consolidation", "ace", "more", "seen"]) delete s.loop[k];
  loop.setState(s);
  const st = (loop.getState() as Saved).loop;
  assert.deepEqual(
    [st.consolidation, st.ace, st.more, st.seen],
    [freshConsolidation(), freshKnob(), freshKnob(), new Float32Array(0)],
  );
  // A newer checkpoint keeps its own.
  const knob = { value: 2, changedAt: 5, pending: null };
  Object.assign(s.loop, { ace: knob, more: { ...knob, value: 4 } });
  loop.setState(s);
  const again = (loop.getState() as Saved).loop;
  assert.deepEqual([again.ace, again.more], [knob, { ...knob, value: 4 }]);
});

/**
 * Forgetting no memory can hold within a 2% budget: the same rows three times, their labels turned by one
 * class each time, so what one task learns the next contradicts. The loop climbs its chain of memory knobs
 * to the end; returns each raise and the exhaustion as [kind, knob, value], and each step's penalty.
 */
function contradicted(options: VitalsOptions) {
  const loop = vitals({ checkEvery: 2, plasticity: false, seed: 1, forgettingBudget: 0.02, ...options });
  const m = new Sequential([
    new Dense(16, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(6, new Rng(3));
  const s = blobs(300, 3, 6, 7);
  const penalties: number[] = [];
  for (const turn of [0, 1, 2]) {
    const y = new Float32Array(s.n * 3);
    for (let r = 0; r < s.n; r++) y[r * 3 + ((s.y.subarray(r * 3, r * 3 + 3).indexOf(1) + turn) % 3)] = 1;
    fit(
      m,
      { x: new Tensor(s.x, [s.n, 6]), y: new Tensor(y, [s.n, 3]) },
      {
        epochs: 6,
        batchSize: 16,
        optimizer: sgd({ lr: 0.1 }),
        loss: "crossEntropy",
        seed: 2,
        observers: [loop, { onBatchEnd: (e) => void penalties.push(e.penalty) }],
      },
    );
  }
  const knobs = ["share", "asymmetric", "moreShare", "strength"];
  const moves = loop.events
    .filter((e) => e.kind.endsWith("Raised") || e.kind === "remedyExhausted")
    .map((e) => {
      const key = knobs.find((k) => k in e.evidence) ?? "";
      return [e.kind, key, e.evidence[key]];
    });
  return { loop, moves, penalties };
}

test("the memory knobs in their order: one replayed row, its asymmetric loss, more rows, then spent", () => {
  // Forgetting of 90% against 2% raises the share to its ceiling at once (a step per doubling of the excess).
  const more = contradicted({ maxReplay: 4 });
  assert.equal(more.loop.replayShare, 4, "the share beyond one row is the third knob's");
  assert.deepEqual(more.moves, [
    ["replayRaised", "share", 1],
    ["replayRaised", "asymmetric", 1],
    ["replayRaised", "moreShare", 4],
    ["remedyExhausted", "moreShare", 4],
  ]);
  assert.deepEqual(contradicted({}).moves, [
    ["replayRaised", "share", 1],
    ["replayRaised", "asymmetric", 1],
    ["remedyExhausted", "asymmetric", 1],
  ]);
  const plain = contradicted({ asymmetric: false });
  assert.deepEqual(plain.moves, [
    ["replayRaised", "share", 1],
    ["remedyExhausted", "share", 1],
  ]);
  assert.ok(
    plain.penalties.every((p) => p === 0),
    "replay adds no loss term",
  );
  assert.equal(plain.loop.readsGradients?.(), false, "nor reads a gradient");
});

test("consolidation as the memory remedy: its strength raised, then its penalty in every step; no replay", () => {
  const { loop, moves, penalties } = contradicted({ memoryRemedy: "consolidation", maxStrength: 4 });
  assert.deepEqual(moves, [
    ["consolidationRaised", "strength", 4],
    ["remedyExhausted", "strength", 4],
  ]);
  assert.equal(loop.replayShare, 0);
  assert.equal(loop.readsGradients?.(), true, "its importance is read from the gradients");
  const raisedAt = loop.events.find((e) => e.kind === "consolidationRaised")!.step;
  assert.ok(
    penalties.slice(0, raisedAt).every((p) => p === 0),
    "no penalty before it is raised",
  );
  // Finite: at strength 4 and lr 0.1 its uncapped importance made the penalty grow 35-fold a step to NaN.
  assert.ok(
    penalties.slice(raisedAt).every((p) => p > 0 && p < 50),
    `a penalty in every step after: ${penalties.slice(raisedAt, raisedAt + 10).map((p) => p.toPrecision(2))}`,
  );
  const k = (loop.getState() as Saved).loop.consolidation as { fisher: unknown; anchor: unknown; lr: number };
  assert.ok(k.fisher !== null && k.anchor !== null, "importance and anchor taken");
  assert.equal(k.lr, 0.1, "the latest step's learning rate kept for the cap");
  // Both: replay's knobs first, consolidation after them.
  assert.deepEqual(contradicted({ memoryRemedy: "both", maxStrength: 4 }).moves, [
    ["replayRaised", "share", 1],
    ["replayRaised", "asymmetric", 1],
    ["consolidationRaised", "strength", 4],
    ["remedyExhausted", "strength", 4],
  ]);
});

test("consolidation's importance capped so that a step on its penalty alone stops at the anchor", () => {
  const state = {
    ...freshConsolidation(),
    value: 4,
    anchor: { w: Float32Array.of(0, 0, 0) },
    importance: { w: Float32Array.of(0.5, 100, 3) },
  };
  // 1 / (2 · strength 4 · lr 0.1) = 1.25.
  const capped = stableImportance(state, 0.1)!;
  assert.deepEqual(Array.from(capped.w), [0.5, 1.25, 1.25]);
  assert.deepEqual(Array.from(state.importance.w), [0.5, 100, 3], "the state's own importance kept");
  assert.equal(stableImportance(state, 0), state.importance, "no step taken yet: no cap");
  // The penalty's gradient 2 · 4 · importance · (θ − anchor) at θ = 1 is [4, 10, 10]: an SGD step of lr
  // 0.1 moves the capped weights by 1, exactly onto the anchor, the first 0.4 of the way.
  const w = new Tensor(Float32Array.of(1, 1, 1), [3], true);
  const [g] = grad(consolidationTerm(state, [["w", w]], capped)!, [w]);
  assert.deepEqual(Array.from(g.data), [4, 10, 10]);
});

/**
 * A loop holding consolidation at strength 4, restored on `c`'s tiny network: all importance (100) on
 * layer 0's first bias (0.1), anchored at 0; `lr` the latest step's, where one was taken.
 */
function consolidating(c: TrainingControl, lr?: number) {
  const zeros = () => Object.fromEntries(c.parameters.map(([n, t]) => [n, new Float32Array(t.size)]));
  const importance = zeros();
  importance["0.bias"][0] = 100;
  const consolidation = { ...freshConsolidation(), value: 4, anchor: zeros(), importance };
  return restoredLoop(
    [],
    { consolidation: lr === undefined ? consolidation : { ...consolidation, lr } },
    { plasticity: false, forgettingBudget: 0.1, memoryRemedy: "consolidation" },
    c,
  );
}

/** The loop's loss term on a one-row batch of `c`'s tiny network. */
const penaltyOf = (loop: ReturnType<typeof vitals>, c: TrainingControl): number => {
  const ctx = {
    batch: batchOf(1, [0, 0]),
    logits: rows([[0, 0]]),
    parameters: c.parameters,
    step: 1,
    epoch: 0,
  };
  return loop.lossTerm?.(ctx, c)?.item() ?? Number.NaN;
};
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-6 * b, `${a} against ${b}`);

test("the cap is for SGD and unknown optimisers: under Adam and its kind the importance stands as it is", () => {
  // Strength 4, the last step's lr 0.1: cap 1 / (2 · 4 · 0.1) = 1.25. All importance on layer 0's first
  // bias (0.1), anchored at 0: the penalty is 4 · 100 · 0.1² = 4 as it stands, 4 · 1.25 · 0.1² = 0.05 capped.
  const penaltyUnder = (optimizerType: string | undefined) => {
    const c = { ...tiny().control, optimizerType };
    const loop = consolidating(c, 0.1);
    loop.onTrainBegin?.(c);
    return penaltyOf(loop, c);
  };
  for (const type of ["adam", "adamw", "rmsprop", "adagrad"]) close(penaltyUnder(type), 4);
  for (const type of ["sgd", "mine", undefined]) close(penaltyUnder(type), 0.05);
});

test("a long healthy stretch renews the remedy budget: the remedy rolled back is tried again later", () => {
  // The last hidden layer silenced at step 200 and restored at 300, silenced again at 700. One remedy that
  // does nothing, a budget of one: rolled back and exhausted in the first episode; 2 windows (16 checks)
  // after the network recovered the budget renews, and the second episode tries the remedy again.
  let kept: Float32Array | null = null;
  const silences: Observer = {
    onBatchEnd: (e, c) => {
      const b = c.parameters.find(([n]) => n === "1.bias")![1].data as Float32Array;
      if (e.step === 200 || e.step === 700) {
        kept = b.slice();
        b.fill(-100);
      }
      if (e.step === 300) b.set(kept!);
    },
  };
  const run = (renewAfter: number) => {
    const loop = vitals({ ...small, maxRemedies: 1, renewAfter }, [nothing]);
    fit(net(), data(), { ...opts, epochs: 60, observers: [silences, loop] });
    return loop;
  };
  const loop = run(2);
  assert.deepEqual(
    loop.events.map((e) => e.kind),
    [
      "plasticityLoss",
      "remedyApplied",
      "remedyRolledBack",
      "remedyExhausted",
      "remedyBudgetRenewed",
      "remedyApplied",
      "remedyRolledBack",
      "remedyExhausted",
    ],
  );
  const [, , , spent, renewed, again] = loop.events;
  assert.equal(spent.diagnosis.split(" (")[0], "loss of plasticity persists after 1 remedy");
  assert.ok(
    renewed.step > 300 && again.step > 700,
    `renewed at ${renewed.step}, tried again at ${again.step}`,
  );
  assert.deepEqual(renewed.evidence, { tried: 1, calmChecks: 16 });
  assert.equal(
    renewed.diagnosis,
    "no loss of plasticity over the last 16 checks (2 windows) after 1 remedy tried (nothing rolled back)",
  );
  assert.equal(renewed.action, "the remedy budget renews: 1 more may be tried, those rolled back included");
  assert.equal(renewed.repaired, false);
  assert.equal(again.evidence.remedy, 0);
  // Never renewed: the second episode goes unremedied (and unsaid: the budget was spent once).
  assert.deepEqual(
    run(0).events.map((e) => e.kind),
    ["plasticityLoss", "remedyApplied", "remedyRolledBack", "remedyExhausted"],
  );
});

test("a budget renews only when some remedy is off to try again; its words name those rolled back", () => {
  // Restored from a checkpoint (remedies a and b; `active` on, `order` tried), then trained healthily for
  // well over one window of 8 checks.
  const restored = (saved: { active: number[]; order?: number[]; exhausted: boolean }) => {
    const m = net();
    const tried = saved.order?.length ?? 1;
    const loop = restoredLoop(
      [remedyOf(spy("a", [])), remedyOf(spy("b", []))],
      { ...saved, order: saved.order, tried, next: tried, pending: null },
      { ...small, maxRemedies: 3, renewAfter: 1 },
      testControl(m),
    );
    fit(m, data(), { ...opts, epochs: 8, observers: [loop] });
    const st = (loop.getState() as Saved).loop;
    return { events: loop.events, order: st.order, tried: st.tried, exhausted: st.exhausted };
  };
  // Spent, a on and b rolled back: b freed, a still counted as tried.
  const freed = restored({ active: [0], order: [0, 1], exhausted: true });
  assert.deepEqual(
    freed.events.map((e) => [e.kind, e.diagnosis, e.action]),
    [
      [
        "remedyBudgetRenewed",
        "no loss of plasticity over the last 8 checks (1 window) after 2 remedies tried (b rolled back)",
        "the remedy budget renews: 3 more may be tried, those rolled back included",
      ],
    ],
  );
  assert.deepEqual([freed.order, freed.tried, freed.exhausted], [[0], 0, false]);
  // Not spent, but b rolled back: renewed too. Both rolled back: both named.
  assert.equal(restored({ active: [0], order: [0, 1], exhausted: false }).events.length, 1);
  assert.match(
    restored({ active: [], order: [0, 1], exhausted: true }).events[0].diagnosis,
    /\(a, b rolled back\)$/,
  );
  // Spent with none rolled back (b never tried): renewed, and no remedy named.
  const untried = restored({ active: [0], order: [0], exhausted: true });
  assert.deepEqual(
    untried.events.map((e) => [e.diagnosis, e.action]),
    [
      [
        "no loss of plasticity over the last 8 checks (1 window) after 1 remedy tried",
        "the remedy budget renews: 3 more may be tried",
      ],
    ],
  );
  // Nothing to renew: every remedy on; or not spent and none rolled back.
  assert.deepEqual(restored({ active: [0, 1], order: [0, 1], exhausted: true }).events, []);
  assert.deepEqual(restored({ active: [0], order: [0], exhausted: false }).events, []);
  // A checkpoint from before the order was kept: the first `next` (here 1) were tried, a rolled back.
  assert.match(restored({ active: [], exhausted: true }).events[0].diagnosis, /\(a rolled back\)$/);
});

test("L2-Init switched on by the loop pulls towards the weights when training first began", () => {
  // The network's weights at the first onTrainBegin, copied then: by step 200 they have moved.
  const m = net();
  const initial = m.parameters().map(([n, t]) => [n, Array.from(t.data)] as const);
  const anchors: unknown[] = [];
  const l2 = remedyOf({ ...spy("l2Init", []), setState: (s) => void anchors.push(s) });
  const loop = vitals({ ...small, maxRemedies: 1 }, [l2]);
  fit(m, data(), { ...opts, observers: [silencer(200), loop] });
  assert.equal(loop.events[1]?.kind, "remedyApplied");
  assert.equal(anchors.length, 1, "its anchor set once, when switched on");
  const anchor = anchors[0] as Record<string, Float32Array>;
  assert.deepEqual(
    Object.entries(anchor).map(([n, a]) => [n, Array.from(a)]),
    initial,
  );
});

test("what the memory side keeps, and only when it has a budget: probe, reservoir, draws, importance", () => {
  const { control } = tiny();
  const state = (loop: ReturnType<typeof vitals>) =>
    (loop.getState() as Saved).loop as {
      probe: { size: number };
      reservoir: { size: number };
      rng: unknown;
      consolidation: { fisher: unknown };
    };
  // A batch of 16 rows is read in place: it does not go to the probe; 15 rows do.
  const probe = withRunning([], {}, control);
  probe.transformBatch?.(batchOf(16, [1, 0]), control);
  assert.equal(state(probe).probe.size, 0);
  probe.transformBatch?.(batchOf(15, [1, 0]), control);
  assert.equal(state(probe).probe.size, 15);
  // The reservoir fills only with a forgetting budget; with nothing to replay the batch and the draws stay.
  const off = withRunning([], { forgettingBudget: 0 }, control);
  const on = withRunning([], { forgettingBudget: 0.1 }, control);
  const rngBefore = structuredClone(state(on).rng);
  const given = batchOf(4, [1, 0]);
  assert.equal(on.transformBatch?.(given, control), given, "share 0: the batch as given");
  off.transformBatch?.(batchOf(4, [1, 0]), control);
  assert.deepEqual([state(off).reservoir.size, state(on).reservoir.size], [0, 4]);
  assert.deepEqual(state(on).rng, rngBefore, "no draw made for a share of 0");
  // Consolidation only with a budget and only when named: no gradient read, no importance kept otherwise.
  assert.equal(vitals({ forgettingBudget: 0, memoryRemedy: "consolidation" }).readsGradients?.(), false);
  const replaying = withRunning([], { forgettingBudget: 0.1 }, control);
  replaying.onGradients?.(
    new Map(control.parameters.map(([n, t]) => [n, new Float32Array(t.size).fill(1)])),
    control,
  );
  assert.equal(state(replaying).consolidation.fisher, null);
});

test("consolidation's cap follows the learning rate as it changes", () => {
  // One weight of importance 100 at distance 0.1, strength 4: capped at 1 / (8 · lr): lr 0.1 → 1.25,
  // penalty 4 · 1.25 · 0.01 = 0.05; lr 0.05 → 2.5, penalty 0.1.
  const { control } = tiny();
  const loop = consolidating(control);
  const penaltyAfter = (lr: number) => {
    loop.onBatchEnd?.({ ...batchEvent(1, { control, x: [[0, 0]], y: [[1, 0]] }), lr }, control);
    return penaltyOf(loop, control);
  };
  close(penaltyAfter(0.1), 0.05);
  close(penaltyAfter(0.05), 0.1);
  close(penaltyAfter(0.05), 0.1);
});

test("the loop's own monitor keeps no rollback snapshot: it repairs only dead units, which need none", () => {
  for (const options of [small, { ...small, deadUnits: 0.02 }]) {
    const loop = vitals(options);
    fit(net(), data(), { ...opts, epochs: 2, observers: [loop] });
    const { snapshots } = (loop.getState() as { monitor: { snapshots: { older: unknown; newer: unknown } } })
      .monitor;
    assert.deepEqual([snapshots.older, snapshots.newer], [null, null], JSON.stringify(options));
  }
});

test("a remedy verified while the rule still holds: better than before it, not yet back at the baseline", () => {
  // The last hidden layer silenced at step 70, inside the window the verdict reads (checks 13–20, steps
  // 65–100): the loss is up on its best and units went quiet, so the rule holds; against the pending
  // remedy's "before" (loss 1000, every unit dormant) the loss fell and fewer units are dormant: verified.
  const before = 1000;
  const loop = resumedVerdict(
    [remedyOf(spy("a", []))],
    { active: [0], pending: 0, before, dormant: 1, tried: 1, next: 1, order: [0] },
    {},
    [silencer(70)],
  );
  const verdict = loop.events.find((e) => e.kind === "remedyVerified");
  assert.ok(verdict, JSON.stringify(loop.events.map((e) => e.kind)));
  // Verified while the rule holds, the episode goes on: no other remedy is tried in it.
  assert.deepEqual(
    loop.events.map((e) => e.kind),
    ["plasticityLoss", "remedyVerified"],
  );
  assert.match(verdict.diagnosis, / after \(improving, not yet at the baseline\)$/);
});
