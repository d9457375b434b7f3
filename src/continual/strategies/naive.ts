import type { Strategy, StrategySpec } from "../strategy.js";

/**
 * Naive fine-tuning: train on each task in turn and nothing else. The lower bound every other
 * strategy must beat.
 *
 * @example
 * runContinual({ ...cfg, strategy: { type: "naive", options: {} } });
 */
export function naive(): Strategy {
  return { name: "naive", taskFree: true };
}

export const naiveSpec: StrategySpec = { type: "naive", hyper: {}, create: () => naive() };
