import { test } from "node:test";
import assert from "node:assert/strict";
import { HyperplaneStream, SeaStream } from "../src/data/synthetic-streams.js";
import { FriedmanStream } from "../src/data/friedman-stream.js";
import { Learner } from "../src/learner/index.js";

// Floors a little under the measured figures (defaults, seed 1, 4,000 rows: SEA 85.2%, hyperplane
// 85.9%, Friedman recent MSE 0.15 of the target's variance), so a change that makes the
// default learner learn worse fails here.
test("SEA: the default learner's prequential accuracy", () => {
  const l = Learner.create({ task: "classification", seed: 1 });
  for (const r of new SeaStream({ seed: 1 }).take(4000)) l.observe(r.x, r.y);
  const v = l.vitals();
  assert.ok(v.prequential.accuracy! >= 0.835, `SEA accuracy ${v.prequential.accuracy}`);
  assert.deepEqual([...v.labels].sort(), [0, 1]);
  assert.equal(v.rows, 4000);
});

test("rotating hyperplane: the default learner's prequential accuracy", () => {
  const l = Learner.create({ task: "classification", seed: 1 });
  for (const r of new HyperplaneStream({ seed: 1 }).take(4000)) l.observe(r.x, r.y);
  assert.ok(
    l.vitals().prequential.accuracy! >= 0.835,
    `hyperplane accuracy ${l.vitals().prequential.accuracy}`,
  );
});

test("Friedman regression: the running target scale learns the function", () => {
  const l = Learner.create({ task: "regression", seed: 1 });
  const rows = [...new FriedmanStream({ seed: 1 }).take(4000)];
  for (const r of rows) l.observe(r.x, r.y);
  const v = l.vitals();
  // The recent mean squared error against the target's own variance (predicting the mean).
  const ys = rows.slice(-1000).map((r) => r.y);
  const mean = ys.reduce((a, b) => a + b, 0) / ys.length;
  const variance = ys.reduce((a, y) => a + (y - mean) ** 2, 0) / ys.length;
  assert.ok(v.recent.loss! < 0.2 * variance, `recent MSE ${v.recent.loss} vs variance ${variance}`);
});
