/**
 * Detectors as registered kinds: each is one object with its thresholds (its options, whose defaults are
 * DEFAULT_THRESHOLDS), the rule that finds the problem and words its evidence and diagnosis, whether a run
 * can go on with it unrepaired (`fatal`), and its repair. A user's own detector is one more such object,
 * registered in `detectors` or handed to `healthMonitor` directly.
 */
import { defineKind, type Kind, Registry } from "../config/registry.js";
import type { OptionSchema, ParsedOptions } from "../config/options.js";
import type { Batch, EpochEvent, TrainingControl } from "../train/events.js";
import {
  type RepairContext,
  LR_CUT_HARD,
  LR_CUT_SOFT,
  CLIP_HEADROOM,
  clipAt,
  reinitDeadUnits,
  rescaleLayers,
  rollback,
  rollbackAndCut,
  scaleLearningRate,
} from "./actions.js";
import * as rules from "./detectors.js";
import {
  DEFAULT_THRESHOLDS,
  type Finding,
  type HealthEvent,
  type HealthKind,
  median,
  type Rule,
  type Thresholds,
  type TrainingPicture,
} from "./findings.js";
import type { LayerInfo } from "./observer.js";
import { nonFiniteColumns } from "./repairs.js";
import { VITAL_DETECTORS } from "./vitals.js";

/** What a detector sees besides the picture: the loop's capabilities and the model's Dense layers. */
export interface CheckContext {
  readonly control: TrainingControl;
  readonly layers: readonly LayerInfo[];
  /** The rows the check's statistics were taken on. */
  readonly batch?: Batch;
  /**
   * This detector's own memory in the monitor's state (plain data, checkpointed with it), made by `fresh`
   * the first time: for rules that compare the present with a baseline or keep rows of their own.
   */
  memory?<T extends object>(fresh: () => T): T;
}

/** A finding that no repair can cure (bad data): the run fails with `reason`. */
export type Verdict = Finding & { unrepairable?: string };

/** A detector made from its kind and options: what the monitor runs. */
export interface Detector {
  readonly name: string;
  /** The kinds of finding it reports (repairs and budgets are per finding kind). */
  readonly reports: readonly HealthKind[];
  /** The run fails (exit code 1) once repairs of its findings stop holding; the others are only reported. */
  readonly fatal: boolean;
  /**
   * It reads the vital-signs measures (stable rank, weight change), which the monitor then takes at each
   * check: `true` on every unit layer, a number on that many last hidden layers (the weight change is a
   * pass over a layer's weights; the others then go without it).
   */
  readonly measures?: boolean | number;
  /**
   * It reads ‖W‖, its growth between checks or the update ratio (default true). When no detector of a
   * monitor does, its checks skip those passes over the weights (the values read NaN).
   */
  readonly readsWeights?: boolean;
  /** At each check: a finding, or null when all is well. */
  check?(p: TrainingPicture, seen: CheckContext): Verdict | null;
  /** At each epoch's end, over the epochs so far. */
  epoch?(epochs: readonly EpochEvent[]): Finding | null;
  /** The repair of a finding, to run when the policy allows; null where the evidence supports none. */
  repair?(f: Finding, ctx: RepairContext): (() => HealthEvent[]) | null;
}

/** What a detector kind is made with: the monitor's thresholds (for the keys its options do not name). */
export interface DetectorContext {
  readonly thresholds: Thresholds;
}

/** A registered detector: its option schema and the factory that makes a `Detector` from them. */
export type DetectorKind = Kind<Detector, DetectorContext>;

/**
 * A detector kind, its factory seeing its options typed from its schema (`defineKind` for detectors).
 *
 * @example
 * const lossSpike = defineDetector({
 *   name: "lossSpike", doc: "The window loss jumped.", options: { factor: { kind: "number", min: 1, default: 2 } },
 *   create: (o) => ({ name: "lossSpike", reports: ["lossSpike"], fatal: false, check: (p) => null }),
 * });
 */
export function defineDetector<S extends OptionSchema>(kind: {
  readonly name: string;
  readonly doc: string;
  readonly options: S;
  create(options: ParsedOptions<S>, context: DetectorContext): Detector;
}): DetectorKind {
  return defineKind(kind);
}

/** The option specs of some thresholds, with DEFAULT_THRESHOLDS as their defaults and docs of their own. */
function thresholdOptions<K extends keyof Thresholds>(docs: Record<K, string>): OptionSchema {
  return Object.fromEntries(
    Object.entries(docs).map(([key, doc]) => [
      key,
      { kind: "number", min: 0, default: DEFAULT_THRESHOLDS[key as K], doc: doc as string },
    ]),
  );
}

/** A built-in detector over one rule: its thresholds are the monitor's, overridden by its own options. */
function ruleKind(kind: {
  name: string;
  doc: string;
  reports: HealthKind;
  fatal?: boolean;
  options: Record<string, string>;
  rule: Rule;
  repair?: Detector["repair"];
}): DetectorKind {
  return defineKind({
    name: kind.name,
    doc: kind.doc,
    options: thresholdOptions(kind.options as Record<keyof Thresholds, string>),
    create: (options, ctx: DetectorContext): Detector => {
      const t = { ...ctx.thresholds, ...(options as Partial<Thresholds>) };
      return {
        name: kind.name,
        reports: [kind.reports],
        fatal: kind.fatal ?? false,
        check: (p) => kind.rule(p, t),
        repair: kind.repair,
      };
    },
  });
}

const hardCut: Detector["repair"] = (_f, ctx) => () => rollbackAndCut(ctx, LR_CUT_HARD);
const softCut: Detector["repair"] = (_f, ctx) => () => [scaleLearningRate(ctx, LR_CUT_SOFT)];

/** NaN confined to some input columns of the first layer came in with the data: no rollback cleans data. */
function inputColumns(f: Finding, seen: CheckContext): Verdict {
  const first = seen.layers[0];
  if (f.layer !== first.name) return f;
  const cols = nonFiniteColumns(seen.control.model, first.index);
  if (cols.length === 0 || cols.length >= seen.control.model.inputDim) return f;
  return {
    ...f,
    evidence: { ...f.evidence, columns: cols.length, column: cols[0] },
    diagnosis: `the weights fed by input column(s) ${cols.slice(0, 5).join(", ")} turned NaN while the loss stayed finite: those inputs are NaN in some rows (ReLU hid them from the loss)`,
    action: "fix or impute the NaN cells, or drop their rows",
    unrepairable: "the data must be fixed first",
  };
}

const nonFiniteWeights: DetectorKind = defineKind({
  name: "nonFiniteWeights",
  doc: "Weights or gradients hold NaN/±∞ while the loss still looks finite; repair: roll back and cut the learning rate.",
  options: {},
  create: (): Detector => ({
    name: "nonFiniteWeights",
    reports: ["nonFinite"],
    fatal: true,
    check: (p, seen) => {
      const f = rules.detectNonFiniteWeights(p, DEFAULT_THRESHOLDS);
      return f && inputColumns(f, seen);
    },
    repair: hardCut,
  }),
});

/**
 * Clip at CLIP_HEADROOM × the typical healthy norm (a guard against spikes, not a brake). Before any norm is
 * known, clipping starts at the next check, from the norms seen once the repair took hold. A blow-up also needs
 * the weights back; clipping that did not hold, a smaller step.
 */
const clipRepair: Detector["repair"] = (f, ctx) => {
  const s = ctx.state;
  const healthy = median(s.gradNorms.slice(0, -1));
  const blewUp = "loss" in f.evidence;
  return () => {
    if (s.clipping) return rollbackAndCut(ctx, LR_CUT_HARD);
    s.clipping = true;
    const out = blewUp ? rollback(ctx) : [];
    // Signals that grow layer by layer are the usual source: bring each layer's pre-activations back to unit spread.
    out.push(...rescaleLayers(ctx));
    if (Number.isFinite(healthy) && healthy > 0)
      out.push(clipAt(ctx.control, ctx.step, CLIP_HEADROOM * healthy));
    else s.pendingClip = true;
    return out;
  };
};

/**
 * Update size scales with the learning rate: aim at the top of the healthy band (1e-2), where a step too far
 * is caught by lrTooHigh and rolled back; at least 10×, at most 1e4× at once.
 */
const raiseLr: Detector["repair"] = (f, ctx) => () => [
  scaleLearningRate(ctx, Math.min(1e4, Math.max(10, 1e-2 / f.evidence.updateRatio))),
];

const overfitting: DetectorKind = defineKind({
  name: "overfitting",
  doc: "Train and validation performance drift apart for overfitEpochs epochs in a row (AUTOTRAINER's gaps); reported, not repaired.",
  options: thresholdOptions({
    overfitGap: "Train − validation accuracy gap while train accuracy ≤ 0.9.",
    overfitGapHigh: "The gap when train accuracy > 0.9.",
    overfitLossRatio: "Regression: validation loss over train loss.",
    overfitEpochs: "Epochs in a row the rule must hold.",
  }),
  create: (options, ctx: DetectorContext): Detector => {
    const t = { ...ctx.thresholds, ...(options as Partial<Thresholds>) };
    return {
      name: "overfitting",
      reports: ["overfitting"],
      fatal: false,
      epoch: (epochs) => rules.detectOverfitting(epochs, t),
    };
  },
});

const RATIO = "Update-to-weight ratio (‖ΔW‖/‖W‖, median over weight matrices).";
const POOR = {
  satisfiedAccuracy: "A fit still counts as poor below this accuracy (AUTOTRAINER Θ)…",
  plateauLossFraction: "…or (regression) above this fraction of the first window's loss.",
};

/** The built-in detectors, in the order they are consulted at a check (most specific first; the first finding wins). */
export const BUILTIN_DETECTORS: readonly DetectorKind[] = [
  nonFiniteWeights,
  ruleKind({
    name: "divergence",
    doc: "The windowed loss rose well above where training started; repair: roll back and cut the learning rate.",
    reports: "divergence",
    fatal: true,
    options: { divergenceFactor: "A window's mean loss above this many times the first window's." },
    rule: rules.detectDivergence,
    repair: hardCut,
  }),
  ruleKind({
    name: "lrTooHigh",
    doc: "Steps move the weights by a large fraction of their size; repair: roll back and cut the learning rate.",
    reports: "lrTooHigh",
    fatal: true,
    options: {
      updateRatioHigh: `${RATIO} Above this: too high.`,
      weightGrowth: "Growth of ‖W‖ between checks.",
    },
    rule: rules.detectLrTooHigh,
    repair: hardCut,
  }),
  ruleKind({
    name: "explodingGradients",
    doc: "Gradients grow towards the input or jump far above their usual size; repair: LSUV rescaling and gradient clipping.",
    reports: "explodingGradients",
    fatal: true,
    options: {
      explodingRatio: "First-layer over last-layer gradient norm (AUTOTRAINER β₃).",
      explodingGrowth: "Global gradient norm over its running median.",
    },
    rule: rules.detectExplodingGradients,
    repair: clipRepair,
  }),
  ruleKind({
    name: "dyingRelu",
    doc: "Most ReLU units of a layer never fired over the dead-unit window; repair: re-initialise them (ReDo, Sokar et al. 2023).",
    reports: "dyingRelu",
    options: { deadFraction: "Fraction of units never active over the window (AUTOTRAINER γ)." },
    rule: rules.detectDyingRelu,
    repair: (f, ctx) => reinitDeadUnits(ctx, f.layer),
  }),
  ruleKind({
    name: "vanishingGradients",
    doc: "Gradients shrink to nothing on their way back to the first layer; reported, not repaired.",
    reports: "vanishingGradients",
    options: {
      vanishingRatio: "First-layer over last-layer gradient norm (AUTOTRAINER β₁)…",
      vanishingNorm: "…and the first layer's gradient norm (AUTOTRAINER β₂).",
      deadFraction: "Dying ReLU explains it instead above this inactive fraction.",
    },
    rule: rules.detectVanishingGradients,
  }),
  ruleKind({
    name: "saturation",
    doc: "Sigmoid/tanh units sit at their bounds while the fit is poor; repair: LSUV rescaling (Mishkin & Matas 2016).",
    reports: "saturation",
    options: { saturatedFraction: "Fraction of outputs within 1% of their bounds.", ...POOR },
    rule: rules.detectSaturation,
    repair: (_f, ctx) => () => rescaleLayers(ctx),
  }),
  ruleKind({
    name: "lrTooLow",
    doc: "Steps barely move the weights while the fit is poor; repair: raise the learning rate.",
    reports: "lrTooLow",
    options: {
      updateRatioLow: `${RATIO} Below this: too low.`,
      deadFraction: "As vanishingGradients.",
      ...POOR,
    },
    rule: rules.detectLrTooLow,
    repair: raiseLr,
  }),
  ruleKind({
    name: "oscillation",
    doc: "The windowed loss swings up and down instead of settling; repair: halve the learning rate.",
    reports: "oscillation",
    options: {
      oscillationSwing: "Relative swing of window losses that counts as one oscillation…",
      oscillationCount: "…and how many within historyChecks windows.",
      historyChecks: "Windows looked back over.",
      warmupChecks: "Checks before it may judge.",
      satisfiedAccuracy: POOR.satisfiedAccuracy,
    },
    rule: rules.detectOscillation,
    repair: softCut,
  }),
  ruleKind({
    name: "notLearning",
    doc: "Accuracy stays at the level of guessing the most frequent class; reported, not repaired.",
    reports: "notLearning",
    options: {
      chanceMargin: "At most chance + this × (1 − chance).",
      warmupChecks: "Checks before it may judge.",
    },
    rule: rules.detectNotLearning,
  }),
  ruleKind({
    name: "plateau",
    doc: "The loss stopped improving while the fit is still poor; repair: halve the learning rate.",
    reports: "plateau",
    options: {
      plateauImprovement: "Best window loss improved by less than this fraction (AUTOTRAINER δ)…",
      historyChecks: "…over this many windows.",
      warmupChecks: "Checks before it may judge.",
      ...POOR,
    },
    rule: rules.detectPlateau,
    repair: softCut,
  }),
  overfitting,
];

/**
 * Every detector kind, built-in and registered by users; `healthMonitor({ detectors })` and a run config's
 * `health.detectors` name them.
 *
 * @example
 * const lossSpike = defineDetector({ name: "lossSpike", doc: "The window loss jumped.", options: {},
 *   create: () => ({ name: "lossSpike", reports: ["lossSpike"], fatal: false, check: () => null }) });
 * detectors.register(lossSpike);
 * healthMonitor({ detectors: [...BUILTIN_DETECTOR_NAMES, "lossSpike"] });
 */
export const detectors = new Registry<Detector, DetectorContext>("health detector", "health.detectors", [
  ...BUILTIN_DETECTORS,
  // Registered but not in the default list: a run only has them when it names them (or the vitals loop).
  ...VITAL_DETECTORS,
]);

/** The names of the built-in detectors, in their order: the default list. */
export const BUILTIN_DETECTOR_NAMES: readonly string[] = BUILTIN_DETECTORS.map((k) => k.name);
