/**
 * The learner's config: the keys of `Learner.create` (and of the CLI's live.json), checked once with the
 * same option vocabulary as every registry, so a mistake names its field (`learner.hidden[1]`).
 */
import {
  describeValue,
  expectObject,
  type OptionSpec,
  type ParsedOptions,
  parseOptions,
} from "../config/options.js";
import { type Optimizer, optimizerFromConfig } from "../optim/optimizers.js";
import type { Choice } from "../config/registry.js";
import { strategies } from "../continual/strategies/index.js";
import { parseRegulators, type RegulatorChoice, withVitals } from "../homeostasis/config.js";
import { LEARNER_CHECK_EVERY } from "./guard.js";
import { CONSOLIDATORS } from "./consolidation.js";
import { layerFromConfig } from "../nn/layer-kinds.js";
import { ConfigError } from "../tensor/errors.js";

/**
 * The learner's config schema (key, kind, default, doc), from which `parseLearnerConfig` checks a config
 * and the CLI prints its help.
 */
export const LEARNER_OPTIONS = {
  task: {
    kind: "choice",
    values: ["classification", "regression"],
    doc: "Predict a label (a growing softmax head) or a number (a running target scale).",
  },
  inputs: {
    kind: "number",
    min: 1,
    integer: true,
    optional: true,
    doc: "Input width; left out, the first row fixes it.",
  },
  batch: {
    kind: "number",
    min: 1,
    integer: true,
    default: 1,
    doc: "Learn every this many rows (a micro-batch); 1 learns from each row at once.",
  },
  seed: { kind: "number", integer: true, default: 0, doc: "Seeds the weights, new units and replay draws." },
  memory: {
    kind: "number",
    min: 0,
    integer: true,
    // Measured (the live-bench digit stream, 100,000-row schedule, first 85,000 rows, seed 1,
    // bench/live-bench-sweep.ts): the class-balanced reservoir samples each label's whole history, so a
    // larger memory keeps more of a context that returns. Its first 200 rows back against its last 1,000
    // before it left: memory 1000 88.5% / 96.9% = 91.3%, 2000 92.4%, 4000 94.8%, 8000 95.0% / 97.5% =
    // 97.4%; unseen plain digits predicted just before they return: 80.0% (1000), 86.9% (4000), 90.3%
    // (8000). Whole stream 93.84% (1000), 94.12% (8000). SEA, hyperplane, RBF (25,000 rows): 86.66%,
    // 89.86%, 86.00% at 1000; 86.91%, 90.19%, 85.92% at 8000; Friedman RMSE 2.486 → 2.449. 8000 rows
    // of 784 pixels are 25 MB of Float32. Seeds 2 and 3: 92.3% and 94.3% (16,000 rows: seed 2 94.9%); the
    // weights hold the plain digits (92% held out) but under the later contexts' normaliser (normalizeCenter).
    default: 8000,
    doc: "Rows the class-balanced replay memory holds (0: no replay).",
  },
  replay: {
    kind: "number",
    min: 0,
    integer: true,
    // Measured (docs/learner.md): 1 remembered row per step kept the digit stream's recurring context at
    // 90.7% against 87.4% without, and cost 0.4–1.5 points on SEA, hyperplane and RBF, whose old
    // concepts are wrong now; 2 or 4 rows cost those 1.2–3.6 points for little more.
    // Whole 100,000-row stream (seed 1, memory 8000): 1 row 94.64%, 2 rows 94.93% (Friedman RMSE 2.449 →
    // 2.577), 3 rows 94.95% (worst dead 4.7%); replay alone at 1, 2, 3 rows: 94.72%, 94.97%, 95.17%.
    // At 2 rows, seeds 2 and 3: 95.05% and 94.90% against replay alone 94.86% and 95.02%.
    default: 1,
    doc: "Remembered rows trained with each step's new rows (0: the memory fills but is not replayed).",
  },
  window: {
    kind: "number",
    min: 1,
    integer: true,
    default: 1000,
    doc: "Rows of the sliding prequential accuracy and loss.",
  },
  normalize: { kind: "boolean", default: true, doc: "Standardise inputs by their running mean and std." },
  normalizeClip: {
    kind: "number",
    min: 0,
    minExclusive: true,
    // Unclipped, the digit stream lost 7 points (81.8% against 88.5%): a border pixel that is nearly
    // always 0 lands hundreds of std away the few times it is not. At ±5 normalisation still cost the
    // digit stream (50,000 rows, seed 1: 92.09% against replay alone 92.56%); ±1.5 gave 92.68%, and
    // SEA, hyperplane and RBF moved by less than 0.2 point (docs/learner.md). Over the whole 100,000-row
    // stream (seed 1, memory 8000): ±1.5 94.64%, ±2 94.43%, ±1 94.58%, ±0.75 94.59%; at ±1 or less SEA lost
    // 2–3 points and the worst dead fraction rose to 16–30% (replay alone: 94.72%, issue 17's target).
    default: 1.5,
    doc: "Clip each normalised input to ±this many std.",
  },
  normalizeDecay: {
    kind: "number",
    min: 0,
    max: 1,
    maxExclusive: true,
    // Measured (50,000 rows of the digit stream, seed 1): 0.001 lifted accuracy 91.75% → 92.08% (a
    // permutation of the pixels no longer meets their old means) and the worst dead fraction 20% → 1.6%;
    // SEA, hyperplane and RBF moved by less than 0.1 point. Whole 100,000-row stream (seed 1, memory
    // 8000): 0.001 94.64%, 0.0003 94.48%, 0.003 94.62% (its recurring context 92.5% against 97.4%).
    default: 0.001,
    doc: "Weight the running statistics lose per row (0: plain means over the whole stream; 0.001 follows ~1,000 rows).",
  },
  normalizeCenter: {
    kind: "number",
    min: 0,
    max: 1,
    // Measured (the whole 100,000-row digit stream, docs/learner.md "Why the returning context is weaker"):
    // centring codes each pixel's background (0) as −mean/std, which moves with every context, so the
    // plain digits rehearsed under the rotated digits' statistics are not the ones that return. 0.5,
    // seeds 1, 2, 3: whole stream 94.96%, 94.94%, 95.02% (centred 94.64%, 94.57%, 94.62%; replay alone
    // 94.72%, 94.71%, 94.81%), returning context 98.2%, 92.0%, 95.2%, worst dead 1.6%; but SEA, hyperplane,
    // RBF (25,000 rows) 85.76%, 88.07%, 86.44% and Friedman RMSE 2.652 against 86.91%, 90.19%, 85.92%,
    // 2.449 centred. 0.75: whole stream 94.84%, 94.77%, 94.93% (above replay alone on all three seeds: the
    // combination pays), returning context 98.2%, 93.3%, 93.7%, worst dead 0–1.6%, SEA, hyperplane, RBF
    // 86.94%, 89.66%, 86.10%, Friedman 2.535: the default, for a cost on hyperplane (−0.5) and Friedman
    // (+3.5%). 0 (not centred): the context at 96–97% on all three seeds, but 40–45% of the units dead.
    default: 0.75,
    doc: "Share of the running mean taken off each input (1: centred; 0.5 keeps half as an offset, after the clip).",
  },
  drift: {
    kind: "choice",
    values: ["adwin", "page-hinkley", "none"],
    default: "adwin",
    doc: "Drift detector on the prequential error (ADWIN: Bifet & Gavaldà 2007).",
  },
  health: {
    kind: "boolean",
    default: true,
    doc: "Watch every step with the health monitor and repair what it finds (learner.md lists the detectors).",
  },
  probe: {
    kind: "number",
    min: 1,
    integer: true,
    // 64 rows: the effective rank of 64 rows (capped at 64) costs ~6 ms a layer; 128 rows ~85 ms.
    default: 64,
    doc: "Recent rows kept as the probe of the balance measures and the health monitor's unit statistics.",
  },
  probeEvery: {
    kind: "number",
    min: 1,
    integer: true,
    default: 1000,
    doc: "Rows between two balance measurements (dead and dormant units, effective rank) on the probe.",
  },
} as const satisfies Record<string, OptionSpec>;

/** Keys checked here rather than by the option spec (arrays and a registry choice). */
const OWN_KEYS = [
  "hidden",
  "inputShape",
  "optimizer",
  "features",
  "labels",
  "homeostasis",
  "vitals",
  "consolidate",
] as const;

/** What `Learner.create` takes. */
export type LearnerConfig = Partial<ParsedOptions<typeof LEARNER_OPTIONS>> & {
  task: "classification" | "regression";
  /**
   * The hidden stack: a width is a ReLU dense layer, an object a layer as a run config's `model.layers`
   * gives it (`{"type": "conv2d", "filters": 8, "kernel": 3, "activation": "relu"}`); default
   * `[64, {"type": "layerNorm"}]` (64 ReLU units, normalised). A
   * stack whose output is shaped (a convolution's) is flattened before the head.
   */
  hidden?: (number | Record<string, unknown>)[];
  /**
   * The shape of one row, channels last ([28, 28, 1]): rows of that many values are read as images by a
   * convolutional stack. Left out, rows are flat.
   */
  inputShape?: number[];
  /** An optimiser config (`{"type": "adam", "lr": 0.001}`); default Adam, lr 1e-3. */
  optimizer?: Record<string, unknown>;
  /** Feature names, when rows come as objects; left out, the first named row fixes them. */
  features?: string[];
  /** Labels known in advance, in output-unit order (more may appear later). */
  labels?: (string | number)[];
  /** Regulators acting after each step, as a run config's `homeostasis` names them; default ReDo. */
  homeostasis?: (string | Record<string, unknown>)[];
  /**
   * The vitals loop's budgets in plain terms (`{"forgettingBudget": 0.05, "deadUnits": 0.02}`): the
   * `vitals` regulator added after `homeostasis`'s, with these options.
   */
  vitals?: Record<string, unknown>;
  /**
   * What a detected drift consolidates, on the replay memory: "onlineEwc", "ewc", "si", "mas", "lwf"
   * or `{"type": …, …options}` as a continual config gives them; "none" (the default) for nothing.
   */
  consolidate?: string | Record<string, unknown>;
};

/** The checked config, defaults filled in: plain data, saved with the learner. */
export type ParsedLearnerConfig = ParsedOptions<typeof LEARNER_OPTIONS> & {
  hidden: HiddenLayer[];
  /** Present only when the config gives one, so saved configs of flat learners stay as they were. */
  inputShape?: number[];
  optimizer: Record<string, unknown>;
  features: string[] | null;
  labels: (string | number)[];
  homeostasis: RegulatorChoice[];
  consolidate: Choice | null;
};

/** One entry of `hidden`: a dense ReLU layer's width, or a layer config (checked by the layer registry). */
export type HiddenLayer = number | Record<string, unknown>;

/**
 * The default network: 64 ReLU units, then layer normalisation of their outputs (Ba et al. 2016) before
 * the head. Measured (docs/learner.md "A normalised hidden layer"; the live-bench digit stream, 100,000
 * rows, seeds 1–7): the whole stream 95.43–95.59% against 94.77–94.97% with [64], replay alone on the
 * same network 0.55–0.6 point below (it was 0.06–0.12); the returning context 92.9–97.0% (mean 95.6%,
 * five seeds of seven ≥ 95%) against 89.9–98.2% (mean 94.5%, three of seven); the worst dead fraction
 * 0–1.6%. SEA, hyperplane, RBF, Friedman (25,000 rows): −0.15, +0.07, +0.83 points, RMSE +0.9%. Layer
 * norm is one fused operation each way (js/norm.ts), so the default runs at about [64]'s rate.
 */
export const DEFAULT_HIDDEN: HiddenLayer[] = [64, { type: "layerNorm" }];
export const DEFAULT_OPTIMIZER = { type: "adam", lr: 1e-3 };
/**
 * The regulators a learner runs when its config names none. Measured (30,000 rows, seed 1, defaults
 * otherwise): ReDo took SEA's worst dead fraction 3.1% → 0% at the same prequential accuracy (86.56%),
 * hyperplane and RBF unchanged. Intrinsic plasticity, L2-Init, continual backprop and shrink-and-perturb
 * each pass over every weight at every step: at batch 1 on 784-256-256-10 (wasm, one thread) they ran at
 * about 415, 270, 480 and 60 rows/s against ReDo's 1,150 in the same runs (IP with L2-Init: 275), so they
 * are there to be named, not defaults (bench/regulator-cost.ts `speed 1000 800`, load ≈3 on 2 cores;
 * L2-Init from `speed 400 400` at load 5–9, against ReDo's 590–1,050 there).
 * On live-bench's streams (100,000 digit rows, 25,000 synthetic, memory 8000, seed 1) ReDo recycled no
 * unit of the default learner: without it every figure is the same to the row (docs/learner.md).
 */
export const DEFAULT_REGULATORS: string[] = ["redo"];

/**
 * ReDo scores units on every LEARNER_REDO_SAMPLE-th step in a learner unless told otherwise: a step that
 * keeps its activations runs its layers unfused, and at one row a step the scoring cost more than the
 * step's products. Measured (784-256-256-10, 2,000 rows, wasm, one thread, 4 interleaved rounds, load
 * 4-10): the default learner ran at 1/1.24 (median of CPU-time ratios 0.93-1.40) of its speed without
 * ReDo. Sampled, a 1,000-step round still scores 100 steps (200 rows with the replayed ones).
 */
export const LEARNER_REDO_SAMPLE = 10;

/**
 * The vitals loop checks every LEARNER_CHECK_EVERY steps in a learner unless told otherwise: its default
 * of 20 is tuned for batches of 16 or more, and at one row a step its checks cost ~20% of the wall time.
 */
function loopCadence(r: RegulatorChoice, raw: unknown): RegulatorChoice {
  const told = (key: string) => typeof raw === "object" && raw !== null && key in raw;
  if (r.type === "vitals" && !told("checkEvery"))
    return { ...r, options: { ...r.options, checkEvery: LEARNER_CHECK_EVERY } };
  if (r.type === "redo" && !told("sample"))
    return { ...r, options: { ...r.options, sample: LEARNER_REDO_SAMPLE } };
  return r;
}

/**
 * Check a learner config and fill in its defaults; every mistake is a ConfigError naming the field.
 *
 * @example
 * parseLearnerConfig({ task: "classification" }).hidden; // [64, { type: "layerNorm" }]
 */
export function parseLearnerConfig(raw: unknown): ParsedLearnerConfig {
  const obj = expectObject(raw, "learner");
  const o = parseOptions(obj, LEARNER_OPTIONS, "learner", OWN_KEYS);
  const hidden = hiddenLayers(obj.hidden ?? DEFAULT_HIDDEN, "learner.hidden");
  const inputShape = obj.inputShape === undefined ? undefined : sampleShape(obj.inputShape, o.inputs);
  const optimizer = {
    ...(obj.optimizer === undefined ? DEFAULT_OPTIMIZER : expectObject(obj.optimizer, "learner.optimizer")),
  };
  buildOptimizer(optimizer); // checked now, so a typo is reported at create, not at the first row
  const features = obj.features === undefined ? null : featureNames(obj.features, "learner.features");
  const labels = obj.labels === undefined ? [] : labelList(obj.labels, "learner.labels");
  if (o.task === "regression" && labels.length > 0)
    throw new ConfigError("learner.labels: a regression learner has no labels", { field: "learner.labels" });
  if (features && o.inputs !== undefined && features.length !== o.inputs)
    throw new ConfigError(`learner.inputs: ${o.inputs} inputs but ${features.length} feature names`, {
      field: "learner.inputs",
    });
  const named = obj.homeostasis ?? DEFAULT_REGULATORS;
  const homeostasis = withVitals(
    parseRegulators(named, "learner.homeostasis"),
    obj.vitals,
    "learner.vitals",
    "learner.homeostasis",
  ).map((r, i) => loopCadence(r, i < (named as unknown[]).length ? (named as unknown[])[i] : obj.vitals));
  const consolidate = consolidation(obj.consolidate);
  const inputs = inputShape ? inputShape.reduce((a, b) => a * b, 1) : o.inputs;
  return {
    ...o,
    inputs,
    hidden: [...hidden],
    ...(inputShape ? { inputShape } : {}),
    optimizer,
    features,
    labels,
    homeostasis,
    consolidate,
  };
}

/**
 * A checked config as a learner's state saves it: the keys `Learner.create` takes, regulators back in
 * their `{type, …options}` form, so the saved config parses to the same config.
 */
export function savedConfig(config: ParsedLearnerConfig): LearnerConfig {
  const { features, homeostasis, consolidate, ...rest } = config;
  return {
    ...rest,
    ...(features ? { features } : {}),
    homeostasis: homeostasis.map((r) => ({ type: r.type, ...r.options })),
    consolidate: consolidate ? { type: consolidate.type, ...consolidate.options } : "none",
  };
}

/**
 * Measured (30,000 rows, seed 1, Adam 1e-3, [64]): online EWC at each drift lowered hyperplane
 * 89.0% → 86.7% (SEA 85.4% → 85.3%), so no consolidation by default.
 */
function consolidation(raw: unknown): Choice | null {
  const field = "learner.consolidate";
  if (raw === undefined || raw === "none") return null;
  const choice = strategies.parse(raw, field);
  if (!(CONSOLIDATORS as readonly string[]).includes(choice.type))
    throw new ConfigError(
      `${field}: "${choice.type}" does not act at task boundaries; expected "none" or one of ${CONSOLIDATORS.map((c) => `"${c}"`).join(", ")}`,
      { field },
    );
  return choice;
}

/** The optimiser a checked config names. */
export function buildOptimizer(cfg: Record<string, unknown>): Optimizer<unknown[]> {
  return optimizerFromConfig(cfg, "learner.optimizer");
}

function list(raw: unknown, field: string): unknown[] {
  if (!Array.isArray(raw))
    throw new ConfigError(`${field}: expected an array, got ${describeValue(raw)}`, { field });
  return raw;
}

function integers(raw: unknown, field: string): number[] {
  return list(raw, field).map((v, i) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
      throw new ConfigError(`${field}[${i}]: expected a positive integer, got ${describeValue(v)}`, {
        field: `${field}[${i}]`,
      });
    return v;
  });
}

/** `hidden`: widths and layer configs; each config is built once here so a mistake names its place. */
function hiddenLayers(raw: unknown, field: string): HiddenLayer[] {
  return list(raw, field).map((v, i) => {
    if (typeof v === "object" && v !== null && !Array.isArray(v)) {
      layerFromConfig(v, `${field}[${i}]`);
      return { ...(v as Record<string, unknown>) };
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
      throw new ConfigError(
        `${field}[${i}]: expected a positive integer (a dense layer's width) or a layer config, got ${describeValue(v)}`,
        { field: `${field}[${i}]` },
      );
    return v;
  });
}

/** `inputShape`: positive integers whose product is `inputs` when that is given too. */
function sampleShape(raw: unknown, inputs: number | undefined): number[] {
  const shape = integers(raw, "learner.inputShape");
  const size = shape.reduce((a, b) => a * b, 1);
  if (inputs !== undefined && inputs !== size)
    throw new ConfigError(
      `learner.inputShape: [${shape.join(", ")}] holds ${size} values but learner.inputs is ${inputs}`,
      { field: "learner.inputShape" },
    );
  return shape;
}

function featureNames(raw: unknown, field: string): string[] {
  const names = list(raw, field).map((v, i) => {
    if (typeof v !== "string" || v === "")
      throw new ConfigError(`${field}[${i}]: expected a non-empty name, got ${describeValue(v)}`, {
        field: `${field}[${i}]`,
      });
    return v;
  });
  if (names.length === 0) throw new ConfigError(`${field}: expected at least one name`, { field });
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new ConfigError(`${field}: "${dup}" is named twice`, { field });
  return names;
}

function labelList(raw: unknown, field: string): (string | number)[] {
  const labels = list(raw, field).map((v, i) => {
    if (!(typeof v === "string" || (typeof v === "number" && Number.isFinite(v))))
      throw new ConfigError(`${field}[${i}]: expected a string or a finite number, got ${describeValue(v)}`, {
        field: `${field}[${i}]`,
      });
    return v;
  });
  const seen = new Set(labels.map(labelKey));
  if (seen.size !== labels.length) throw new ConfigError(`${field}: a label is listed twice`, { field });
  return labels;
}

/** A label's identity: the number 1 and the string "1" are different labels. */
export function labelKey(label: string | number): string {
  return typeof label === "number" ? `n${label}` : `s${label}`;
}
