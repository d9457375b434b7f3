import { concatData, type Strategy } from "../strategy.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

/**
 * Joint (offline) training: at task i, continue training on the rows of tasks 0..i together. Not a
 * continual learner (it keeps all data), but the upper bound of the accuracy matrix and the reference
 * model of intransigence (Chaudhry et al. 2018). It costs i + 1 times the data of a task at task i.
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: "joint" }));
 */
export function joint(): Strategy {
  return { name: "joint", trainingData: (ctx) => concatData(ctx.seen) };
}

const OPTIONS = {} as const satisfies OptionSchema;

/** `{"type": "joint", …}` as a run config's continual strategy. */
export const jointKind = defineKind({
  name: "joint",
  doc: "Training on every task seen so far at once: the upper bound, not a continual learner.",
  options: OPTIONS,
  create: () => joint(),
});
