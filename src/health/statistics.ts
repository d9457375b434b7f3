/**
 * Training statistics the health monitor reads: small pure functions over typed arrays, and a
 * recorder that keeps each layer's time series (downsampled) for reports. The unit statistics (activity,
 * dormant and saturated units, effective rank) are `units/statistics.ts`'s. Per-step work is a loss,
 * an argmax and a finiteness check; everything that touches every weight runs only every N steps.
 */
import { joinLanes, sumSquares } from "../backend/js/vector.js";

export { sumSquares };

/** What one heavy check measured in one layer (NaN where a value does not apply or was not measured). */
export interface LayerStatistics {
  /** Layer name as in parameter names ("0", "1", …). */
  layer: string;
  activation: string;
  /** L2 norm of this layer's gradients (weight and bias together). */
  gradNorm: number;
  /** L2 norm of the weight matrix. */
  weightNorm: number;
  /** ‖ΔW‖ / ‖W‖ of the last optimiser step. */
  updateRatio: number;
  /** ‖W‖ now over ‖W‖ at the previous check (or at the start). */
  weightGrowth: number;
  /** Mean over units of each unit's mean output on the sampled batch. */
  activationMean: number;
  /** Standard deviation of the pre-activations (inputs to the nonlinearity). */
  preActivationStd: number;
  /** Fraction of ReLU units never active over the dead-unit window. */
  deadFraction: number;
  /** Fraction of ReLU units not active on any row of this check's batch (instant evidence; the window confirms it). */
  inactiveFraction: number;
  /** Fraction of τ-dormant units (Sokar et al. 2023): mean |h| below τ × the layer's average. */
  dormantFraction: number;
  /** Fraction of sigmoid/tanh outputs within 1% of the bounds. */
  saturatedFraction: number;
  /** exp(entropy) of the normalised singular values of the centred representation (Roy & Vetterli 2007). */
  effectiveRank: number;
  /**
   * Stable rank Σσ²/max σ² of the same centred representation (Rudelson & Vershynin 2007), measured with
   * the effective rank; present only when a vital-signs detector asked for it (`Detector.measures`).
   */
  stableRank?: number;
  /** ‖W − W′‖ / ‖W′‖, W′ the weights at the previous check: how far the layer moved over the window (vital signs only). */
  weightChange?: number;
}

/**
 * L2 norm of an array, its squares summed in float64 in the four lanes of `sumSquares` (the order of every
 * sum of squares a health check takes, the backends' `stepSquares` included); NaN or Infinity when the
 * array holds a non-finite value.
 *
 * @example
 * l2Norm([3, 4]); // 5
 */
export function l2Norm(a: ArrayLike<number>): number {
  return Math.sqrt(sumSquares(a));
}

/** ‖after − before‖ / ‖before‖: how far one step moved a weight matrix, relative to its size (sums as `sumSquares` adds). */
export function updateRatio(before: ArrayLike<number>, after: ArrayLike<number>): number {
  // The lanes in locals, four elements a turn: lanes kept in an array cost ~1.6× here.
  let d0 = 0;
  let d1 = 0;
  let d2 = 0;
  let d3 = 0;
  let w0 = 0;
  let w1 = 0;
  let w2 = 0;
  let w3 = 0;
  const n = before.length;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const b0 = before[i];
    const b1 = before[i + 1];
    const b2 = before[i + 2];
    const b3 = before[i + 3];
    const e0 = after[i] - b0;
    const e1 = after[i + 1] - b1;
    const e2 = after[i + 2] - b2;
    const e3 = after[i + 3] - b3;
    d0 += e0 * e0;
    d1 += e1 * e1;
    d2 += e2 * e2;
    d3 += e3 * e3;
    w0 += b0 * b0;
    w1 += b1 * b1;
    w2 += b2 * b2;
    w3 += b3 * b3;
  }
  const d = [d0, d1, d2, d3];
  const w = [w0, w1, w2, w3];
  for (let k = 0; i < n; i++, k++) {
    const diff = after[i] - before[i];
    d[k] += diff * diff;
    w[k] += before[i] * before[i];
  }
  return Math.sqrt(joinLanes(d)) / Math.max(Math.sqrt(joinLanes(w)), 1e-12);
}

/** Index of the largest value in each row of a rows × cols matrix. */
export function argmaxRow(data: ArrayLike<number>, row: number, cols: number): number {
  const o = row * cols;
  let best = 0;
  let top = data[o];
  for (let c = 1; c < cols; c++) {
    const v = data[o + c];
    if (v > top) {
      top = v;
      best = c;
    }
  }
  return best;
}

/** Mean and standard deviation of an array. */
export function meanStd(a: ArrayLike<number>): { mean: number; std: number } {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  const mean = s / Math.max(a.length, 1);
  let v = 0;
  for (let i = 0; i < a.length; i++) v += (a[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / Math.max(a.length, 1)) };
}

/** One point of the series a report draws. */
export interface SeriesPoint {
  step: number;
  loss: number;
  gradNorm: number;
  layers: LayerStatistics[];
}

/** Everything the monitor measured, for reports: per-check series (downsampled to at most `maxPoints`). */
export interface HealthStatistics {
  checkEvery: number;
  points: SeriesPoint[];
}

/** The series as plain data: the points kept, the stride between them, and the checks seen. */
export interface SeriesState {
  points: SeriesPoint[];
  stride: number;
  seen: number;
}

/**
 * Add a point, keeping at most `maxPoints`: when full, every other point is dropped and the stride doubles,
 * so a long run keeps an evenly spaced picture in bounded memory.
 */
export function addSeriesPoint(s: SeriesState, p: SeriesPoint, maxPoints = 256): void {
  if (s.seen++ % s.stride !== 0) return;
  s.points.push(p);
  if (s.points.length >= maxPoints) {
    s.points = s.points.filter((_, i) => i % 2 === 0);
    s.stride *= 2;
  }
}

/** A series of its own (addSeriesPoint over a private state), for callers outside the monitor. */
export class SeriesRecorder {
  private s: SeriesState = { points: [], stride: 1, seen: 0 };
  constructor(
    private readonly checkEvery: number,
    private readonly maxPoints = 256,
  ) {}

  add(p: SeriesPoint): void {
    addSeriesPoint(this.s, p, this.maxPoints);
  }

  result(): HealthStatistics {
    return { checkEvery: this.checkEvery, points: this.s.points.slice() };
  }

  /** Plain state for checkpoints. */
  getState(): SeriesState {
    return { points: this.s.points.slice(), stride: this.s.stride, seen: this.s.seen };
  }

  setState(s: SeriesState): void {
    this.s = { points: s.points.slice(), stride: s.stride, seen: s.seen };
  }
}
