import assert from "node:assert/strict";
import { test } from "node:test";
import { MNIST_DEMO_CONFIG } from "../src/cli/main.js";
import { parseRunConfig } from "../src/cli/config.js";
import { chainTransforms, randomFlip, randomShift } from "../src/data/transforms.js";
import { augmentation } from "../src/run/observers.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

/** A stream that hands out the given draws: int(n) the next integer, next() the next fraction. */
function scripted(ints: number[], fractions: number[] = []): Rng {
  return { int: () => ints.shift()!, next: () => fractions.shift()! } as unknown as Rng;
}

test("randomShift moves a 3×2 two-channel image right 1 and up 1, zeros where nothing came from", () => {
  // Pixel (y, x) holds [10·y + x, −(10·y + x)]; width 2, height 3.
  const img = Float32Array.from([0, 1, 10, 11, 20, 21].flatMap((v) => [v, -v]));
  // int(3) − 1: dx = 2 − 1 = 1 (right), dy = 0 − 1 = −1 (up).
  randomShift(2, 3, 1, 2)(img, 1, 12, scripted([2, 0]));
  // New (y, x) = old (y + 1, x − 1): column 0 and the bottom row are uncovered.
  assert.deepEqual(Array.from(img), [0, 0, 10, -10, 0, 0, 20, -20, 0, 0, 0, 0]);
});

test("randomShift on one channel gives the bits of the direct per-pixel loop", () => {
  const rng = new Rng(5);
  const batch = Float32Array.from({ length: 4 * 784 }, () => rng.next());
  const want = batch.slice();
  const draws = new Rng(9);
  const tmp = new Float32Array(784);
  for (let r = 0; r < 4; r++) {
    const dx = draws.int(5) - 2;
    const dy = draws.int(5) - 2;
    tmp.fill(0);
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const [sy, sx] = [y - dy, x - dx];
        if (sy >= 0 && sy < 28 && sx >= 0 && sx < 28) tmp[y * 28 + x] = want[r * 784 + sy * 28 + sx];
      }
    if (dx !== 0 || dy !== 0) want.set(tmp, r * 784);
  }
  randomShift(28, 28, 2)(batch, 4, 784, new Rng(9));
  assert.deepEqual(batch, want);
});

test("randomFlip mirrors the rows whose draw is below ½, channels kept together", () => {
  // Two 1×3 images of two channels; the first is flipped (draw 0.2), the second not (0.7).
  const batch = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
  randomFlip(3, 1, 2)(batch, 2, 6, scripted([], [0.2, 0.7]));
  assert.deepEqual(Array.from(batch), [5, 6, 3, 4, 1, 2, 7, 8, 9, 10, 11, 12]);
});

test("chained transforms run in order from one stream; a wrong row width names the image size", () => {
  const batch = Float32Array.of(1, 2, 3, 4);
  chainTransforms(randomFlip(2, 2), randomShift(2, 2, 1))(batch, 1, 4, scripted([1, 2], [0.1]));
  // Flipped to [2, 1, 4, 3], then shifted down 1 (dx 0, dy 1).
  assert.deepEqual(Array.from(batch), [0, 0, 2, 1]);
  assert.throws(() => randomShift(28, 28, 2, 3)(new Float32Array(784), 1, 784, new Rng(1)), /28×28×3/);
});

test("a run config's augment takes channels and flip; a flip that is not a boolean is refused by name", () => {
  const base = { ...MNIST_DEMO_CONFIG, out: undefined };
  const cfg = parseRunConfig({ ...base, augment: { shift: 1, channels: 1, flip: true } }, ".", "runs/x");
  // Sides left out stay unset: they come from the data's image shape when training starts.
  assert.deepEqual(cfg.augment, {
    shift: 1,
    rotate: 0,
    scale: 0,
    width: undefined,
    height: undefined,
    channels: 1,
    flip: true,
  });
  assert.deepEqual(parseRunConfig(base, ".", "runs/x").augment, {
    shift: 2,
    rotate: 0,
    scale: 0,
    width: undefined,
    height: undefined,
    channels: undefined,
    flip: false,
  });
  assert.throws(
    () => parseRunConfig({ ...base, augment: { shift: 1, flip: "yes" } }, ".", "runs/x"),
    (e: unknown) => e instanceof ConfigError && /augment\.flip/.test(`${e.message} ${JSON.stringify(e)}`),
  );
});

test("augment without rotate or scale is the shifts alone, to the bit (flip after)", () => {
  const rng = new Rng(2);
  const batch = Float32Array.from({ length: 3 * 784 }, () => rng.next());
  const [a, b] = [batch.slice(), batch.slice()];
  augmentation({ shift: 2, rotate: 0, scale: 0, flip: true })(a, 3, 784, new Rng(4));
  chainTransforms(randomShift(28, 28, 2), randomFlip(28, 28))(b, 3, 784, new Rng(4));
  assert.deepEqual(a, b);
});
