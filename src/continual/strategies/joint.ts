import { concatData, type Strategy, type StrategySpec } from "../strategy.js";

/**
 * Joint (offline) training: at task i, continue training on the rows of tasks 0..i together. Not a
 * continual learner (it keeps all data), but the upper bound of the accuracy matrix and the reference
 * model of intransigence (Chaudhry et al. 2018). It costs i + 1 times the data of a task at task i.
 *
 * @example
 * runContinual({ ...cfg, strategy: { type: "joint", options: {} } });
 */
export function joint(): Strategy {
  return { name: "joint", trainingData: (ctx) => concatData(ctx.seen) };
}

export const jointSpec: StrategySpec = { type: "joint", hyper: {}, create: () => joint() };
