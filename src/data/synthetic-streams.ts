/**
 * The classic online-learning stream generators, as MOA and River define them, for benchmarking a
 * learner under concept drift: SEA concepts (abrupt, recurring), the rotating hyperplane (incremental),
 * random RBF with moving centroids (incremental) and Friedman #1 with drift (regression: local
 * expanding abrupt, global recurring abrupt, global slow gradual). Each is an endless iterator of
 * `{x, y, concept}` seeded with the library's `Rng`, whose whole state (options included) is plain
 * numbers: a stream resumed from a saved state yields exactly the rows the uninterrupted one would.
 * Features are float32; labels and targets are computed from the float32 values, so a test can check
 * the concept's rule on exactly the x it was given.
 */
import { type OptionSpec, type ParsedOptions, parseOptions } from "../config/options.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import {
  type BaseState,
  COUNT,
  PROBABILITY,
  SEED,
  type StreamRow,
  SyntheticStream,
} from "./synthetic-stream-base.js";

export {
  FriedmanStream,
  type FriedmanDriftKind,
  type FriedmanOptions,
  type FriedmanState,
} from "./friedman-stream.js";
export type { StreamRow } from "./synthetic-stream-base.js";

const SEA_OPTIONS = {
  seed: SEED,
  noise: PROBABILITY(0.1, "Chance that a label is flipped."),
  conceptLength: COUNT(12_500, "Rows per concept."),
} as const satisfies Record<string, OptionSpec>;

export type SeaOptions = Partial<ParsedOptions<typeof SEA_OPTIONS>>;
export type SeaState = BaseState<Required<SeaOptions>>;
/** Street & Kim's four thresholds, in their order. */
export const SEA_THRESHOLDS = [8, 9, 7, 9.5] as const;

/**
 * SEA concepts (Street & Kim 2001, "A streaming ensemble algorithm for large-scale classification"):
 * three features uniform in [0, 10], label 1 when x0 + x1 > θ (x2 is irrelevant), θ = 8, 9, 7, 9.5 in
 * turn for `conceptLength` rows each (the paper's 12,500), labels flipped with probability `noise`
 * (10%). Drift points at 1, 2, 3 × conceptLength; after the fourth concept the cycle starts again, so
 * the concepts recur.
 *
 * @example
 * const sea = new SeaStream({ seed: 1, noise: 0.1 });
 */
export class SeaStream extends SyntheticStream<Required<SeaOptions>, SeaState> {
  readonly task = "classification";
  readonly inputs = 3;
  readonly classes = 2;
  readonly driftPoints: readonly number[];

  constructor(options: SeaOptions = {}) {
    const o = parseOptions(options, SEA_OPTIONS, "sea");
    super({ options: o, step: 0, rng: new Rng(o.seed).getState() });
    this.driftPoints = [1, 2, 3].map((k) => k * o.conceptLength);
  }

  protected row(): StreamRow {
    const concept = Math.floor(this.s.step / this.s.options.conceptLength) % SEA_THRESHOLDS.length;
    const x = this.uniforms(3, 10);
    const y = this.noisy(x[0] + x[1] > SEA_THRESHOLDS[concept] ? 1 : 0, this.s.options.noise);
    return { x, y, concept };
  }
}

// ---------------------------------------------------------------------------------------------------

const HYPERPLANE_OPTIONS = {
  seed: SEED,
  features: COUNT(10, "Features.", 2),
  driftFeatures: COUNT(2, "Features whose weight drifts.", 0),
  magChange: { kind: "number", min: 0, max: 1, default: 0.001, doc: "Change of a drifting weight per row." },
  noise: PROBABILITY(0.05, "Chance that a label is flipped."),
  sigma: PROBABILITY(0.1, "Chance, per row and drifting weight, that its direction of change reverses."),
} as const satisfies Record<string, OptionSpec>;

export type HyperplaneOptions = Partial<ParsedOptions<typeof HYPERPLANE_OPTIONS>>;
export interface HyperplaneState extends BaseState<Required<HyperplaneOptions>> {
  weights: number[];
  directions: number[];
}

/**
 * Rotating hyperplane (Hulten, Spencer & Domingos 2001, "Mining time-changing data streams"): x uniform
 * in [0, 1]^d, label 1 when Σ wᵢxᵢ ≥ ½ Σ wᵢ (so the classes are balanced whatever w); after each row the
 * first `driftFeatures` weights move by `magChange` in their direction, which reverses with probability
 * `sigma`. The drift is incremental (`driftPoints` is empty; `concept` stays 0). MOA's usual settings:
 * magChange 0.001 (fast) or 0.0001 (moderate), noise 5%.
 *
 * @example
 * const plane = new HyperplaneStream({ seed: 1, features: 10, magChange: 0.001 });
 */
export class HyperplaneStream extends SyntheticStream<Required<HyperplaneOptions>, HyperplaneState> {
  readonly task = "classification";
  readonly classes = 2;
  readonly inputs: number;
  readonly driftPoints: readonly number[] = [];

  constructor(options: HyperplaneOptions = {}) {
    const o = parseOptions(options, HYPERPLANE_OPTIONS, "hyperplane");
    if (o.driftFeatures > o.features) {
      throw new ConfigError(
        `hyperplane.driftFeatures: must be ≤ features (${o.features}), got ${o.driftFeatures}`,
        {
          field: "hyperplane.driftFeatures",
        },
      );
    }
    const model = new Rng(o.seed).fork("model");
    const weights = Array.from({ length: o.features }, () => model.next());
    const directions = weights.map((_, i) => (i < o.driftFeatures ? 1 : 0));
    super({ options: o, step: 0, rng: new Rng(o.seed).getState(), weights, directions });
    this.inputs = o.features;
  }

  protected row(): StreamRow {
    const { weights, directions, options: o } = this.s;
    const x = this.uniforms(o.features);
    let dot = 0;
    let total = 0;
    for (let i = 0; i < o.features; i++) {
      dot += weights[i] * x[i];
      total += weights[i];
    }
    const y = this.noisy(dot >= 0.5 * total ? 1 : 0, o.noise);
    for (let i = 0; i < o.driftFeatures; i++) {
      weights[i] += directions[i] * o.magChange;
      if (this.rng.next() < o.sigma) directions[i] = -directions[i];
    }
    return { x, y, concept: 0 };
  }
}

// ---------------------------------------------------------------------------------------------------

const RBF_OPTIONS = {
  seed: SEED,
  classes: COUNT(2, "Classes.", 2),
  features: COUNT(10, "Features."),
  centroids: COUNT(50, "Centroids."),
  driftCentroids: COUNT(50, "Centroids that move.", 0),
  speed: { kind: "number", min: 0, default: 0.0001, doc: "Distance a moving centroid travels per row." },
} as const satisfies Record<string, OptionSpec>;

export type RbfOptions = Partial<ParsedOptions<typeof RBF_OPTIONS>>;
export interface RbfState extends BaseState<Required<RbfOptions>> {
  centres: number[][];
  labels: number[];
  stds: number[];
  weights: number[];
  /** Unit direction of travel of each moving centroid. */
  velocities: number[][];
}

/**
 * Random RBF with moving centroids (MOA's RandomRBFGeneratorDrift, River's RandomRBFDrift): centroids
 * with a random centre in [0, 1]^d, class, spread and weight; a row picks a centroid by weight and lies
 * at a normal(0, spread) distance from its centre in a random direction, with its class. The first
 * `driftCentroids` move `speed` per row along a random unit direction, bouncing off the unit cube's
 * faces. The drift is incremental (`driftPoints` is empty; `concept` stays 0).
 *
 * @example
 * const rbf = new RbfStream({ seed: 1, centroids: 50, speed: 0.0001 });
 */
export class RbfStream extends SyntheticStream<Required<RbfOptions>, RbfState> {
  readonly task = "classification";
  readonly classes: number;
  readonly inputs: number;
  readonly driftPoints: readonly number[] = [];

  constructor(options: RbfOptions = {}) {
    // As in River, every centroid moves unless told otherwise.
    const drifting = { driftCentroids: options.centroids ?? 50 };
    const o = parseOptions({ ...drifting, ...options }, RBF_OPTIONS, "rbf");
    if (o.driftCentroids > o.centroids) {
      throw new ConfigError(
        `rbf.driftCentroids: must be ≤ centroids (${o.centroids}), got ${o.driftCentroids}`,
        {
          field: "rbf.driftCentroids",
        },
      );
    }
    const model = new Rng(o.seed).fork("model");
    const centres: number[][] = [];
    const [labels, stds, weights]: number[][] = [[], [], []];
    for (let c = 0; c < o.centroids; c++) {
      centres.push(Array.from({ length: o.features }, () => model.next()));
      labels.push(model.int(o.classes));
      stds.push(model.next());
      weights.push(model.next());
    }
    const velocities = centres.slice(0, o.driftCentroids).map(() => unitVector(model, o.features));
    super({
      options: o,
      step: 0,
      rng: new Rng(o.seed).getState(),
      centres,
      labels,
      stds,
      weights,
      velocities,
    });
    this.classes = o.classes;
    this.inputs = o.features;
  }

  protected row(): StreamRow {
    const { centres, velocities, options: o } = this.s;
    for (let c = 0; c < velocities.length; c++) {
      for (let j = 0; j < o.features; j++) {
        const v = centres[c][j] + velocities[c][j] * o.speed;
        if (v < 0 || v > 1) velocities[c][j] = -velocities[c][j];
        centres[c][j] = Math.min(1, Math.max(0, v));
      }
    }
    const c = this.pickCentroid();
    const dir = unitVector(this.rng, o.features);
    const distance = this.rng.normal() * this.s.stds[c];
    const x = new Float32Array(o.features);
    for (let j = 0; j < o.features; j++) x[j] = centres[c][j] + dir[j] * distance;
    return { x, y: this.s.labels[c], concept: 0 };
  }

  private pickCentroid(): number {
    const weights = this.s.weights;
    let u = this.rng.next() * weights.reduce((a, b) => a + b, 0);
    for (let c = 0; c < weights.length - 1; c++) {
      u -= weights[c];
      if (u < 0) return c;
    }
    return weights.length - 1;
  }
}

/** A random direction: uniform in [−1, 1]^d, scaled to length 1. */
function unitVector(rng: Rng, d: number): number[] {
  const v = Array.from({ length: d }, () => rng.uniform(-1, 1));
  const norm = Math.hypot(...v) || 1;
  return v.map((a) => a / norm);
}
