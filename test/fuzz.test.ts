import assert from "node:assert/strict";
import { test } from "node:test";
import { fuzz } from "./helpers/fuzz.js";
import { fuzzTargets } from "./helpers/fuzz-targets.js";

// A quick slice; `npm run fuzz` runs the full count (bench/fuzz.ts) and there also fails on a slow input:
// a time limit here would fail on a loaded machine rather than on a slow parser.
for (const target of fuzzTargets()) {
  test(`fuzz ${target.name}: 2,000 mutated inputs, only Homeostat's own errors`, () => {
    const r = fuzz(target, 2000, 7);
    assert.deepEqual(r.crashes, [], `${target.name}: ${JSON.stringify(r.crashes.slice(0, 3))}`);
    assert.equal(r.accepted + r.refused, 2000);
    assert.ok(r.refused > 100, "the mutations reach the error paths");
  });
}
