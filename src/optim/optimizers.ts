/**
 * The named optimisers, each a chain of small transforms with PyTorch's option names and defaults
 * (camelCase), and `optimizerFromConfig` for the JSON run config. Options are checked here once,
 * so that a typo in a config file or a negative learning rate is reported before training starts.
 */
import { ConfigError } from "../tensor/errors.js";
import { scaleByAdagrad, scaleByAdam, scaleByRms } from "./adaptive.js";
import {
  type OptionSpec,
  type ParsedOptions,
  configRule,
  describeValue,
  expectObject,
  parseOptions,
} from "../config/options.js";
import {
  type GradientTransform,
  addDecayedWeights,
  applyUpdates,
  chain,
  scaleByLearningRate,
  trace,
} from "./transform.js";

/** A named optimiser: its transform chain plus what a report or checkpoint needs to describe it. */
export interface Optimizer<S = unknown> extends GradientTransform<S> {
  readonly type: string;
  /** Base learning rate; the caller multiplies it by the schedule's factor and passes it to `update`. */
  readonly lr: number;
  /** Every other hyper-parameter, defaults filled in. */
  readonly options: Record<string, number | boolean>;
  /**
   * `update` then `applyUpdates`, in fewer passes: the named optimisers apply the learning rate in the
   * same pass as `p -= u` (p ← p − lr·u, rounded once, as PyTorch's `add_(u, alpha=-lr)`), instead
   * of scaling `updates` first. `updates` are left unscaled. A custom optimiser may leave it out.
   */
  step?(params: Float32Array[], updates: Float32Array[], state: S, lr: number): void;
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}
export interface RmspropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}
export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

const nonNegative = (value?: number) => ({ kind: "number", min: 0, default: value }) as const;
const beta = (value: number) =>
  ({ kind: "number", min: 0, max: 1, maxExclusive: true, default: value }) as const;
const flag = { kind: "boolean", default: false } as const;
const adamSpec = (weightDecay: number) =>
  ({
    lr: nonNegative(1e-3),
    beta1: beta(0.9),
    beta2: beta(0.999),
    eps: nonNegative(1e-8),
    weightDecay: nonNegative(weightDecay),
    amsgrad: flag,
  }) as const;

/** Option specs with PyTorch's defaults and range checks; SGD's lr is required, as in PyTorch. */
const SPECS = {
  sgd: {
    lr: nonNegative(),
    momentum: nonNegative(0),
    dampening: nonNegative(0),
    nesterov: flag,
    weightDecay: nonNegative(0),
  },
  adam: adamSpec(0),
  adamw: adamSpec(1e-2),
  rmsprop: {
    lr: nonNegative(1e-2),
    alpha: nonNegative(0.99),
    eps: nonNegative(1e-8),
    weightDecay: nonNegative(0),
    momentum: nonNegative(0),
    centered: flag,
  },
  adagrad: {
    lr: nonNegative(1e-2),
    lrDecay: nonNegative(0),
    weightDecay: nonNegative(0),
    initialAccumulatorValue: nonNegative(0),
    eps: nonNegative(1e-10),
  },
} as const satisfies Record<string, Record<string, OptionSpec>>;

export type OptimizerType = keyof typeof SPECS;
export const OPTIMIZER_TYPES = Object.keys(SPECS) as OptimizerType[];

/** Each optimiser's stages, the learning-rate scaling last. */
type Builders = {
  // biome-ignore lint/suspicious/noExplicitAny: each optimiser's stages carry their own state types.
  [T in OptimizerType]: (o: ParsedOptions<(typeof SPECS)[T]>, field: string) => GradientTransform<any>[];
};

/** How each optimiser composes; typed so that a new entry in SPECS without a builder fails to compile. */
const BUILDERS: Builders = {
  sgd: (o, field) => {
    configRule(
      !o.nesterov || (o.momentum > 0 && o.dampening === 0),
      `${field}.nesterov`,
      `Nesterov momentum needs momentum > 0 and dampening 0, got momentum ${o.momentum} and dampening ${o.dampening}`,
    );
    return [addDecayedWeights(o.weightDecay), trace(o), scaleByLearningRate()];
  },
  // PyTorch Adam's weight_decay is L2: added to the gradient before the moments see it.
  adam: (o) => [addDecayedWeights(o.weightDecay), scaleByAdam(o), scaleByLearningRate()],
  // Decoupled: decay bypasses the moments, then both are scaled by lr — PyTorch AdamW's p·(1 − lr·wd) − lr·adam.
  adamw: (o) => [scaleByAdam(o), addDecayedWeights(o.weightDecay), scaleByLearningRate()],
  rmsprop: (o) => [addDecayedWeights(o.weightDecay), scaleByRms(o), scaleByLearningRate()],
  adagrad: (o) => [addDecayedWeights(o.weightDecay), scaleByAdagrad(o), scaleByLearningRate()],
};

function createOptimizer(
  type: OptimizerType,
  raw: unknown,
  field: string,
  passThrough: readonly string[] = [],
): Optimizer<unknown[]> {
  const parsed = parseOptions(raw, SPECS[type], field, passThrough) as Record<string, number | boolean> & {
    lr: number;
  };
  const stages = (BUILDERS[type] as (o: unknown, field: string) => GradientTransform<unknown>[])(
    parsed,
    field,
  );
  const transform = chain(...stages);
  // Everything but the learning-rate scaling, which `step` folds into p -= lr·u. The state stays the
  // whole chain's (checkpoints do not depend on which path ran); the last stage keeps none.
  const head = chain(...stages.slice(0, -1));
  const { lr, ...options } = parsed;
  return {
    type,
    lr,
    options,
    init: transform.init,
    update: transform.update,
    step(params, updates, state, stepLr) {
      head.update(updates, state.slice(0, -1), params, stepLr);
      applyUpdates(params, updates, stepLr);
    },
  };
}

/**
 * Stochastic gradient descent with PyTorch's momentum, dampening, Nesterov and L2 weight decay.
 *
 * @example
 * const opt = sgd({ lr: 0.1, momentum: 0.9 });
 * const params = [new Float32Array([1, -1])];
 * const state = opt.init(params);
 * const updates = [new Float32Array([0.5, 0.5])]; // gradients, overwritten in place
 * opt.update(updates, state, params, opt.lr);
 * applyUpdates(params, updates); // params[0] = [0.95, -1.05]
 */
export function sgd(options: SgdOptions): Optimizer<unknown[]> {
  return createOptimizer("sgd", options, "sgd");
}

/**
 * Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization"); `weightDecay` is PyTorch Adam's
 * L2 penalty. Prefer `adamw` for decoupled decay.
 *
 * @example
 * const opt = adam({ lr: 1e-3 });
 * const params = [new Float32Array([1])];
 * const state = opt.init(params);
 * const updates = [new Float32Array([4])];
 * opt.update(updates, state, params, opt.lr); // updates ≈ [1e-3]: the first step is lr·sign(g)
 */
export function adam(options: AdamOptions = {}): Optimizer<unknown[]> {
  return createOptimizer("adam", options, "adam");
}

/**
 * AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization"): Adam plus lr·weightDecay·p,
 * equal to PyTorch AdamW up to float32 rounding.
 *
 * @example
 * const opt = adamw({ lr: 1e-3, weightDecay: 0.1 });
 * const params = [new Float32Array([2])];
 * const updates = [new Float32Array([4])];
 * opt.update(updates, opt.init(params), params, opt.lr); // updates ≈ [1e-3 · (1 + 0.1 · 2)]
 */
export function adamw(options: AdamOptions = {}): Optimizer<unknown[]> {
  return createOptimizer("adamw", options, "adamw");
}

/**
 * RMSprop as in PyTorch (Tieleman & Hinton, Lecture 6.5), optionally centered and with momentum.
 *
 * @example
 * const opt = rmsprop({ lr: 0.01 });
 * const params = [new Float32Array([1])];
 * const updates = [new Float32Array([0.5])];
 * opt.update(updates, opt.init(params), params, opt.lr); // updates = [0.01 · 0.5 / sqrt(0.01 · 0.25)] = [0.1]
 */
export function rmsprop(options: RmspropOptions = {}): Optimizer<unknown[]> {
  return createOptimizer("rmsprop", options, "rmsprop");
}

/**
 * Adagrad as in PyTorch (Duchi et al., "Adaptive Subgradient Methods for Online Learning and
 * Stochastic Optimization").
 *
 * @example
 * const opt = adagrad({ lr: 0.1, lrDecay: 0.01 });
 * const params = [new Float32Array([1])];
 * const updates = [new Float32Array([3])];
 * opt.update(updates, opt.init(params), params, opt.lr); // updates ≈ [0.1]
 */
export function adagrad(options: AdagradOptions = {}): Optimizer<unknown[]> {
  return createOptimizer("adagrad", options, "adagrad");
}

/**
 * Build an optimiser from the run config's `optimizer` object: `{"type": "sgd" | "adam" | "adamw" |
 * "rmsprop" | "adagrad", "lr": …, other options by the names of the factory functions}`. Every
 * mistake is a ConfigError naming the field, e.g. `optimizer.momentom: unknown key; expected one of
 * type, lr, momentum, dampening, nesterov, weightDecay`.
 *
 * @example
 * const opt = optimizerFromConfig({ type: "adamw", lr: 3e-4, weightDecay: 0.05 });
 * // opt.type === "adamw", opt.lr === 3e-4, opt.options.beta1 === 0.9
 */
export function optimizerFromConfig(cfg: unknown, field = "optimizer"): Optimizer<unknown[]> {
  const obj = expectObject(cfg, field);
  const type = obj["type"];
  if (typeof type !== "string" || !(OPTIMIZER_TYPES as string[]).includes(type)) {
    const expected = OPTIMIZER_TYPES.map((t) => JSON.stringify(t)).join(", ");
    const got = type === undefined ? "nothing" : describeValue(type);
    throw new ConfigError(`${field}.type: expected one of ${expected}, got ${got}`, {
      field: `${field}.type`,
    });
  }
  return createOptimizer(type as OptimizerType, obj, field, ["type"]);
}
