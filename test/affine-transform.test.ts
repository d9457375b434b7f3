/**
 * `randomAffine` and the `affineImage` it draws for, against closed forms: a quarter turn of a square
 * image moves each pixel exactly, a zoom of a linear ramp is the ramp stretched about the centre (bilinear
 * interpolation of a linear function is exact), and no turn and no zoom leaves the bits.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MNIST_DEMO_CONFIG } from "../src/cli/main.js";
import { parseRunConfig } from "../src/cli/config.js";
import { affineImage, randomAffine } from "../src/data/transforms.js";
import { augmentation } from "../src/run/observers.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

/** A 4×4 image of two channels: pixel (y, x) holds [10·y + x, −(10·y + x)]. */
const square = () =>
  Float32Array.from(
    Array.from({ length: 16 }, (_, i) => 10 * Math.floor(i / 4) + (i % 4)).flatMap((v) => [v, -v]),
  );

test("a 90° turn moves pixel (y, x) of a square image to (3 − x, y), anticlockwise as displayed", () => {
  const out = new Float32Array(32);
  affineImage(square(), out, 4, 4, 2, 90, 1);
  // By hand: the top row 0 1 2 3 becomes the left column read upwards: out(y, x) = in(x, 3 − y).
  const want = Array.from({ length: 16 }, (_, i) => {
    const [y, x] = [Math.floor(i / 4), i % 4];
    return 10 * x + (3 - y);
  }).flatMap((v) => [v, -v]);
  for (let i = 0; i < 32; i++)
    assert.ok(Math.abs(out[i] - want[i]) < 1e-5, `value ${i}: ${out[i]} ≠ ${want[i]}`);
  const corners = [0, 3, 12, 15].map((p) => Math.round(out[2 * p]));
  assert.deepEqual(
    corners,
    [3, 33, 0, 30],
    "corners: top-left ← top-right, top-right ← bottom-right, bottom-left ← top-left, …",
  );
});

test("no turn and no zoom gives the image back, bit for bit", () => {
  const img = square();
  const out = new Float32Array(32);
  affineImage(img, out, 4, 4, 2, 0, 1);
  assert.deepEqual(out, img);
});

test("a zoom of 2 stretches a ramp about the centre; what came from outside is zero", () => {
  // A 1-channel 6×6 ramp: value = x. Centre 2.5; zoom 2 reads source x at 2.5 + (x − 2.5) / 2.
  const img = Float32Array.from({ length: 36 }, (_, i) => i % 6);
  const out = new Float32Array(36);
  affineImage(img, out, 6, 6, 1, 0, 2);
  for (let x = 0; x < 6; x++) assert.ok(Math.abs(out[2 * 6 + x] - (2.5 + (x - 2.5) / 2)) < 1e-6);
  // Zoom ½ reads source x at 2.5 + 2·(x − 2.5): x = 0 reads −2.5, outside (0); x = 3 reads 3.5.
  affineImage(img, out, 6, 6, 1, 0, 0.5);
  assert.equal(out[2 * 6], 0);
  assert.ok(Math.abs(out[2 * 6 + 3] - 3.5) < 1e-6);
});

test("randomAffine draws the angle, then the zoom, for each row: the same seed, the same bits", () => {
  const rng = new Rng(7);
  const batch = Float32Array.from({ length: 3 * 784 }, () => rng.next());
  const [a, b] = [batch.slice(), batch.slice()];
  const t = randomAffine(28, 28, { rotate: 15, scale: 0.1 });
  t(a, 3, 784, new Rng(11));
  t(b, 3, 784, new Rng(11));
  assert.deepEqual(a, b);
  const draws = new Rng(11);
  const out = new Float32Array(784);
  for (let r = 0; r < 3; r++) {
    const degrees = draws.uniform(-15, 15);
    affineImage(batch.subarray(r * 784, (r + 1) * 784), out, 28, 28, 1, degrees, draws.uniform(0.9, 1.1));
    assert.deepEqual(a.subarray(r * 784, (r + 1) * 784), out, `row ${r}`);
  }
  t(b, 3, 784, new Rng(12));
  assert.notDeepEqual(a, b, "another seed, other turns");
  assert.throws(() => t(new Float32Array(100), 1, 100, new Rng(1)), /randomAffine: rows have 100 values/);
});

test("a run config's augment takes rotate and scale; out-of-range values are refused by name", () => {
  const base = { ...MNIST_DEMO_CONFIG, out: undefined };
  const cfg = parseRunConfig({ ...base, augment: { rotate: 10, scale: 0.1 } }, ".", "runs/x");
  assert.deepEqual([cfg.augment?.shift, cfg.augment?.rotate, cfg.augment?.scale], [0, 10, 0.1]);
  for (const [augment, field, why] of [
    [{ shift: 2, rotate: 200 }, "augment.rotate", "≤ 180"],
    [{ shift: 2, rotate: -5 }, "augment.rotate", "≥ 0"],
    [{ shift: 2, scale: 0.8 }, "augment.scale", "≤ 0.5"],
    [{ shift: 2, scale: "big" }, "augment.scale", "a number"],
  ] as const)
    assert.throws(
      () => parseRunConfig({ ...base, augment }, ".", "runs/x"),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith(field) && e.message.includes(why),
    );
});

test("augment with rotate only turns the images and draws no shifts", () => {
  const rng = new Rng(3);
  const batch = Float32Array.from({ length: 2 * 784 }, () => rng.next());
  const [a, b] = [batch.slice(), batch.slice()];
  augmentation({ shift: 0, rotate: 20, scale: 0, flip: false })(a, 2, 784, new Rng(5));
  randomAffine(28, 28, { rotate: 20, scale: 0 })(b, 2, 784, new Rng(5));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, batch);
});
