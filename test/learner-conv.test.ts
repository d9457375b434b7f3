/**
 * A learner whose hidden stack is convolutional: rows of 8×8 pixels read as [8, 8, 1] images, conv and
 * pool layers given as a run config gives them, flattened before the growing head.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Learner, type LearnerConfig, type LearnerState } from "../src/learner/index.js";
import { HomeostatError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

const CONFIG: LearnerConfig = {
  task: "classification",
  inputShape: [8, 8, 1],
  hidden: [
    { type: "conv2d", filters: 4, kernel: 3, activation: "relu" },
    { type: "batchNorm" },
    { type: "maxPool2d", pool: 2 },
    { type: "flatten" },
    16,
  ],
  seed: 2,
  batch: 4,
  optimizer: { type: "adam", lr: 0.005 },
};

/** A bright 2×2 blob in one of three columns of bands (left, middle, right) on a noisy 8×8 image. */
function image(i: number): { x: number[]; y: string } {
  const r = new Rng(100 + i);
  const k = i % 3;
  const x = Array.from({ length: 64 }, () => 0.1 * r.normal());
  const row = r.int(7);
  const col = [0, 3, 6][k];
  for (const [dr, dc] of [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ])
    x[(row + dr) * 8 + col + dc] += 1;
  return { x, y: ["left", "middle", "right"][k] };
}

const timeless = (s: LearnerState): LearnerState => ({ ...s, seconds: 0 });

test("a conv hidden stack: rows read as [8, 8, 1] images, flattened before a head that grows", () => {
  const l = Learner.create(CONFIG);
  const m = l.network!;
  assert.deepEqual(m.inputShape, [8, 8, 1]);
  assert.deepEqual(
    m.layers.map((layer) => layer.type),
    ["conv2d", "batchNorm", "maxPool2d", "flatten", "dense", "dense"],
  );
  let right = 0;
  for (let i = 0; i < 600; i++) {
    const { x, y } = image(i);
    const p = l.observe(x, y) as { label: string };
    if (i >= 450 && p.label === y) right++;
  }
  assert.equal(m.outputDim, 3, "three labels grew the head to three units");
  // Chance is 1/3; the blob's column decides the label, which a 3×3 filter sees at once.
  assert.ok(right / 150 > 0.9, `prequential accuracy on rows 450–599: ${right / 150}`);
});

test("a conv learner saved and restored continues bit-identically, batch norm's statistics included", () => {
  const a = Learner.create(CONFIG);
  const b = Learner.create(CONFIG);
  for (let i = 0; i < 200; i++) {
    const { x, y } = image(i);
    a.observe(x, y);
    b.observe(x, y);
  }
  const saved = structuredClone(b.getState());
  assert.deepEqual(Object.keys(saved.network!.buffers!), ["1.runningMean", "1.runningVar"]);
  assert.ok(
    saved.network!.buffers!["1.runningVar"].some((v) => v !== 1),
    "the statistics moved",
  );
  const c = Learner.fromState(saved);
  for (let i = 200; i < 300; i++) {
    const { x, y } = image(i);
    assert.deepEqual(c.observe(x, y), a.observe(x, y));
  }
  assert.deepEqual(timeless(c.getState()), timeless(a.getState()));
});

test("a conv stack's mistakes name learner.hidden or learner.inputShape", () => {
  const conv = { type: "conv2d", filters: 2, kernel: 3 };
  const bad: [LearnerConfig, RegExp][] = [
    [
      { task: "classification", inputs: 64, hidden: [conv] },
      /learner\.hidden\[0\]: conv2d: needs samples shaped \[height, width, channels\], got 64 flat.*given learner\.inputShape, e\.g\. \[28, 28, 1\]/,
    ],
    [
      { task: "classification", inputShape: [2, 2, 1], hidden: [conv] },
      /learner\.hidden\[0\]: conv2d: its 3×3 window .* is larger than its input 2×2/,
    ],
    [
      { task: "classification", inputs: 63, inputShape: [8, 8, 1], hidden: [conv] },
      /learner\.inputShape: \[8, 8, 1\] holds 64 values but learner\.inputs is 63/,
    ],
    [{ task: "classification", hidden: [{ type: "conv3d" }] }, /learner\.hidden\[0\]\.type/],
    [{ task: "classification", hidden: [{ ...conv, filters: 0 }] }, /learner\.hidden\[0\]\.filters/],
    [{ task: "classification", hidden: ["8" as never] }, /learner\.hidden\[0\]: expected a positive integer/],
  ];
  for (const [cfg, message] of bad)
    assert.throws(
      () => Learner.create(cfg),
      (e: unknown) => e instanceof HomeostatError && message.test(e.message),
      String(message),
    );
});
