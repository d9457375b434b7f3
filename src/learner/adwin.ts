/** The ADWIN drift detector (see drift.ts for what the learner does with it). */
import { type OptionSpec, type ParsedOptions, parseOptions } from "../config/options.js";
import { type DriftDetector, type DriftEvidence, fmt, requireFinite } from "./drift-evidence.js";

/** Options of ADWIN; the defaults are River's and MOA's. */
export const ADWIN_OPTIONS = {
  delta: {
    kind: "number",
    min: 0,
    minExclusive: true,
    max: 1,
    maxExclusive: true,
    default: 0.002,
    doc: "Confidence: the chance of a false cut is at most about delta.",
  },
  clock: {
    kind: "number",
    min: 1,
    integer: true,
    default: 32,
    doc: "Test for a cut every this many values.",
  },
  maxBuckets: {
    kind: "number",
    min: 2,
    integer: true,
    default: 5,
    doc: "Buckets of each size kept before merging.",
  },
  minWindowLength: {
    kind: "number",
    min: 1,
    integer: true,
    default: 5,
    doc: "Fewest values on each side of a cut.",
  },
  gracePeriod: { kind: "number", min: 0, integer: true, default: 10, doc: "Values before the first test." },
} as const satisfies Record<string, OptionSpec>;

/**
 * Options of `Adwin`: `delta` (the confidence of a detected change), `clock`, `maxBuckets`,
 * `minWindowLength`, `gracePeriod`; each one's default and meaning are in its schema.
 */
export type AdwinOptions = Partial<ParsedOptions<typeof ADWIN_OPTIONS>>;

/** Buckets of one size (2^row values each), oldest first: their sums and sums of squared deviations. */
export interface AdwinRow {
  totals: number[];
  variances: number[];
}

/** ADWIN's whole state as plain data: `driftDetectorFromState` continues from it exactly. */
export interface AdwinState {
  kind: "adwin";
  options: Required<AdwinOptions>;
  step: number;
  detections: number;
  last: DriftEvidence | null;
  /** Row i holds buckets of 2^i values; row 0 is the newest. */
  rows: AdwinRow[];
  width: number;
  total: number;
  /** Sum of squared deviations from the window's mean (divide by width for the variance). */
  variance: number;
}

/**
 * ADWIN's cut threshold (Bifet & Gavaldà 2007, as MOA and River compute it): two sub-windows of n0 and
 * n1 values from a window of `width` values with variance `windowVariance` differ when their means differ
 * by more than `sqrt(2·(1/m0 + 1/m1)·σ²·d) + (2/3)·d·(1/m0 + 1/m1)`, where `d = ln(2·ln(width)/delta)`
 * and `mi = ni − minWindowLength + 1`.
 *
 * @example
 * adwinBound(50, 50, 100, 0.25, 0.002, 5); // ≈ 0.35: a smaller difference of means is not a drift
 */
export function adwinBound(
  n0: number,
  n1: number,
  width: number,
  windowVariance: number,
  delta: number,
  minWindowLength: number,
): number {
  const d = Math.log((2 * Math.log(width)) / delta);
  const mRecip = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1);
  return Math.sqrt(2 * mRecip * windowVariance * d) + (2 / 3) * d * mRecip;
}

interface Cut {
  n0: number;
  n1: number;
  diff: number;
  bound: number;
}

/**
 * ADWIN, adaptive windowing (Bifet & Gavaldà 2007, "Learning from Time-Changing Data with Adaptive
 * Windowing"): keeps the longest recent window in which no two sub-windows have significantly different
 * means, as an exponential histogram (at most `maxBuckets` buckets of each size 1, 2, 4, …, so memory
 * and time are O(log width)). Every `clock` values it tests each bucket boundary; at a cut it drops the
 * oldest bucket and tests again, and reports a drift.
 *
 * @example
 * const errors = [0, 0, 1, 0, 0, 1, 1, 1, 1, 1]; // the prequential 0/1 error, row by row
 * const adwin = new Adwin({ delta: 0.002 });
 * for (const err of errors) if (adwin.update(err)) console.log(adwin.last?.message);
 */
export class Adwin implements DriftDetector {
  readonly kind = "adwin";
  private s: AdwinState;

  constructor(options: AdwinOptions = {}) {
    const o = parseOptions(options, ADWIN_OPTIONS, "adwin");
    this.s = {
      kind: "adwin",
      options: o,
      step: 0,
      detections: 0,
      last: null,
      rows: [],
      width: 0,
      total: 0,
      variance: 0,
    };
  }

  get last(): DriftEvidence | null {
    return this.s.last;
  }
  get detections(): number {
    return this.s.detections;
  }
  /** Values in the current window, and their mean. */
  get width(): number {
    return this.s.width;
  }
  get mean(): number {
    return this.s.width > 0 ? this.s.total / this.s.width : 0;
  }

  update(x: number): boolean {
    const s = this.s;
    requireFinite(x, "ADWIN", s.step);
    s.step++;
    this.insert(x);
    if (s.step % s.options.clock !== 0 || s.width <= s.options.gracePeriod) return false;
    return this.shrink();
  }

  private insert(x: number): void {
    const s = this.s;
    if (s.rows.length === 0) s.rows.push({ totals: [], variances: [] });
    s.rows[0].totals.push(x);
    s.rows[0].variances.push(0);
    if (s.width > 0) {
      const d = x - s.total / s.width;
      s.variance += (s.width * d * d) / (s.width + 1);
    }
    s.width++;
    s.total += x;
    this.compress();
  }

  /** Merge the two oldest buckets of a full row into one of the next size, up the rows as needed. */
  private compress(): void {
    const rows = this.s.rows;
    for (let i = 0; i < rows.length && rows[i].totals.length > this.s.options.maxBuckets; i++) {
      if (i + 1 === rows.length) rows.push({ totals: [], variances: [] });
      const size = 2 ** i;
      const [t0, t1] = rows[i].totals.splice(0, 2);
      const [v0, v1] = rows[i].variances.splice(0, 2);
      const d = (t0 - t1) / size;
      rows[i + 1].totals.push(t0 + t1);
      rows[i + 1].variances.push(v0 + v1 + (size * d * d) / 2);
    }
  }

  private shrink(): boolean {
    const s = this.s;
    const widthBefore = s.width;
    const totalBefore = s.total;
    let first: Cut | null = null;
    for (let cut = this.findCut(); cut !== null; cut = this.findCut()) {
      first ??= cut;
      this.dropOldest();
    }
    if (first === null) return false;
    const dropped = widthBefore - s.width;
    const meanBefore = (totalBefore - s.total) / dropped;
    s.detections++;
    s.last = {
      detector: "adwin",
      step: s.step,
      windowBefore: dropped,
      meanBefore,
      windowAfter: s.width,
      meanAfter: this.mean,
      statistic: first.diff,
      threshold: first.bound,
      message:
        `ADWIN: at value ${s.step} the mean of the last ${s.width} values (${fmt(this.mean)}) differs from ` +
        `the ${dropped} before (${fmt(meanBefore)}); first cut |${fmt(first.diff)}| > bound ${fmt(first.bound)} ` +
        `(delta ${s.options.delta}); the older values were dropped`,
    };
    return true;
  }

  /** The oldest boundary where the two sides' means differ by more than the bound, or null. */
  private findCut(): Cut | null {
    const s = this.s;
    const { delta, minWindowLength } = s.options;
    const variance = s.variance / s.width;
    let n0 = 0;
    let u0 = 0;
    for (let i = s.rows.length - 1; i >= 0; i--) {
      const totals = s.rows[i].totals;
      for (let k = 0; k < totals.length; k++) {
        n0 += 2 ** i;
        u0 += totals[k];
        const n1 = s.width - n0;
        if (n1 <= 0) return null;
        if (n0 < minWindowLength || n1 < minWindowLength) continue;
        const diff = Math.abs(u0 / n0 - (s.total - u0) / n1);
        const bound = adwinBound(n0, n1, s.width, variance, delta, minWindowLength);
        if (diff > bound) return { n0, n1, diff, bound };
      }
    }
    return null;
  }

  private dropOldest(): void {
    const s = this.s;
    const row = s.rows[s.rows.length - 1];
    const n = 2 ** (s.rows.length - 1);
    const u = row.totals.shift() as number;
    const v = row.variances.shift() as number;
    if (row.totals.length === 0) s.rows.pop();
    s.width -= n;
    s.total -= u;
    if (s.width === 0) {
      s.total = 0;
      s.variance = 0;
      return;
    }
    const d = u / n - s.total / s.width;
    // Rounding can leave a hair below zero after many removals; a variance is never negative.
    s.variance = Math.max(0, s.variance - v - (n * s.width * d * d) / (n + s.width));
  }

  getState(): AdwinState {
    return structuredClone(this.s);
  }
  setState(state: AdwinState): void {
    this.s = structuredClone(state);
  }
}
