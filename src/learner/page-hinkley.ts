/** The Page-Hinkley drift detector (see drift.ts for what the learner does with it). */
import { type OptionSpec, type ParsedOptions, parseOptions } from "../config/options.js";
import { type DriftDetector, type DriftEvidence, fmt, requireFinite } from "./drift-evidence.js";

/**
 * Options of Page-Hinkley, named as in River's `drift.PageHinkley`. The defaults differ from River's
 * (delta 0.005, threshold 50, alpha 0.9999): on stationary Bernoulli(0.1 … 0.9) streams those raised
 * 2–8 false alarms per 100,000 values here, these none in 15 such streams (test/learner-drift), at the
 * price of about twice the delay (a 0.2 → 0.6 error-rate jump is caught within ~270 values, not ~140).
 */
export const PAGE_HINKLEY_OPTIONS = {
  delta: { kind: "number", min: 0, default: 0.01, doc: "Magnitude of change tolerated per value." },
  threshold: { kind: "number", min: 0, minExclusive: true, default: 100, doc: "Alarm threshold (lambda)." },
  alpha: {
    kind: "number",
    min: 0,
    minExclusive: true,
    max: 1,
    // Forgetting makes the sum mean-revert, and its swings then alarm on a stationary stream.
    default: 1,
    doc: "Forgetting factor of the cumulative sum (1 = none, Page's test).",
  },
  minInstances: { kind: "number", min: 1, integer: true, default: 30, doc: "Values before any alarm." },
  mode: {
    kind: "choice",
    values: ["up", "down", "both"],
    // A loss stream's harmless change is a fall (the learner improving), so only a rise alarms by default.
    default: "up",
    doc: "Which change alarms: a rise of the mean, a fall, or both.",
  },
} as const satisfies Record<string, OptionSpec>;

/** Options of `PageHinkley`: the threshold λ, the tolerance δ, and which direction of change alarms. */
export type PageHinkleyOptions = Partial<ParsedOptions<typeof PAGE_HINKLEY_OPTIONS>>;

/** Page-Hinkley's whole state as plain data: `driftDetectorFromState` continues from it exactly. */
export interface PageHinkleyState {
  kind: "page-hinkley";
  options: Required<PageHinkleyOptions>;
  step: number;
  detections: number;
  last: DriftEvidence | null;
  /** Since the last detection: values, their mean and sum. */
  n: number;
  mean: number;
  sum: number;
  /** The rise test: cumulative deviation, its minimum, and n and sum of values where it was reached. */
  up: number;
  upMin: number;
  upMinN: number;
  upMinSum: number;
  /** The fall test: the mirror image (maximum of the cumulative deviation). */
  down: number;
  downMax: number;
  downMaxN: number;
  downMaxSum: number;
}

function freshPageHinkley(options: Required<PageHinkleyOptions>): PageHinkleyState {
  return {
    kind: "page-hinkley",
    options,
    step: 0,
    detections: 0,
    last: null,
    ...restartedSums(),
  };
}

function restartedSums() {
  return {
    n: 0,
    mean: 0,
    sum: 0,
    up: 0,
    upMin: 0,
    upMinN: 0,
    upMinSum: 0,
    down: 0,
    downMax: 0,
    downMaxN: 0,
    downMaxSum: 0,
  };
}

/**
 * Page-Hinkley test (Page 1954, "Continuous inspection schemes"): the cumulative deviation of each value
 * from the running mean, less a tolerance delta, `m_T = Σ_t α^{T−t} (x_t − x̄_t − δ)`; a rise is
 * detected when `m_T − min_{t≤T} m_t > λ` (the empty sum, 0, counts as the first minimum). The fall
 * test mirrors it with `+δ` and the maximum. After a detection the sums restart. The evidence splits
 * the values at the estimated change point (where the minimum was reached).
 *
 * @example
 * const ph = new PageHinkley({ threshold: 20 });
 * const lossPerRow = [0.3, 0.2, 0.3, 2.5, 2.7, 2.6];
 * for (const loss of lossPerRow) if (ph.update(loss)) console.log(ph.last?.message);
 */
export class PageHinkley implements DriftDetector {
  readonly kind = "page-hinkley";
  private s: PageHinkleyState;

  constructor(options: PageHinkleyOptions = {}) {
    this.s = freshPageHinkley(parseOptions(options, PAGE_HINKLEY_OPTIONS, "pageHinkley"));
  }

  get last(): DriftEvidence | null {
    return this.s.last;
  }
  get detections(): number {
    return this.s.detections;
  }
  /** The current statistic of the rise test, `m_T − min m_t` (0 right after a detection). */
  get statistic(): number {
    return this.s.up - this.s.upMin;
  }

  update(x: number): boolean {
    const s = this.s;
    requireFinite(x, "Page-Hinkley", s.step);
    const { delta, alpha, threshold, minInstances, mode } = s.options;
    s.step++;
    s.n++;
    s.sum += x;
    s.mean += (x - s.mean) / s.n;
    const dev = x - s.mean;
    s.up = alpha * s.up + dev - delta;
    if (s.up < s.upMin) [s.upMin, s.upMinN, s.upMinSum] = [s.up, s.n, s.sum];
    s.down = alpha * s.down + dev + delta;
    if (s.down > s.downMax) [s.downMax, s.downMaxN, s.downMaxSum] = [s.down, s.n, s.sum];
    if (s.n < minInstances) return false;
    const rise = s.up - s.upMin;
    const fall = s.downMax - s.down;
    if (mode !== "down" && rise > threshold) return this.fire(rise, s.upMinN, s.upMinSum, "rose");
    if (mode !== "up" && fall > threshold) return this.fire(fall, s.downMaxN, s.downMaxSum, "fell");
    return false;
  }

  private fire(statistic: number, splitN: number, splitSum: number, verb: string): true {
    const s = this.s;
    const after = s.n - splitN;
    const meanBefore = splitN > 0 ? splitSum / splitN : 0;
    const meanAfter = after > 0 ? (s.sum - splitSum) / after : 0;
    s.detections++;
    s.last = {
      detector: "page-hinkley",
      step: s.step,
      windowBefore: splitN,
      meanBefore,
      windowAfter: after,
      meanAfter,
      statistic,
      threshold: s.options.threshold,
      message:
        `Page-Hinkley: at value ${s.step} the mean ${verb} from ${fmt(meanBefore)} (${splitN} values) ` +
        `to ${fmt(meanAfter)} (last ${after}); statistic ${fmt(statistic)} > threshold ${fmt(s.options.threshold)}`,
    };
    Object.assign(s, restartedSums());
    return true;
  }

  getState(): PageHinkleyState {
    return structuredClone(this.s);
  }
  setState(state: PageHinkleyState): void {
    this.s = structuredClone(state);
  }
}
