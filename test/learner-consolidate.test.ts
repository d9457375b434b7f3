import { test } from "node:test";
import assert from "node:assert/strict";
import { CONSOLIDATORS } from "../src/learner/consolidation.js";
import { Learner, type LearnerState } from "../src/learner/index.js";
import { ConfigError } from "../src/tensor/errors.js";

/** Two concepts: label x0 > x1 for 600 rows, then x0 < x1 (an abrupt drift), with label 2 from row 900. */
function rows(): { x: number[]; y: number }[] {
  let s = 17;
  const r = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: 1400 }, (_, i) => {
    const x = [r(), r(), r()];
    const y = i < 600 ? Number(x[0] > x[1]) : Number(x[0] < x[1]);
    return { x, y: i >= 900 && x[2] > 0.85 ? 2 : y };
  });
}

const timeless = (s: LearnerState) => ({ ...s, seconds: 0 });
const weights = (l: Learner) => l.network!.parameters().map(([, t]) => Float32Array.from(t.data));

for (const type of CONSOLIDATORS) {
  test(`${type}, task-free: consolidated at the detected drift, across a grown head, resumed bit-identically`, () => {
    const config = { task: "classification" as const, hidden: [16], seed: 2, replay: 2, consolidate: type };
    const data = rows();
    const a = Learner.create(config);
    const plain = Learner.create({ ...config, consolidate: "none" });
    let b: Learner | null = null;
    data.forEach(({ x, y }, i) => {
      a.observe(x, y);
      plain.observe(x, y);
      if (i === 1000) b = Learner.fromState(a.getState());
      else if (b) b.observe(x, y);
    });
    const v = a.vitals();
    assert.ok(
      v.drifts.some((d) => d.row > 600 && d.row < 800),
      JSON.stringify(v.drifts.map((d) => d.row)),
    );
    assert.ok(v.consolidations >= 1);
    assert.deepEqual([...v.labels].sort(), [0, 1, 2]);
    assert.deepEqual(timeless(b!.getState()), timeless(a.getState()));
    // The consolidation acts: the weights part from the same learner without it.
    assert.notDeepEqual(weights(a), weights(plain));
    assert.ok(weights(a).every((w) => w.every(Number.isFinite)));
  });
}

test("consolidate: a strategy without boundaries, or an unknown one, names the field", () => {
  for (const bad of ["replay", "agem", "bogus", { type: "si", nope: 1 }])
    assert.throws(
      () => Learner.create({ task: "classification", consolidate: bad as string }),
      (e: unknown) => e instanceof ConfigError && /learner\.consolidate/.test(e.message),
    );
  const l = Learner.create({ task: "classification", consolidate: { type: "si", c: 0.5 } });
  assert.deepEqual(l.config.consolidate, {
    type: "si",
    options: { c: 0.5, xi: l.config.consolidate!.options.xi },
  });
  assert.deepEqual(Learner.fromState(l.getState()).config, l.config);
});
