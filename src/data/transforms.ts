import type { Rng } from "../tensor/rng.js";

/**
 * A transform applied to each training batch after it is gathered (a fresh copy, so it may be changed
 * in place). Runs in training only, from its own seeded stream.
 */
export type BatchTransform = (batch: Float32Array, rows: number, cols: number, rng: Rng) => void;

/** A row's values must be one height × width × channels image (channels last). */
function checkImage(name: string, cols: number, width: number, height: number, channels: number): void {
  if (cols !== width * height * channels)
    throw new Error(`${name}: rows have ${cols} values, expected ${width}×${height}×${channels}`);
}

/**
 * Shift each image by a random whole number of pixels in [−maxShift, maxShift] along each axis,
 * filling the uncovered border with zeros: the classic augmentation for digit images (LeCun et al.
 * 1998 used distortions of this kind), which lets a small MLP generalise from a few thousand digits.
 * Rows are channels-last images [height, width, channels] (one channel by default), flat.
 *
 * @example
 * fit(model, data, { ...opts, augment: randomShift(28, 28, 2) });
 */
export function randomShift(width: number, height: number, maxShift: number, channels = 1): BatchTransform {
  const tmp = new Float32Array(width * height * channels);
  return (batch, rows, cols, rng) => {
    checkImage("randomShift", cols, width, height, channels);
    for (let r = 0; r < rows; r++) {
      const dx = rng.int(2 * maxShift + 1) - maxShift;
      const dy = rng.int(2 * maxShift + 1) - maxShift;
      if (dx === 0 && dy === 0) continue;
      const off = r * cols;
      tmp.fill(0);
      for (let y = 0; y < height; y++) {
        const sy = y - dy;
        if (sy < 0 || sy >= height) continue;
        // The pixels of row y whose source column sx = x − dx lies inside, channels and all.
        const x0 = Math.max(0, dx);
        const x1 = Math.min(width, width + dx);
        if (x1 <= x0) continue;
        const src = off + (sy * width + x0 - dx) * channels;
        tmp.set(batch.subarray(src, src + (x1 - x0) * channels), (y * width + x0) * channels);
      }
      batch.set(tmp, off);
    }
  };
}

/** How far `randomAffine` may turn and zoom: up to `rotate` degrees either way, a factor in 1 ± `scale`. */
export interface AffineRange {
  rotate: number;
  scale: number;
}

/**
 * One channels-last image turned anticlockwise (as displayed, row 0 at the top) by `degrees` and zoomed
 * by `zoom` about its centre, into `out`: each output pixel reads its source point bilinearly, zeros
 * outside the image. 90° on a square image moves pixel (y, x) to (w − 1 − x, y) exactly.
 *
 * @example
 * const img = new Float32Array(28 * 28);
 * const out = new Float32Array(28 * 28);
 * affineImage(img, out, 28, 28, 1, 10, 1.1); // out: img turned 10° and 10% larger
 */
export function affineImage(
  img: Float32Array,
  out: Float32Array,
  width: number,
  height: number,
  channels: number,
  degrees: number,
  zoom: number,
): void {
  const t = (degrees * Math.PI) / 180;
  // Output offset (u, v) from the centre reads source offset R(t)·(u, v) / zoom (y grows downwards).
  const cos = Math.cos(t) / zoom;
  const sin = Math.sin(t) / zoom;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  // Channel c of pixel (x, y), zero outside the image.
  const at = (x: number, y: number, c: number) =>
    x < 0 || y < 0 || x >= width || y >= height ? 0 : img[(y * width + x) * channels + c];
  out.fill(0);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const sx = cx + cos * (x - cx) - sin * (y - cy);
      const sy = cy + sin * (x - cx) + cos * (y - cy);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * width + x) * channels;
      for (let c = 0; c < channels; c++) {
        const top = at(x0, y0, c) * (1 - fx) + at(x0 + 1, y0, c) * fx;
        const bottom = at(x0, y0 + 1, c) * (1 - fx) + at(x0 + 1, y0 + 1, c) * fx;
        out[o + c] = top * (1 - fy) + bottom * fy;
      }
    }
}

/**
 * Turn each image by a random angle in [−rotate, rotate] degrees and zoom it by a random factor in
 * [1 − scale, 1 + scale] about its centre, bilinear, zeros outside (two uniform draws a row, angle
 * first): small rotations and size changes are among the distortions LeCun et al. (1998) and Simard et
 * al. (2003) trained digit recognisers on. Rows are channels-last images [height, width, channels], flat.
 *
 * @example
 * fit(model, data, { ...opts, augment: randomAffine(28, 28, { rotate: 10, scale: 0.1 }) });
 */
export function randomAffine(
  width: number,
  height: number,
  range: AffineRange,
  channels = 1,
): BatchTransform {
  const out = new Float32Array(width * height * channels);
  return (batch, rows, cols, rng) => {
    checkImage("randomAffine", cols, width, height, channels);
    for (let r = 0; r < rows; r++) {
      const degrees = rng.uniform(-range.rotate, range.rotate);
      const zoom = rng.uniform(1 - range.scale, 1 + range.scale);
      const img = batch.subarray(r * cols, (r + 1) * cols);
      affineImage(img, out, width, height, channels, degrees, zoom);
      img.set(out);
    }
  };
}

/**
 * Mirror each image left to right with probability ½ (one draw per row): the usual augmentation for
 * natural images, whose classes do not change under a horizontal flip (digits do: not for MNIST).
 *
 * @example
 * fit(model, data, { ...opts, augment: chainTransforms(randomShift(32, 32, 4, 3), randomFlip(32, 32, 3)) });
 */
export function randomFlip(width: number, height: number, channels = 1): BatchTransform {
  return (batch, rows, cols, rng) => {
    checkImage("randomFlip", cols, width, height, channels);
    for (let r = 0; r < rows; r++) {
      if (rng.next() >= 0.5) continue;
      for (let y = 0; y < height; y++) {
        const line = r * cols + y * width * channels;
        for (let x = 0; x < width >> 1; x++) {
          const a = line + x * channels;
          const b = line + (width - 1 - x) * channels;
          for (let c = 0; c < channels; c++) {
            const t = batch[a + c];
            batch[a + c] = batch[b + c];
            batch[b + c] = t;
          }
        }
      }
    }
  };
}

/**
 * The transforms applied one after another, each drawing from the same stream in turn.
 *
 * @example
 * chainTransforms(randomShift(28, 28, 2), randomFlip(28, 28));
 */
export function chainTransforms(...transforms: BatchTransform[]): BatchTransform {
  return (batch, rows, cols, rng) => {
    for (const t of transforms) t(batch, rows, cols, rng);
  };
}
