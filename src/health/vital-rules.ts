/**
 * The rules of the vital signs beyond stability: loss of plasticity (the online loss on new data rises
 * above the best it has been — its early baseline, or a lower window since — while dormant units rise
 * above their early baseline or the effective rank of the last hidden layers collapses) and forgetting (accuracy on rows retained from earlier in the run falls below its best by
 * more than a budget). Pure functions over a memory of plain numbers and typed arrays, which the monitor
 * keeps in its state (so a checkpoint resumes them exactly).
 */
import type { TrainingPicture } from "./findings.js";

/** The plasticity signals of one check, over the last hidden layers (NaN where not measured). */
export interface PlasticitySignals {
  /** Window mean of the online loss (each batch's loss before the step that learns it). */
  loss: number;
  dormant: number;
  effectiveRank: number;
  stableRank: number;
  weightChange: number;
}

export interface PlasticityOptions {
  /** Checks skipped before the baseline (the first learning is no baseline). */
  baselineStart: number;
  /** Checks of the baseline, and of the recent window compared with it. */
  window: number;
  /** The online loss counts as risen above this fraction over the baseline's. */
  lossRise: number;
  /** Dormant units count as risen by this much (a fraction of units) over the baseline's. */
  dormantRise: number;
  /** The effective rank counts as collapsed below (1 − this) × the baseline's. */
  rankDrop: number;
  /**
   * Dormant units at this fraction or more count on their own, whatever the baseline read: a baseline
   * that is itself mostly dormant cannot rise by `dormantRise` (the bit-flipping problem, seed 5: 80%).
   */
  dormantMost: number;
  /** How many of the last hidden layers are read. */
  depth: number;
}

/**
 * The rule's defaults, measured on the plasticity protocol (docs/vital-loop.md): a 5% rise of the online
 * loss over its best window with dormant units 5 points above their baseline finds the loss of plasticity
 * before the online accuracy has fallen 2 points, and stays silent on healthy runs.
 */
export const PLASTICITY_DEFAULTS = {
  baselineStart: 10,
  window: 20,
  lossRise: 0.05,
  dormantRise: 0.05,
  rankDrop: 0.25,
  dormantMost: 0.5,
  depth: 2,
} as const;

/** What the plasticity rule remembers: the baseline and the recent window. */
export interface PlasticityMemory {
  checks: number;
  /** Sums over the baseline's checks (ranks only where measured), then its means in `base`. */
  sums: [loss: number, dormant: number, rank: number, rankCount: number, stable: number];
  base: PlasticitySignals | null;
  /** First and last check of the baseline (checks are counted across `fit` calls; steps restart with each). */
  baseChecks: [number, number];
  /** The recent window: online loss and dormant fraction per check; ranks as [check, rank, stable rank]. */
  loss: number[];
  dormant: number[];
  ranks: [number, number, number][];
  weightChange: number[];
  /** The check number of each check in the window. */
  windowFrom: number[];
  /** The rule held at the last check (a finding is made when it starts to hold). */
  holding: boolean;
  /**
   * The lowest window mean of the online loss read so far and the check that ended that window (the
   * baseline's until a window beats it): the loss rise is measured from the best the network has done.
   */
  best?: [loss: number, check: number];
}

export const freshPlasticity = (): PlasticityMemory => ({
  checks: 0,
  sums: [0, 0, 0, 0, 0],
  base: null,
  baseChecks: [0, 0],
  loss: [],
  dormant: [],
  ranks: [],
  weightChange: [],
  windowFrom: [],
  holding: false,
});

const mean = (xs: readonly number[]): number =>
  xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
const finiteMean = (xs: readonly number[]): number => mean(xs.filter(Number.isFinite));

/**
 * The signals of one picture: the last window's online loss and, over the last `depth` measured hidden
 * layers, the mean dormant fraction, effective and stable rank, and weight change.
 *
 * @example
 * plasticitySignals(picture, 2).dormant; // 0.31
 */
export function plasticitySignals(p: TrainingPicture, depth: number): PlasticitySignals {
  const hidden = p.layers.filter((l) => Number.isFinite(l.activationMean)).slice(-depth);
  return {
    loss: p.lossMeans[p.lossMeans.length - 1],
    dormant: finiteMean(hidden.map((l) => l.dormantFraction)),
    effectiveRank: finiteMean(hidden.map((l) => l.effectiveRank)),
    stableRank: finiteMean(hidden.map((l) => l.stableRank ?? NaN)),
    weightChange: finiteMean(hidden.map((l) => l.weightChange ?? NaN)),
  };
}

/** Where the recent window stands against the baseline. */
export interface PlasticityReading {
  now: PlasticitySignals;
  base: PlasticitySignals;
  lossUp: boolean;
  dormantUp: boolean;
  /** Most units dormant (`dormantMost` or more), read on its own. */
  dormantMost: boolean;
  rankDown: boolean;
  /** The online loss the window is compared with (the best so far) and the check that ended its window. */
  reference: { loss: number; check: number };
  /** The rule: the online loss rose, and dormant units rose (or are most of the units) or the rank collapsed. */
  holds: boolean;
  /** First check of the recent window. */
  from: number;
}

/**
 * Add one check's signals to the memory (into the baseline while it is being taken, else into the recent
 * window) and read the window against the baseline once both are full (null before).
 *
 * @example
 * const r = observePlasticity(mem, plasticitySignals(p, 2), options);
 * r?.holds; // true: loss up 38%, dormant units up 19 points
 */
export function observePlasticity(
  mem: PlasticityMemory,
  x: PlasticitySignals,
  o: PlasticityOptions,
): PlasticityReading | null {
  mem.checks++;
  if (mem.checks <= o.baselineStart) return null;
  if (mem.base === null) {
    const sm = mem.sums;
    if (mem.checks === o.baselineStart + 1) mem.baseChecks[0] = mem.checks;
    sm[0] += x.loss;
    sm[1] += Number.isFinite(x.dormant) ? x.dormant : 0;
    if (Number.isFinite(x.effectiveRank))
      [sm[2], sm[3], sm[4]] = [sm[2] + x.effectiveRank, sm[3] + 1, sm[4] + x.stableRank];
    if (mem.checks === o.baselineStart + o.window) {
      mem.base = {
        loss: sm[0] / o.window,
        dormant: sm[1] / o.window,
        effectiveRank: sm[3] > 0 ? sm[2] / sm[3] : NaN,
        stableRank: sm[3] > 0 ? sm[4] / sm[3] : NaN,
        weightChange: NaN,
      };
      mem.baseChecks[1] = mem.checks;
    }
    return null;
  }
  pushWindow(mem, x, o.window);
  const r = readPlasticity(mem, o);
  if (r !== null && r.now.loss < r.reference.loss) mem.best = [r.now.loss, mem.checks];
  return r;
}

function pushWindow(mem: PlasticityMemory, x: PlasticitySignals, window: number): void {
  mem.loss.push(x.loss);
  mem.dormant.push(x.dormant);
  mem.weightChange.push(x.weightChange);
  mem.windowFrom.push(mem.checks);
  if (Number.isFinite(x.effectiveRank)) mem.ranks.push([mem.checks, x.effectiveRank, x.stableRank]);
  for (const a of [mem.loss, mem.dormant, mem.weightChange, mem.windowFrom]) if (a.length > window) a.shift();
  while (mem.ranks.length > 0 && mem.ranks[0][0] <= mem.checks - window) mem.ranks.shift();
}

/** The recent window against the baseline; null until the window is full. */
export function readPlasticity(mem: PlasticityMemory, o: PlasticityOptions): PlasticityReading | null {
  const base = mem.base;
  if (base === null || mem.loss.length < o.window) return null;
  const now: PlasticitySignals = {
    loss: mean(mem.loss),
    dormant: finiteMean(mem.dormant),
    effectiveRank: mean(mem.ranks.map((r) => r[1])),
    stableRank: mean(mem.ranks.map((r) => r[2])),
    weightChange: finiteMean(mem.weightChange),
  };
  const [loss, check] = mem.best ?? [base.loss, mem.baseChecks[1]];
  const reference = { loss, check };
  const lossUp = now.loss > reference.loss * (1 + o.lossRise);
  const dormantUp = now.dormant - base.dormant >= o.dormantRise;
  const dormantMost = now.dormant >= o.dormantMost;
  const rankDown = now.effectiveRank <= base.effectiveRank * (1 - o.rankDrop);
  return {
    now,
    base,
    lossUp,
    dormantUp,
    dormantMost,
    rankDown,
    reference,
    holds: lossUp && (dormantUp || dormantMost || rankDown),
    from: mem.windowFrom[0],
  };
}

/** Start the recent window afresh (after a remedy: the window before it describes another network). */
export function restartWindow(mem: PlasticityMemory): void {
  for (const a of [mem.loss, mem.dormant, mem.weightChange, mem.windowFrom, mem.ranks]) a.length = 0;
  mem.holding = false;
}

/** One stretch of rows kept from earlier in the run, with its accuracy (or mean squared error) when probed. */
export interface RetainedSegment {
  x: Float32Array;
  y: Float32Array;
  rows: number;
  /** The detector's check at which the rows were kept (checks count across `fit` calls). */
  check: number;
  /** Best score seen (highest accuracy; lowest error for regression) and the latest. */
  best: number;
  last: number;
  probes: number;
}

/** Standard errors beyond the budget the mean drop must reach (one-sided, about 2% by chance alone). */
export const FORGETTING_Z = 2;

/**
 * Forgetting over the segments probed at least twice: the mean drop below their best (accuracy points,
 * or the relative rise of the error), the worst segment, and the margin a drop must clear beyond the
 * budget to count. A segment of n rows scores with a binomial standard error √(p(1−p)/n): its best is
 * the highest of several such draws (and its first is taken on rows just learned), so a healthy run's
 * small segments drop by a few points of noise alone. The margin is `FORGETTING_Z` standard errors of
 * the mean drop, √(Σ (b(1−b) + l(1−l))/n) / segments with b, l each segment's best and latest accuracy.
 * For regression the drop is relative, and a mean of n squared errors of normal residuals has a relative
 * standard error of √(2/n) (a scaled χ² with n degrees of freedom): the margin is `FORGETTING_Z` ·
 * √(Σ 4/n) / segments, the best's and the latest's alike (a healthy linear regression, converged, moves its
 * 64-row segments' error by ±10% from step to step; the zoo's case, run six times longer, read 10.4%).
 *
 * @example
 * forgettingOf([{ best: 0.9, last: 0.7, probes: 3, rows: 64 }, { best: 0.8, last: 0.8, probes: 2, rows: 64 }], true);
 * // { mean: 0.1, worst: 0, segments: 2, margin: 0.0984… }
 */
export function forgettingOf(
  segments: readonly (Pick<RetainedSegment, "best" | "last" | "probes"> & { rows?: number })[],
  classification: boolean,
): { mean: number; worst: number; segments: number; margin: number } {
  const probed = segments.map((s, i) => [s, i] as const).filter(([s]) => s.probes >= 2);
  const drops = probed.map(([s]) =>
    classification ? s.best - s.last : (s.last - s.best) / Math.max(s.best, 1e-12),
  );
  if (drops.length === 0) return { mean: 0, worst: -1, segments: 0, margin: 0 };
  let worst = 0;
  drops.forEach((d, k) => {
    if (d > drops[worst]) worst = k;
  });
  const variance = probed.reduce(
    (v, [s]) =>
      v + (classification ? s.best * (1 - s.best) + s.last * (1 - s.last) : 4) / (s.rows ?? Infinity),
    0,
  );
  const margin = (FORGETTING_Z * Math.sqrt(variance)) / drops.length;
  return { mean: mean(drops), worst: probed[worst][1], segments: drops.length, margin };
}

/** A probe's score on one segment: accuracy (argmax of target against argmax of output) or mean squared error. */
export function segmentScore(
  out: ArrayLike<number>,
  outCols: number,
  seg: RetainedSegment,
  classification: boolean,
): number {
  const yCols = seg.y.length / seg.rows;
  let total = 0;
  for (let r = 0; r < seg.rows; r++) {
    if (classification)
      total += argmax(out, r * outCols, outCols) === argmax(seg.y, r * yCols, yCols) ? 1 : 0;
    else for (let c = 0; c < yCols; c++) total += (out[r * outCols + c] - seg.y[r * yCols + c]) ** 2 / yCols;
  }
  return total / seg.rows;
}

function argmax(a: ArrayLike<number>, at: number, n: number): number {
  if (n === 1) return a[at] > 0.5 ? 1 : 0;
  let best = 0;
  for (let c = 1; c < n; c++) if (a[at + c] > a[at + best]) best = c;
  return best;
}

/**
 * The segment to let go when too many are kept: the oldest one whose every label is also held by another
 * segment, so that the labels of an earlier stretch of the stream stay on the probe (class-incremental
 * forgetting is forgetting of labels no longer seen); the oldest of all when each holds a label of its own.
 * A stream whose segments share their labels (stationary, domain-incremental) lets the oldest go.
 *
 * @example
 * // one-hot rows: segment 0 holds labels {0}, 1 holds {0}, 2 holds {1}: segment 0 goes
 * segmentToDrop([seg0, seg1, seg2]); // 0
 */
export function segmentToDrop(segments: readonly Pick<RetainedSegment, "y" | "rows">[]): number {
  const labels = segments.map(labelsOf);
  const shared = (i: number): boolean =>
    [...labels[i]].every((l) => labels.some((other, j) => j !== i && other.has(l)));
  const i = labels.findIndex((_, k) => shared(k));
  return i < 0 ? 0 : i;
}

/** The labels (argmax of each row's target; 0/1 for one column) a segment holds. */
function labelsOf(seg: Pick<RetainedSegment, "y" | "rows">): Set<number> {
  const cols = seg.y.length / seg.rows;
  const out = new Set<number>();
  for (let r = 0; r < seg.rows; r++) out.add(argmax(seg.y, r * cols, cols));
  return out;
}
