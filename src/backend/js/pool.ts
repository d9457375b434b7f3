/**
 * Max pooling in one pass each way: the composite `max(im2col(x, −∞, taps), 0)` and its gradient (the
 * equality mask over the window, shared among ties, times the incoming gradient, added back by col2im)
 * without the [taps, rows, channels] arrays between them. Each value is computed and rounded as the
 * composite's primitives compute and round it, in the same order, so both give the same bits.
 */
import type { ConvGeometry } from "../backend.js";
import type { Data } from "../../tensor/tensor.js";
import { tapMap } from "./conv.js";

/**
 * out [batch, outH, outW, channels] ← the largest value of each window of x, channel by channel
 * (padding reads −∞; a NaN wins and stays, as in the js reduction).
 *
 * @example
 * maxPool(x, windowGeometry([n, 28, 28, c], { kernel: [2, 2], stride: [2, 2] }), out);
 */
export function maxPool(x: Data, g: ConvGeometry, out: Data): void {
  const map = tapMap({ ...g, groups: 1 });
  const taps = g.kernelH * g.kernelW;
  const c = g.channels;
  const rows = map.length / taps;
  out.fill(-Infinity);
  for (let row = 0; row < rows; row++) {
    const o = row * c;
    for (let t = 0; t < taps; t++) {
      const base = map[row * taps + t];
      for (let ch = 0; ch < c; ch++) {
        const v = base < 0 ? -Infinity : x[base + ch];
        if (v > out[o + ch] || Number.isNaN(v)) out[o + ch] = v;
      }
    }
  }
}

/**
 * dx [batch, height, width, channels] ← the gradient of `maxPool` for the incoming gradient gOut: each
 * window's entries equal to its maximum `y` get gOut/(their count), rounded as div then mul round, and
 * are added where they were read, window by window and tap by tap (col2im's order).
 *
 * @example
 * maxPoolBackward(x, y, dy, geometry, dx);
 */
export function maxPoolBackward(x: Data, y: Data, gOut: Data, g: ConvGeometry, dx: Data): void {
  const map = tapMap({ ...g, groups: 1 });
  const taps = g.kernelH * g.kernelW;
  const c = g.channels;
  const rows = map.length / taps;
  // Per channel of a window, what a maximal entry and any other entry receive: share = mask / count
  // and share · gOut, each stored (so rounded) in dx's precision as the composite's arrays round them.
  const like = dx.constructor as new (n: number) => Data;
  const [counts, share, toMax, toOther] = [new Float64Array(c), new like(c), new like(c), new like(c)];
  dx.fill(0);
  for (let row = 0; row < rows; row++) {
    const o = row * c;
    const fields = row * taps;
    counts.fill(0);
    for (let t = 0; t < taps; t++) {
      const base = map[fields + t];
      for (let ch = 0; ch < c; ch++) if ((base < 0 ? -Infinity : x[base + ch]) === y[o + ch]) counts[ch]++;
    }
    for (let ch = 0; ch < c; ch++) {
      share[ch] = 1 / counts[ch];
      toMax[ch] = share[ch] * gOut[o + ch];
      share[ch] = 0 / counts[ch]; // 0, or NaN for a window with no maximal entry (a NaN maximum)
      toOther[ch] = share[ch] * gOut[o + ch];
    }
    for (let t = 0; t < taps; t++) {
      const base = map[fields + t];
      if (base < 0) continue;
      for (let ch = 0; ch < c; ch++) dx[base + ch] += x[base + ch] === y[o + ch] ? toMax[ch] : toOther[ch];
    }
  }
}
