/**
 * Downsampling for charts: a line of a million points draws no better than one point per pixel, so a
 * series is cut into at most `maxPoints` buckets, each drawn as its mean with a min–max band. Spikes
 * survive (they widen the band) and the drawing stays small however long the run was.
 */

/** A drawable series: x, the line, and optionally a band (lo ≤ y ≤ hi). NaN breaks the line. */
export interface Envelope {
  x: number[];
  y: number[];
  lo?: number[];
  hi?: number[];
}

/**
 * At most `maxPoints` points of (x, y), with min–max bands from `lo`/`hi` (or from y itself).
 *
 * @example
 * envelope(steps, losses, 600); // { x: [...600], y: [...600 means], lo: [...], hi: [...] }
 */
export function envelope(
  x: readonly number[],
  y: readonly number[],
  maxPoints: number,
  lo?: readonly number[],
  hi?: readonly number[],
): Envelope {
  const n = Math.min(x.length, y.length);
  if (n <= maxPoints) {
    return { x: x.slice(0, n), y: y.slice(0, n), lo: lo?.slice(0, n), hi: hi?.slice(0, n) };
  }
  const out: Required<Envelope> = { x: [], y: [], lo: [], hi: [] };
  for (let b = 0; b < maxPoints; b++) {
    const start = Math.floor((b * n) / maxPoints);
    const end = Math.floor(((b + 1) * n) / maxPoints);
    let sum = 0,
      count = 0,
      min = Infinity,
      max = -Infinity;
    for (let i = start; i < end; i++) {
      const v = y[i];
      if (!Number.isFinite(v)) continue;
      sum += v;
      count++;
      const l = lo && Number.isFinite(lo[i]) ? lo[i] : v;
      const h = hi && Number.isFinite(hi[i]) ? hi[i] : v;
      if (l < min) min = l;
      if (h > max) max = h;
    }
    out.x.push(x[end - 1]);
    out.y.push(count ? sum / count : NaN);
    out.lo.push(count ? min : NaN);
    out.hi.push(count ? max : NaN);
  }
  return out;
}
