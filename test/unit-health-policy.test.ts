/**
 * The repair policy's bookkeeping, hand-checked on a bare state: a finding reported once per kind and
 * layer without repair, repairs counted per kind, an exhausted kind said once (each kind its own), a fix
 * that applied nothing not called a repair, the windows started afresh after a repair, and a rollback
 * snapshot only at a check whose loss is within 1.5 times the best window's.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Finding } from "../src/health/findings.js";
import { repairPolicy } from "../src/health/policy.js";
import { freshState } from "../src/health/state.js";
import { Sequential } from "../src/nn/sequential.js";
import type { TrainingControl } from "../src/train/events.js";

const finding = (kind: string, layer?: string): Finding => ({
  kind,
  layer,
  evidence: {},
  diagnosis: `${kind} found`,
  action: "do something",
});
const control = {
  step: 7,
  parameters: [],
  model: new Sequential([]),
  getOptimizerState: () => ({ t: 1 }),
  fail: () => {},
} as unknown as TrainingControl;

test("without repair: each kind and layer reported once, another layer or kind on its own", () => {
  const s = freshState(1);
  const p = repairPolicy({ repair: false, maxPerKind: 3, maxTotal: 10, fatal: new Set() });
  for (const f of [finding("a", "0"), finding("a", "1"), finding("a", "0"), finding("b"), finding("b")])
    p.handle(s, control, [], 5, f, () => []);
  assert.deepEqual(
    s.events.map((e) => [e.kind, e.layer ?? null]),
    [
      ["a", "0"],
      ["a", "1"],
      ["b", null],
    ],
  );
});

test("with repair: counted per kind; beyond the budget each kind says once that it stopped", () => {
  const s = freshState(1);
  const p = repairPolicy({ repair: true, maxPerKind: 1, maxTotal: 10, fatal: new Set() });
  s.accuracyMeans = [0.5, 0.6, 0.7];
  s.lossMeans = [3, 2, 1];
  let applied = 0;
  const fix = () => {
    applied++;
    return [];
  };
  p.handle(s, control, [], 5, finding("c"), fix);
  // The fix applied nothing: the finding is not called repaired.
  assert.deepEqual(
    s.events.map((e) => [e.kind, e.repaired]),
    [["c", false]],
  );
  // The windows before a repair describe a model that no longer exists.
  assert.deepEqual([s.accuracyMeans, s.lossMeans], [[0.5], [3]]);
  for (const k of ["c", "c", "d", "d", "d"]) p.handle(s, control, [], 6, finding(k), fix);
  assert.equal(applied, 2, "one repair of c, one of d");
  assert.deepEqual(
    s.events.map((e) => e.action),
    [
      "do something",
      "do something — not done: 1 c repairs were tried already; training goes on",
      "do something",
      "do something — not done: 1 d repairs were tried already; training goes on",
    ],
  );
  assert.deepEqual(s.repairs, [
    ["c", 1],
    ["d", 1],
  ]);
  assert.equal(s.totalRepairs, 2);
});

test("a named list repairs those kinds only; a fix that did something is a repair", () => {
  const s = freshState(1);
  const p = repairPolicy({ repair: ["e"], maxPerKind: 5, maxTotal: 5, fatal: new Set() });
  const fix = () => [{ step: 5, kind: "done", evidence: {}, diagnosis: "", action: "" }];
  p.handle(s, control, [], 5, finding("e"), fix);
  p.handle(s, control, [], 5, finding("f"), fix);
  assert.deepEqual(
    s.events.map((e) => [e.kind, e.repaired ?? null]),
    [
      ["e", true],
      ["done", null],
      ["f", null],
    ],
  );
  assert.equal(p.repairs, false, "blow-ups are not rolled back by a list");
});

test("a failure's words: the reason in brackets when there is one", () => {
  const s = freshState(1);
  const p = repairPolicy({ repair: true, maxPerKind: 1, maxTotal: 1, fatal: new Set() });
  p.fail(s, control, 9, finding("g"), "");
  p.fail(s, control, 9, finding("h"), "why not");
  assert.deepEqual(
    s.events.map((e) => e.diagnosis),
    ["training failed beyond repair: g found", "training failed beyond repair: h found (why not)"],
  );
  assert.equal(s.done, true);
});

test("a rollback snapshot at a healthy check whose loss is within 1.5× the best window's", () => {
  const at = (lossMeans: number[], dropped = Number.POSITIVE_INFINITY, repair: boolean | string[] = true) => {
    const s = freshState(1);
    s.lossMeans = lossMeans;
    s.droppedBestLoss = dropped;
    repairPolicy({ repair, maxPerKind: 1, maxTotal: 1, fatal: new Set() }).healthy(s, control);
    return s.snapshots.older !== null;
  };
  assert.equal(at([2, 3]), true, "3 ≤ 1.5 × 2");
  assert.equal(at([2, 3.01]), false);
  assert.equal(at([2, 2.9], 1.5), false, "a best dropped from the windows still counts: 2.9 > 1.5 × 1.5");
  assert.equal(at([2, 2.2], 1.5), true);
  assert.equal(at([2, 3], Number.POSITIVE_INFINITY, ["deadUnits"]), false, "a list keeps no snapshot");
});
