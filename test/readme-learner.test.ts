/**
 * The README's learner example prints the figures it shows: run its code (4,000 SEA rows, seed 1) and
 * read the numbers out of README.md's comment, so a change of default that moves them fails here
 * instead of leaving the front page stale.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Learner, SeaStream, useBackend } from "../src/node.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("the README's learner example shows the accuracy and loss the code gives", () => {
  const readme = readFileSync(`${ROOT}README.md`, "utf8");
  const shown = readme.match(
    /learner\.vitals\(\)\.prequential;\s*\/\/ \{ rows: (\d+), accuracy: ([\d.]+), loss: ([\d.]+) \}/,
  );
  assert.ok(shown, "README.md: the learner example's prequential comment was not found");
  const [, rows, accuracy, loss] = shown;
  assert.match(
    readme,
    /useBackend\("auto"\);/,
    "README.md: the learner example no longer picks the wasm backend",
  );
  useBackend("auto");
  const learner = Learner.create({ task: "classification", seed: 1 });
  for (const { x, y } of new SeaStream({ seed: 1 }).take(Number(rows))) learner.observe(x, y);
  const p = learner.vitals().prequential;
  assert.equal(p.rows, Number(rows));
  // The README rounds: the figures must agree to the digits it shows.
  const digits = (s: string) => s.split(".")[1]?.length ?? 0;
  assert.equal((p.accuracy ?? Number.NaN).toFixed(digits(accuracy)), accuracy);
  assert.equal((p.loss ?? Number.NaN).toFixed(digits(loss)), loss);
  assert.equal(learner.vitals().health.status, "healthy");
});
