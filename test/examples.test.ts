/**
 * The runnable examples in examples/ run as a user runs them (`node examples/x.mjs`, importing the
 * package by its name), each seeded and short, and what they print is checked for what they claim:
 * an example that breaks, or stops showing its point, fails here. Every examples/*.mjs must be listed.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** Run one example; its output, or a failure with its stderr. */
function run(file: string, args: string[] = []): string {
  const r = spawnSync(process.execPath, [join("examples", file), ...args], {
    cwd: root,
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(r.status, 0, `${file} exited ${r.status}:\n${r.stderr}`);
  return r.stdout;
}

/** Every match of `re` in `text`, its first group as a number. */
const numbers = (text: string, re: RegExp): number[] => [...text.matchAll(re)].map((m) => Number(m[1]));

const CHECKS: Record<string, () => void> = {
  "learner-stream.mjs": () => {
    const out = run("learner-stream.mjs", ["--rows", "8000"]);
    const [accuracy] = numbers(out, /prequential accuracy ([\d.]+)%/g);
    // Noiseless SEA: a learner that works is right on >90% of unseen rows; one that does not, ~60%.
    assert.ok(accuracy > 90, out);
    // The third concept (θ = 7, from row 4,000) is the one far from the others: a drift, if the detector
    // sees one, is after it (with the default 8,000-row memory it sees none in 8,000 rows; with 1,000 it
    // saw one at row 4,736), and none is a false alarm on the first two concepts.
    const listed = out.match(/drifts at rows (none|[\d, ]+)\n/)?.[1];
    assert.ok(listed !== undefined, out);
    const drifts = listed === "none" ? [] : listed.split(", ").map(Number);
    assert.ok(
      drifts.every((row) => row > 4000),
      out,
    );
    // It follows the moves: right on >90% of the last 1,000 rows too, not only on average.
    const [recent] = numbers(out, /last \d+ rows: ([\d.]+)%/g);
    assert.ok(recent > 90, out);
    assert.match(out, /health healthy/);
  },
  "health-repair.mjs": () => {
    const out = run("health-repair.mjs");
    assert.match(out, /lrTooHigh .*\[repaired\]/);
    assert.match(out, /rollback: weights and optimiser state put back/);
    const [repaired, reported] = numbers(out, /accuracy ([\d.]+)%/g);
    assert.ok(repaired > reported, out);
    assert.match(out, /without repair: .*events: lrTooHigh/);
  },
  "continual-ewc.mjs": () => {
    const out = run("continual-ewc.mjs");
    assert.equal((out.match(/^after /gm) ?? []).length, 10, "two 5-task accuracy matrices");
    const [naive, ewc] = numbers(out, /forgetting ([\d.]+)%/g);
    assert.ok(naive > 20 && ewc < naive / 2, `naive forgets ${naive}%, EWC ${ewc}%`);
  },
  "export-onnx.mjs": () => {
    const out = run("export-onnx.mjs");
    assert.ok(numbers(out, /mse ([\d.]+)/g)[0] < 0.1, out);
    const diffs = numbers(out, /largest difference from the original over 256 rows: ([\d.e-]+)/g);
    assert.deepEqual(diffs, [0, 0, 0], "model file, ONNX and TF.js copies predict the same bits");
  },
  "plasticity-redo.mjs": () => {
    const out = run("plasticity-redo.mjs");
    const [plain, withRedo] = numbers(out, /accuracy ([\d.]+)%/g);
    assert.ok(withRedo > plain + 20, out);
    assert.match(out, /plain backprop: .*dead units [1-9]\d*%/, "biases at −3 leave dead units");
    assert.match(out, /with ReDo: .*dead units 0% \/ 0%/);
    assert.ok(numbers(out, /(\d+) units recycled/g)[0] > 0, out);
  },
  "custom-detector.mjs": () => {
    const out = run("custom-detector.mjs");
    assert.ok(numbers(out, /(\d+) spike\(s\) found/g)[0] >= 1, out);
    assert.match(out, /lossSpike: the loss jumped .*\[repaired\]/);
  },
  "backbone-digits.mjs": () => {
    const out = run("backbone-digits.mjs", ["--pretrain", "600", "--epochs", "2", "--rows", "150"]);
    const old = (name: string) => numbers(out, new RegExp(`^${name} +([\\d.]+)%`, "gm"))[0]!;
    assert.ok(old("learner") > old("naive") + 30, `replay keeps the old classes that naive forgets:\n${out}`);
    assert.match(out, /backbone hash [0-9a-f]{8}-[0-9a-f]{8}-\d+, 32-number embeddings/);
  },
  "onnx-backbone.mjs": () => {
    const out = run("onnx-backbone.mjs");
    const [diff] = numbers(out, /max \|import − ONNX Runtime\| on 4 random rows: ([\d.e+-]+)/g);
    assert.ok(diff! <= 1e-5, `the two runners agree within float32 rounding:\n${out}`);
    // Chance is 10%: both runners' learners learn the old digits well and the unseen ones far above it.
    for (const m of out.matchAll(/accuracy on held-out digits 0–4 (\d+)%, 5–9 (\d+)%/g))
      assert.ok(Number(m[1]) >= 85 && Number(m[2]) >= 40, out);
    assert.equal((out.match(/learner accuracy/g) ?? []).length, 2);
  },
  "partitioned-learners.mjs": () => {
    const out = run("partitioned-learners.mjs", ["--partitions", "2", "--rows", "1000"]);
    assert.match(out, /1000 of 1000 rows learnt once each across 2 partitions/);
    for (const m of out.matchAll(/partition \d: (\d+) of (\d+) rows.*says (\d+) rows/g))
      assert.ok(m[1] === m[2] && m[1] === m[3], m[0]);
    assert.equal((out.match(/^partition \d/gm) ?? []).length, 2);
  },
};

test("every example in examples/ has a check here", () => {
  const files = readdirSync(join(root, "examples")).filter((f) => f.endsWith(".mjs"));
  assert.deepEqual(files.sort(), Object.keys(CHECKS).sort());
});

for (const [file, check] of Object.entries(CHECKS)) test(`examples/${file} runs and shows its point`, check);
