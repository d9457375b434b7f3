/**
 * The named optimisers, each a chain of small transforms with PyTorch's option names and defaults
 * (camelCase); the `optimizers` registry that a run config's `optimizer` is looked up in; and
 * `optimizerFromConfig` for the JSON run config. Options are checked here once, so that a typo in a
 * config file or a negative learning rate is reported before training starts.
 */
import {
  configRule,
  expectObject,
  type OptionSpec,
  type ParsedOptions,
  parseOptions,
} from "../config/options.js";
import { type DeferredGradients, settleAll } from "../autograd/deferred.js";
import { type Kind, Registry } from "../config/registry.js";
import { scaleByAdagrad, scaleByAdam, scaleByRms } from "./adaptive.js";
import {
  type GradientTransform,
  addDecayedWeights,
  applyUpdates,
  chain,
  scaleByLearningRate,
  trace,
} from "./transform.js";

/** No deferred gradients: `step` is `stepDeferred` with this (never written). */
const NONE_DEFERRED: DeferredGradients = new Map();

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
  /**
   * `step` where some updates are not computed yet: `deferred` holds, by update array, the factors of
   * each such gradient (see `grad`), which the step fuses into its own pass or computes first, with the
   * same bits as `step` on the computed gradients. A custom optimiser that replaces `step` leaves it out.
   */
  stepDeferred?(
    params: Float32Array[],
    updates: Float32Array[],
    state: S,
    lr: number,
    deferred: DeferredGradients,
  ): void;
}

/** Options of `sgd`, as PyTorch's SGD takes them. */
export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}
/**
 * Options of `adam` and `adamw`, as PyTorch's Adam takes them (defaults lr 1e-3, betas 0.9 and 0.999, eps 1e-8).
 */
export interface AdamOptions {
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}
/** Options of `rmsprop`, as PyTorch's RMSprop takes them. */
export interface RmspropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}
/** Options of `adagrad`, as PyTorch's Adagrad takes them. */
export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

const nonNegative = (value: number | undefined, doc: string) =>
  ({ kind: "number", min: 0, default: value, doc }) as const;
const beta = (value: number, doc: string) =>
  ({ kind: "number", min: 0, max: 1, maxExclusive: true, default: value, doc }) as const;
const flag = (doc: string) => ({ kind: "boolean", default: false, doc }) as const;
const LR = "Base learning rate (a schedule multiplies it).";
const DECAY = "L2 penalty added to the gradient.";
const EPS = "Added to the denominator.";
const adamSpec = (weightDecay: number, decayDoc: string) =>
  ({
    lr: nonNegative(1e-3, LR),
    beta1: beta(0.9, "Decay of the first moment."),
    beta2: beta(0.999, "Decay of the second moment."),
    eps: nonNegative(1e-8, EPS),
    weightDecay: nonNegative(weightDecay, decayDoc),
    amsgrad: flag("Use the maximum of past second moments (Reddi et al. 2018)."),
  }) as const;

/** Option specs with PyTorch's defaults and range checks; SGD's lr is required, as in PyTorch. */
const SPECS = {
  sgd: {
    lr: nonNegative(undefined, LR),
    momentum: nonNegative(0, "Momentum factor."),
    dampening: nonNegative(0, "Dampening of the momentum."),
    nesterov: flag("Nesterov momentum (needs momentum > 0, dampening 0)."),
    weightDecay: nonNegative(0, DECAY),
  },
  adam: adamSpec(0, DECAY),
  adamw: adamSpec(1e-2, "Decoupled weight decay, lr·weightDecay·p."),
  rmsprop: {
    lr: nonNegative(1e-2, LR),
    alpha: nonNegative(0.99, "Decay of the squared-gradient average."),
    eps: nonNegative(1e-8, EPS),
    weightDecay: nonNegative(0, DECAY),
    momentum: nonNegative(0, "Momentum factor."),
    centered: flag("Divide by the gradient's estimated variance, not its second moment."),
  },
  adagrad: {
    lr: nonNegative(1e-2, LR),
    lrDecay: nonNegative(0, "Learning-rate decay per step."),
    weightDecay: nonNegative(0, DECAY),
    initialAccumulatorValue: nonNegative(0, "Starting value of the squared-gradient sum."),
    eps: nonNegative(1e-10, EPS),
  },
} as const satisfies Record<string, Record<string, OptionSpec>>;

const DOCS: Record<OptimizerType, string> = {
  sgd: "Stochastic gradient descent, PyTorch's momentum, dampening, Nesterov and L2 decay.",
  adam: "Adam (Kingma & Ba 2015); weightDecay is an L2 penalty.",
  adamw: "AdamW (Loshchilov & Hutter 2019): Adam with decoupled weight decay.",
  rmsprop: "RMSprop as in PyTorch (Tieleman & Hinton), optionally centered and with momentum.",
  adagrad: "Adagrad as in PyTorch (Duchi et al. 2011).",
};

/** The built-in optimisers' names. */
export type OptimizerType = keyof typeof SPECS;
/** Every built-in optimiser's name. */
export const OPTIMIZER_TYPES = Object.keys(SPECS) as OptimizerType[];

/**
 * Whether an optimiser of this type divides each weight's step by a running size of its own gradients
 * (Adam, AdamW, RMSprop, Adagrad): a steep loss term then moves a weight about `lr` a step, not `lr` times
 * its gradient, so it cannot make the weight diverge. False for SGD and for a type it does not know.
 *
 * @example
 * scalesEachWeight("adam"); // true
 */
export const scalesEachWeight = (type: string): boolean =>
  type === "adam" || type === "adamw" || type === "rmsprop" || type === "adagrad";

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

/** A built-in optimiser from options already checked against its spec. */
function createOptimizer(
  type: OptimizerType,
  parsed: Record<string, unknown>,
  field: string,
): Optimizer<unknown[]> {
  const checked = parsed as Record<string, number | boolean> & { lr: number };
  const stages = (BUILDERS[type] as (o: unknown, field: string) => GradientTransform<unknown>[])(
    checked,
    field,
  );
  const transform = chain(...stages);
  // Everything but the learning-rate scaling, which `step` folds into p -= lr·u. The state stays the
  // whole chain's (checkpoints do not depend on which path ran); the last stage keeps none.
  const head = chain(...stages.slice(0, -1));
  // Adam's stage, last before the rate, applies the step in its own pass (the same bits, a pass fewer).
  const fused = stages.at(-2)?.updateAndApply ? stages.at(-2)! : null;
  const beforeFused = chain(...stages.slice(0, -2));
  // Only the fused stage takes gradients as factors, and only when no stage before it reads them.
  const takesFactors = fused !== null && stages.slice(0, -2).every((t) => t.passesThrough);
  const { lr, ...options } = checked;
  return {
    type,
    lr,
    options,
    init: transform.init,
    update: transform.update,
    step: (params, updates, state, stepLr) => stepDeferred(params, updates, state, stepLr, NONE_DEFERRED),
    stepDeferred,
  };

  function stepDeferred(
    params: Float32Array[],
    updates: Float32Array[],
    state: unknown[],
    stepLr: number,
    deferred: DeferredGradients,
  ): void {
    if (!takesFactors) settleAll(deferred);
    if (fused) {
      beforeFused.update(updates, state.slice(0, -2), params, stepLr);
      fused.updateAndApply!(updates, state.at(-2), params, stepLr, stepLr, deferred);
      return;
    }
    head.update(updates, state.slice(0, -1), params, stepLr);
    applyUpdates(params, updates, stepLr);
  }
}

/** The built-in optimisers as registry kinds, typed so that a type without an entry fails to compile. */
const BUILTIN = Object.fromEntries(
  OPTIMIZER_TYPES.map((type): [OptimizerType, Kind<Optimizer>] => [
    type,
    {
      name: type,
      doc: DOCS[type],
      options: SPECS[type],
      create: (o, _c, field) => createOptimizer(type, o, field),
    },
  ]),
) as Record<OptimizerType, Kind<Optimizer>>;

/**
 * Every optimiser a run config may name, the user's included. A user's optimiser is an `Optimizer`
 * (`{type, lr, options, init, update}`, plain state); `step` is optional.
 *
 * @example
 * optimizers.register(defineKind({ name: "halfMomentum", doc: "SGD with momentum 0.5.", options: { lr: { kind: "number", min: 0 } }, create: (o) => sgd({ lr: o.lr, momentum: 0.5 }) }));
 */
export const optimizers = new Registry<Optimizer>("optimizer", "optimizer", Object.values(BUILTIN));

/** A direct call (`sgd({...})`): options checked under the optimiser's own name. */
function direct(type: OptimizerType, options: unknown): Optimizer<unknown[]> {
  return createOptimizer(type, parseOptions(options, SPECS[type], type), type);
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
  return direct("sgd", options);
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
  return direct("adam", options);
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
  return direct("adamw", options);
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
  return direct("rmsprop", options);
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
  return direct("adagrad", options);
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
  // An object, as before the registry: a bare name would hide that SGD's lr is required.
  return optimizers.build(expectObject(cfg, field), undefined, field) as Optimizer<unknown[]>;
}
