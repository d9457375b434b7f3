import type { Rng } from "../tensor/rng.js";

/**
 * A transform applied to each training batch after it is gathered (a fresh copy, so it may be changed
 * in place). Runs in training only, from its own seeded stream.
 */
export type BatchTransform = (batch: Float32Array, rows: number, cols: number, rng: Rng) => void;

/**
 * Shift each image by a random whole number of pixels in [−maxShift, maxShift] along each axis,
 * filling the uncovered border with zeros: the classic augmentation for digit images (LeCun et al.
 * 1998 used distortions of this kind), which lets a small MLP generalise from a few thousand digits.
 *
 * @example
 * fit(model, data, { ...opts, augment: randomShift(28, 28, 2) });
 */
export function randomShift(width: number, height: number, maxShift: number): BatchTransform {
  const tmp = new Float32Array(width * height);
  return (batch, rows, cols, rng) => {
    if (cols !== width * height)
      throw new Error(`randomShift: rows have ${cols} values, expected ${width}×${height}`);
    for (let r = 0; r < rows; r++) {
      const dx = rng.int(2 * maxShift + 1) - maxShift;
      const dy = rng.int(2 * maxShift + 1) - maxShift;
      if (dx === 0 && dy === 0) continue;
      const off = r * cols;
      tmp.fill(0);
      for (let y = 0; y < height; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= height) continue;
        for (let x = 0; x < width; x++) {
          const sx = x - dx;
          if (sx >= 0 && sx < width) tmp[y * width + x] = batch[off + sy * width + sx];
        }
      }
      batch.set(tmp, off);
    }
  };
}
