/**
 * Running normalisation for streams: the batch normaliser (normalize.ts) is fitted once on a training
 * split, but a lifelong learner sees its data one row at a time, and the scale of a feature may drift.
 * These keep per-feature running statistics in float64 (Welford's update, weighted, so one recursion
 * serves both the plain mean and the exponentially weighted one) as plain numbers, so they can be saved
 * with the learner and restored exactly.
 */
import { type OptionSpec, type ParsedOptions, parseOptions } from "../config/options.js";
import { DataError } from "../tensor/errors.js";

/** Options of a running normaliser. */
export const RUNNING_NORMALIZER_OPTIONS = {
  decay: {
    kind: "number",
    min: 0,
    max: 1,
    maxExclusive: true,
    default: 0,
    doc: "Weight lost by the past at each row: 0 keeps plain means; 0.001 follows a drifting scale over ~1,000 rows.",
  },
  warmup: {
    kind: "number",
    min: 0,
    integer: true,
    default: 0,
    doc: "Rows seen before the statistics are trusted.",
  },
  warmupMode: {
    kind: "choice",
    values: ["identity", "clip"],
    default: "identity",
    doc: "Before the warm-up ends: pass rows unchanged, or normalise them and clip to ±clip.",
  },
  clip: { kind: "number", min: 0, minExclusive: true, default: 5, doc: "Bound of the warm-up's clip mode." },
  limit: {
    kind: "number",
    min: 0,
    minExclusive: true,
    optional: true,
    doc: "Clip every normalised value to ±limit (a rare value of a nearly constant feature, such as a border pixel, lies hundreds of std away).",
  },
  center: {
    kind: "number",
    min: 0,
    max: 1,
    default: 1,
    doc: "Share of the running mean taken off (1: centred; 0.5 keeps mean/2 / std as an offset, so a value's code moves less when the mean moves).",
  },
} as const satisfies Record<string, OptionSpec>;

export type RunningNormalizerOptions = Partial<ParsedOptions<typeof RUNNING_NORMALIZER_OPTIONS>>;

export interface RunningNormalizerState {
  options: ParsedOptions<typeof RUNNING_NORMALIZER_OPTIONS>;
  /** Rows seen by `update`. */
  count: number;
  /** Per feature: the (decayed) total weight of the finite values seen, their mean, and the (decayed)
   * sum of squared deviations; the variance is `m2 / weight`. */
  weight: number[];
  mean: number[];
  m2: number[];
}

/** The largest float32: a scale above it would turn a finite input into Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * Per-feature running mean and variance of streamed rows. With `decay` d > 0 the statistics are the
 * exponentially weighted ones, value t of n weighted (1 − d)^(n − t); with d = 0 they are the plain
 * mean and population variance. Non-finite cells are skipped (that feature's statistics stay as they
 * were); a feature whose variance is 0 is centred but not scaled.
 *
 * @example
 * const row = Float32Array.of(0.5, 120, -3);
 * const norm = new RunningNormalizer(3, { decay: 0.001, warmup: 20 });
 * norm.update(row);                 // learn the row's scale
 * const x = norm.normalize(row);    // (row − mean) / std, as float32
 */
export class RunningNormalizer {
  private options: RunningNormalizerState["options"];
  private rows = 0;
  /** The state's per-feature arrays, as float64 arrays: the same numbers, read and written in place (a
   * plain array restored from a file holds boxed numbers, and each update then allocated 2,352 of them). */
  private weight: Float64Array;
  private means: Float64Array;
  private m2: Float64Array;
  /** 1 − decay: the factor the past's weight is multiplied by at each row. */
  private keep: number;
  /** `scale(j)` of every feature for the statistics as they are, while `scalesValid` (a learner
   * normalises a row, its replayed rows and the next row's prediction with one set of statistics);
   * refilled in place when they have changed. */
  private readonly scales: Float64Array;
  private scalesValid = false;
  /** `center` of the options; 1 for a state saved before the option existed. */
  private center = 1;

  constructor(
    readonly inputs: number,
    options: RunningNormalizerOptions = {},
  ) {
    if (!Number.isInteger(inputs) || inputs < 1) {
      throw new DataError(`RunningNormalizer: inputs must be a positive integer, got ${inputs}`);
    }
    const o = parseOptions(options, RUNNING_NORMALIZER_OPTIONS, "normalize");
    this.options = o;
    [this.weight, this.means, this.m2, this.scales] = [0, 1, 2, 3].map(() => new Float64Array(inputs));
    this.keep = 1 - o.decay;
    this.center = o.center;
  }

  /** Rows seen so far. */
  get count(): number {
    return this.rows;
  }
  /** Whether the warm-up is over (rows are normalised without a clip). */
  get warm(): boolean {
    return this.rows >= this.options.warmup;
  }
  /** The running mean of feature j. */
  mean(j: number): number {
    return this.means[j];
  }
  /** The running (population, or weighted) variance of feature j. */
  variance(j: number): number {
    const w = this.weight[j];
    return w > 0 ? this.m2[j] / w : 0;
  }

  /** Learn one row's values. */
  update(row: ArrayLike<number>): void {
    this.checkWidth(row, "update");
    const { weight, means: mean, m2, keep } = this;
    for (let j = 0; j < this.inputs; j++) {
      const x = row[j];
      if (!Number.isFinite(x)) continue;
      // Weighted Welford (West 1979) with the past's weights scaled by `keep` before each new value.
      weight[j] = keep * weight[j] + 1;
      const d = x - mean[j];
      mean[j] += d / weight[j];
      m2[j] = keep * m2[j] + d * (x - mean[j]);
    }
    this.rows++;
    this.scalesValid = false;
  }

  /** `(row − mean) / std` per feature into `out` (a new Float32Array if none is given). */
  normalize(row: ArrayLike<number>, out: Float32Array | Float64Array = new Float32Array(this.inputs)) {
    this.checkWidth(row, "normalize");
    const { warmup, warmupMode, clip } = this.options;
    const cold = this.rows < warmup;
    if (cold && warmupMode === "identity") {
      for (let j = 0; j < this.inputs; j++) out[j] = row[j];
      return out;
    }
    const bound = cold ? clip : (this.options.limit ?? Infinity);
    const scales = this.currentScales();
    const mean = this.means;
    // The part of the mean not taken off is added after the clip, so a value at 0 stays near 0.
    const offset = 1 - this.center;
    if (offset > 0) {
      for (let j = 0; j < this.inputs; j++) {
        const v = Math.min(bound, Math.max(-bound, (row[j] - mean[j]) * scales[j]));
        out[j] = offset * mean[j] * scales[j] + v;
      }
    } else {
      for (let j = 0; j < this.inputs; j++)
        out[j] = Math.min(bound, Math.max(-bound, (row[j] - mean[j]) * scales[j]));
    }
    return out;
  }

  private currentScales(): Float64Array {
    const scales = this.scales;
    if (this.scalesValid) return scales;
    const { weight, m2 } = this;
    for (let j = 0; j < this.inputs; j++) {
      // scale(j), written out: one monomorphic loop over float64 arrays.
      const w = weight[j];
      const std = Math.sqrt(w > 0 ? m2[j] / w : 0);
      const s = 1 / std;
      scales[j] = std > 0 && s < FLOAT32_MAX ? s : 1;
    }
    this.scalesValid = true;
    return scales;
  }

  /** The inverse of `normalize` (after the warm-up): `v · std + mean` per feature. */
  denormalize(values: ArrayLike<number>, out: Float32Array | Float64Array = new Float64Array(this.inputs)) {
    this.checkWidth(values, "denormalize");
    const identity = !this.warm && this.options.warmupMode === "identity";
    for (let j = 0; j < this.inputs; j++) {
      out[j] = identity ? values[j] : values[j] / this.scale(j) + this.center * this.means[j];
    }
    return out;
  }

  /** 1 / std of feature j, or 1 when the std is 0 (a constant feature) or its inverse overflows float32. */
  scale(j: number): number {
    const std = Math.sqrt(this.variance(j));
    const s = 1 / std;
    return std > 0 && s < FLOAT32_MAX ? s : 1;
  }

  getState(): RunningNormalizerState {
    const plain = (a: Float64Array) => Array.from(a);
    return {
      options: structuredClone(this.options),
      count: this.rows,
      weight: plain(this.weight),
      mean: plain(this.means),
      m2: plain(this.m2),
    };
  }
  setState(state: RunningNormalizerState): void {
    if (state.mean.length !== this.inputs) {
      throw new DataError(
        `RunningNormalizer: the saved state has ${state.mean.length} features, expected ${this.inputs}`,
      );
    }
    this.options = structuredClone(state.options);
    this.rows = state.count;
    [this.weight, this.means, this.m2] = [state.weight, state.mean, state.m2].map((a) =>
      Float64Array.from(a),
    );
    this.keep = 1 - state.options.decay;
    this.center = state.options.center ?? 1;
    this.scalesValid = false;
  }

  /** A normaliser restored from its saved state. */
  static fromState(state: RunningNormalizerState): RunningNormalizer {
    const n = new RunningNormalizer(state.mean.length, state.options);
    n.setState(state);
    return n;
  }

  private checkWidth(row: ArrayLike<number>, what: string): void {
    if (row.length !== this.inputs) {
      throw new DataError(
        `RunningNormalizer.${what}: expected a row of ${this.inputs} values, got ${row.length}`,
      );
    }
  }
}

/**
 * The running scale of a regression target: the learner trains on `scale(y)` (mean 0, std 1, so one
 * learning rate fits targets in any unit) and answers with `unscale(prediction)`.
 *
 * @example
 * const target = new RunningTargetScaler({ warmup: 10 });
 * target.update(42.5);
 * const t = target.scale(42.5);     // train on this
 * const answer = target.unscale(t); // report this: 42.5 again
 */
export class RunningTargetScaler {
  private readonly norm: RunningNormalizer;
  private readonly one = new Float64Array(1);
  private readonly out = new Float64Array(1);

  constructor(options: RunningNormalizerOptions = {}, state?: RunningNormalizerState) {
    this.norm = state ? RunningNormalizer.fromState(state) : new RunningNormalizer(1, options);
  }

  get count(): number {
    return this.norm.count;
  }
  get mean(): number {
    return this.norm.mean(0);
  }
  get std(): number {
    return Math.sqrt(this.norm.variance(0));
  }

  update(y: number): void {
    this.one[0] = y;
    this.norm.update(this.one);
  }
  /** y in training units. */
  scale(y: number): number {
    this.one[0] = y;
    return this.norm.normalize(this.one, this.out)[0];
  }
  /** A prediction in training units, back in the target's units. */
  unscale(v: number): number {
    this.one[0] = v;
    return this.norm.denormalize(this.one, this.out)[0];
  }

  getState(): RunningNormalizerState {
    return this.norm.getState();
  }
  static fromState(state: RunningNormalizerState): RunningTargetScaler {
    return new RunningTargetScaler(state.options, state);
  }
}
