/**
 * Learning-rate schedules as multipliers of the optimiser's base lr. A schedule is a pure function
 * of where training is, so resuming from a checkpoint needs no schedule state; the one exception,
 * ReduceOnPlateau, reacts to a metric and keeps plain serialisable state for checkpoints.
 * The optional `field` argument of each factory names its options in error messages; the config
 * reader passes "schedule" so that a user sees `schedule.gamma: …`.
 */
import { ConfigError } from "../tensor/errors.js";
import { configRule, describeValue, expectObject, parseOptions } from "../config/options.js";
import { defineKind, type Kind, Registry } from "../config/registry.js";

/** Where training is when a schedule is asked for the learning rate. */
export interface SchedulePosition {
  /** Optimiser steps done before this one, 0-based. */
  step: number;
  /** Completed epochs, an integer. */
  epoch: number;
  stepsPerEpoch: number;
}

/** Multiplier of the base learning rate for the step about to be taken. */
export type Schedule = (p: SchedulePosition) => number;

const positive = { kind: "number", min: 0, minExclusive: true } as const;
const positiveInteger = { kind: "number", min: 1, integer: true } as const;
const STEP_SPEC = {
  stepSize: { ...positiveInteger, doc: "Epochs between reductions." },
  gamma: { ...positive, default: 0.1, doc: "Multiplier per reduction." },
} as const;
const EXPONENTIAL_SPEC = { gamma: { ...positive, doc: "Multiplier per epoch." } } as const;
const COSINE_SPEC = {
  warmupSteps: { kind: "number", min: 0, integer: true, doc: "Optimiser steps of linear warm-up." },
  totalSteps: { ...positiveInteger, doc: "Step at which the cosine reaches minFactor." },
  minFactor: { kind: "number", min: 0, max: 1, default: 0, doc: "The multiplier's floor." },
} as const;

/**
 * gamma^floor(epoch / stepSize): PyTorch StepLR stepped once per epoch.
 *
 * @example
 * const s = stepDecay({ stepSize: 30, gamma: 0.1 });
 * s({ step: 0, epoch: 65, stepsPerEpoch: 100 }); // 0.01
 */
export function stepDecay(options: { stepSize: number; gamma?: number }, field = "stepDecay"): Schedule {
  const o = parseOptions(options, STEP_SPEC, field);
  return ({ epoch }) => o.gamma ** Math.floor(epoch / o.stepSize);
}

/**
 * gamma^epoch: PyTorch ExponentialLR stepped once per epoch.
 *
 * @example
 * const s = exponentialDecay({ gamma: 0.9 });
 * s({ step: 0, epoch: 2, stepsPerEpoch: 100 }); // 0.81
 */
export function exponentialDecay(options: { gamma: number }, field = "exponentialDecay"): Schedule {
  const o = parseOptions(options, EXPONENTIAL_SPEC, field);
  return ({ epoch }) => o.gamma ** epoch;
}

/**
 * Linear warm-up then half-cosine decay, per optimiser step (Loshchilov & Hutter, "SGDR: Stochastic
 * Gradient Descent with Warm Restarts", without restarts; Goyal et al. for the warm-up). With
 * s = step, W = warmupSteps, T = totalSteps, m = minFactor:
 *
 *   s < W:      (s + 1) / W                     — the first step already moves, the W-th reaches 1
 *   W ≤ s < T:  m + (1 − m) · ½ · (1 + cos(π · (s − W) / (T − W)))
 *   s ≥ T:      m
 *
 * @example
 * const s = cosineWithWarmup({ warmupSteps: 10, totalSteps: 110 });
 * s({ step: 4, epoch: 0, stepsPerEpoch: 1000 }); // 0.5 (warming up)
 * s({ step: 60, epoch: 0, stepsPerEpoch: 1000 }); // 0.5 (half-way down the cosine)
 */
export function cosineWithWarmup(
  options: { warmupSteps: number; totalSteps: number; minFactor?: number },
  field = "cosineWithWarmup",
): Schedule {
  const o = parseOptions(options, COSINE_SPEC, field);
  configRule(
    o.totalSteps >= o.warmupSteps,
    `${field}.totalSteps`,
    `must be ≥ warmupSteps (${o.warmupSteps}), got ${o.totalSteps}`,
  );
  return ({ step }) => {
    if (step < o.warmupSteps) return (step + 1) / o.warmupSteps;
    if (step >= o.totalSteps) return o.minFactor;
    const progress = (step - o.warmupSteps) / (o.totalSteps - o.warmupSteps);
    return o.minFactor + (1 - o.minFactor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
}

/** Options of `ReduceOnPlateau`, as PyTorch's ReduceLROnPlateau takes them. */
export interface ReduceOnPlateauOptions {
  /** "min": lower metric is better (a loss); "max": higher is better (an accuracy). */
  mode?: "min" | "max";
  /** Multiplier applied on each reduction. */
  factor?: number;
  /** Epochs without improvement tolerated before reducing. */
  patience?: number;
  /** How much better a metric must be to count as an improvement. */
  threshold?: number;
  /** "rel": better than best·(1 ∓ threshold); "abs": better than best ∓ threshold. */
  thresholdMode?: "rel" | "abs";
  /** Epochs after a reduction during which bad epochs are not counted. */
  cooldown?: number;
  /** Floor of the multiplier; PyTorch `min_lr` as a fraction of the base lr. */
  minFactor?: number;
  /** Reductions smaller than this (in multiplier units) are skipped, like PyTorch's `eps`. */
  eps?: number;
}

/** ReduceOnPlateau's state as plain data (checkpoints store it; `setState` continues from it). */
export interface ReduceOnPlateauState {
  /** Best metric so far; null before the first (JSON has no Infinity). */
  best: number | null;
  numBadEpochs: number;
  cooldownCounter: number;
  /** Current multiplier of the base lr. */
  factor: number;
}

const PLATEAU_SPEC = {
  mode: { kind: "choice", values: ["min", "max"], default: "min", doc: "min: lower is better (a loss)." },
  factor: {
    kind: "number",
    min: 0,
    max: 1,
    minExclusive: true,
    maxExclusive: true,
    default: 0.1,
    doc: "Multiplier per reduction.",
  },
  patience: { kind: "number", min: 0, integer: true, default: 10, doc: "Bad epochs tolerated." },
  threshold: { kind: "number", min: 0, default: 1e-4, doc: "Least change that counts as better." },
  thresholdMode: {
    kind: "choice",
    values: ["rel", "abs"],
    default: "rel",
    doc: "Threshold relative or absolute.",
  },
  cooldown: { kind: "number", min: 0, integer: true, default: 0, doc: "Epochs ignored after a reduction." },
  minFactor: { kind: "number", min: 0, default: 0, doc: "The multiplier's floor." },
  eps: { kind: "number", min: 0, default: 1e-8, doc: "Smaller reductions are skipped." },
} as const;

/**
 * PyTorch ReduceLROnPlateau as a multiplier: call `step(metric)` once per epoch with the validation
 * metric; it returns the multiplier to use from then on. NaN never counts as an improvement.
 *
 * @example
 * const plateau = new ReduceOnPlateau({ patience: 1, factor: 0.5 });
 * [1.0, 0.9, 0.9, 0.9].map((m) => plateau.step(m)); // [1, 1, 1, 0.5]
 */
export class ReduceOnPlateau {
  readonly options: Required<ReduceOnPlateauOptions>;
  private state: ReduceOnPlateauState = { best: null, numBadEpochs: 0, cooldownCounter: 0, factor: 1 };

  constructor(options: ReduceOnPlateauOptions = {}, field = "reduceOnPlateau") {
    this.options = parseOptions(options, PLATEAU_SPEC, field);
  }

  /** The multiplier in force now. */
  get factor(): number {
    return this.state.factor;
  }

  /**
   * Record one epoch's metric; returns the multiplier for the next epoch.
   *
   * @example
   * new ReduceOnPlateau({ patience: 0 }).step(1); // 1
   */
  step(metric: number): number {
    const s = this.state;
    if (this.isBetter(metric)) {
      s.best = metric;
      s.numBadEpochs = 0;
    } else {
      s.numBadEpochs += 1;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter -= 1;
      s.numBadEpochs = 0;
    }
    if (s.numBadEpochs > this.options.patience) {
      const reduced = Math.max(s.factor * this.options.factor, this.options.minFactor);
      if (s.factor - reduced > this.options.eps) s.factor = reduced;
      s.cooldownCounter = this.options.cooldown;
      s.numBadEpochs = 0;
    }
    return s.factor;
  }

  private isBetter(metric: number): boolean {
    const { best } = this.state;
    if (best === null) return !Number.isNaN(metric);
    const { mode, threshold, thresholdMode } = this.options;
    if (mode === "min") return metric < (thresholdMode === "rel" ? best * (1 - threshold) : best - threshold);
    return metric > (thresholdMode === "rel" ? best * (1 + threshold) : best + threshold);
  }

  /**
   * A copy of the state, for a checkpoint.
   *
   * @example
   * const saved = JSON.stringify(new ReduceOnPlateau().getState());
   */
  getState(): ReduceOnPlateauState {
    return { ...this.state };
  }

  /**
   * Restore state saved by `getState` (possibly via JSON).
   *
   * @example
   * const p = new ReduceOnPlateau();
   * p.setState({ best: 0.4, numBadEpochs: 2, cooldownCounter: 0, factor: 0.1 });
   */
  setState(state: ReduceOnPlateauState): void {
    const field = "reduceOnPlateau.state";
    const o = expectObject(state, field);
    const num = (key: string, ok: (v: number) => boolean) => {
      const v = o[key];
      if (typeof v !== "number" || !ok(v)) {
        throw new ConfigError(`${field}.${key}: got ${describeValue(v)}`, { field: `${field}.${key}` });
      }
      return v;
    };
    const best = o["best"] === null ? null : num("best", (v) => !Number.isNaN(v));
    this.state = {
      best,
      numBadEpochs: num("numBadEpochs", (v) => Number.isInteger(v) && v >= 0),
      cooldownCounter: num("cooldownCounter", (v) => Number.isInteger(v) && v >= 0),
      factor: num("factor", (v) => v > 0 && v <= 1),
    };
  }
}

/**
 * What `scheduleFromConfig` returns: either a pure schedule evaluated before every optimiser step,
 * or a plateau reducer the training loop feeds a metric once per epoch (its `factor` is the
 * multiplier in force). The `kind` tells the loop which it has; `type` is the name in the config.
 */
export type ScheduleSpec =
  | { kind: "schedule"; type: string; schedule: Schedule }
  | { kind: "plateau"; type: string; plateau: ReduceOnPlateau };

/** The built-in learning-rate schedules' names. */
export type ScheduleType = "step" | "exponential" | "cosine" | "plateau";

/** The built-in schedules, typed so that a type without an entry fails to compile. */
const BUILTIN = {
  step: defineKind({
    name: "step",
    doc: "gamma^floor(epoch / stepSize) (PyTorch StepLR).",
    options: STEP_SPEC,
    create: (o, _c, field): ScheduleSpec => ({
      kind: "schedule",
      type: "step",
      schedule: stepDecay(o, field),
    }),
  }),
  exponential: defineKind({
    name: "exponential",
    doc: "gamma^epoch (PyTorch ExponentialLR).",
    options: EXPONENTIAL_SPEC,
    create: (o, _c, field): ScheduleSpec => ({
      kind: "schedule",
      type: "exponential",
      schedule: exponentialDecay(o, field),
    }),
  }),
  cosine: defineKind({
    name: "cosine",
    doc: "Linear warm-up, then half-cosine decay per step (Loshchilov & Hutter, SGDR).",
    options: COSINE_SPEC,
    create: (o, _c, field): ScheduleSpec => ({
      kind: "schedule",
      type: "cosine",
      schedule: cosineWithWarmup(o, field),
    }),
  }),
  plateau: defineKind({
    name: "plateau",
    doc: "Reduce when the validation loss stops improving (PyTorch ReduceLROnPlateau).",
    options: PLATEAU_SPEC,
    create: (o, _c, field): ScheduleSpec => ({
      kind: "plateau",
      type: "plateau",
      plateau: new ReduceOnPlateau(o, field),
    }),
  }),
} satisfies Record<ScheduleType, Kind<ScheduleSpec>>;

/**
 * Every schedule a run config may name, the user's included: a user's kind returns
 * `{kind: "schedule", type, schedule}` with `schedule` a pure function of the position.
 *
 * @example
 * schedules.register({ name: "half", doc: "½.", options: {}, create: () => ({ kind: "schedule", type: "half", schedule: () => 0.5 }) });
 */
export const schedules = new Registry<ScheduleSpec>("schedule", "schedule", Object.values(BUILTIN));

/**
 * Build a schedule from the run config's `schedule` object:
 * `{"type":"step","stepSize":…,"gamma":…}`, `{"type":"exponential","gamma":…}`,
 * `{"type":"cosine","warmupSteps":…,"totalSteps":…,"minFactor":…}` or
 * `{"type":"plateau","mode":…,"factor":…,"patience":…,"threshold":…,"thresholdMode":…,"cooldown":…,"minFactor":…}`,
 * or a type a user registered.
 *
 * @example
 * const spec = scheduleFromConfig({ type: "cosine", warmupSteps: 100, totalSteps: 10000 });
 * if (spec.kind === "schedule") spec.schedule({ step: 0, epoch: 0, stepsPerEpoch: 500 }); // 0.01
 */
export function scheduleFromConfig(cfg: unknown, field = "schedule"): ScheduleSpec {
  return schedules.build(expectObject(cfg, field), undefined, field);
}
