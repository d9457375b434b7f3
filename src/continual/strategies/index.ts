/**
 * The built-in strategies by the name a run config uses (`"strategy": {"type": "ewc", "lambda": 1000}`).
 * A user's own strategy needs no entry here: pass it to `runContinual` as `strategy: () => myStrategy()`.
 */
import { ConfigError } from "../../tensor/errors.js";
import type { Strategy, StrategySpec } from "../strategy.js";
import { agem, agemSpec } from "./agem.js";
import { ewc, ewcSpec } from "./ewc.js";
import { joint, jointSpec } from "./joint.js";
import { lwf, lwfSpec } from "./lwf.js";
import { mas, masSpec } from "./mas.js";
import { naive, naiveSpec } from "./naive.js";
import { onlineEwc, onlineEwcSpec } from "./online-ewc.js";
import { replay, replaySpec, ReservoirBuffer } from "./replay.js";
import { si, siSpec } from "./si.js";

export const STRATEGY_SPECS: Readonly<Record<string, StrategySpec>> = Object.fromEntries(
  [naiveSpec, jointSpec, ewcSpec, onlineEwcSpec, siSpec, masSpec, lwfSpec, replaySpec, agemSpec].map((s) => [
    s.type,
    s,
  ]),
);
export const STRATEGY_TYPES: readonly string[] = Object.keys(STRATEGY_SPECS);

/** A named strategy and its hyper-parameters (missing ones take the spec's defaults). */
export interface StrategyChoice {
  type: string;
  options: Readonly<Record<string, number>>;
}

/** A fresh instance (strategies keep state across tasks, so each run needs its own). */
export function createStrategy(choice: StrategyChoice): Strategy {
  const spec = STRATEGY_SPECS[choice.type];
  if (!spec)
    throw new ConfigError(
      `strategy.type: unknown strategy ${JSON.stringify(choice.type)}; expected one of ${STRATEGY_TYPES.join(", ")}`,
      { field: "strategy.type" },
    );
  return spec.create(choice.options);
}

export { agem, ewc, joint, lwf, mas, naive, onlineEwc, replay, si, ReservoirBuffer };
