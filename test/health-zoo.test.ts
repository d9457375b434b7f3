import assert from "node:assert/strict";
import { test } from "node:test";
import { runZooCase, ZOO, type ZooResult } from "./helpers/health-zoo.js";

// The zoo of issue 3, run with repair on (detection comes before any repair, so one run shows both).
const results = new Map<string, ZooResult>();
const run = (name: string): ZooResult => {
  if (!results.has(name)) results.set(name, runZooCase(ZOO.find((c) => c.name === name)!, { repair: true }));
  return results.get(name)!;
};

test("the zoo has at least 10 broken and 5 healthy configurations", () => {
  assert.ok(ZOO.filter((c) => c.expected).length >= 10);
  assert.ok(ZOO.filter((c) => !c.expected).length >= 5);
});

for (const c of ZOO.filter((z) => !z.expected)) {
  test(`healthy: ${c.name} — zero events`, () => {
    const r = run(c.name);
    assert.deepEqual(
      r.events.map((e) => `${e.kind}@${e.step}`),
      [],
    );
  });
}

for (const c of ZOO.filter((z) => z.expected)) {
  test(`broken: ${c.name} — detected as ${c.expected}${c.twin ? `, repaired to within 2 points of "${c.twin}"` : ""}`, () => {
    const r = run(c.name);
    assert.equal(r.firstKind, c.expected, r.events.map((e) => `${e.kind}@${e.step}`).join(", "));
    if (c.twin) {
      assert.ok(r.repaired, "repaired");
      assert.equal(r.failed, undefined);
      const healthy = run(c.twin).accuracy;
      assert.ok(r.accuracy >= healthy - 0.02, `accuracy ${r.accuracy} vs healthy ${healthy}`);
    }
  });
}
