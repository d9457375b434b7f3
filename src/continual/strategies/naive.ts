import type { Strategy } from "../strategy.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

/**
 * Naive fine-tuning: train on each task in turn and nothing else. The lower bound every other
 * strategy must beat.
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: "naive" }));
 */
export function naive(): Strategy {
  return { name: "naive", taskFree: true };
}

const OPTIONS = {} as const satisfies OptionSchema;

/** `{"type": "naive", …}` as a run config's continual strategy. */
export const naiveKind = defineKind({
  name: "naive",
  doc: "Plain fine-tuning on each task in turn: the baseline that forgets.",
  options: OPTIONS,
  create: () => naive(),
});
