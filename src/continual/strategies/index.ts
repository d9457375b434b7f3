/**
 * The strategies a run config may name (`"strategy": {"type": "ewc", "lambda": 1000}`): the built-in ones
 * and any a user registers with `strategies.register(kind)`. A strategy that needs no name can also be
 * passed to `runContinual` directly as `strategy: () => myStrategy()`.
 */
import { type Choice, Registry } from "../../config/registry.js";
import type { Strategy } from "../strategy.js";
import { agem, agemKind } from "./agem.js";
import { derpp, derppKind } from "./der.js";
import { ewc, ewcKind } from "./ewc.js";
import { erAce, erAceKind } from "./er-ace.js";
import { joint, jointKind } from "./joint.js";
import { lwf, lwfKind } from "./lwf.js";
import { mas, masKind } from "./mas.js";
import { naive, naiveKind } from "./naive.js";
import { onlineEwc, onlineEwcKind } from "./online-ewc.js";
import { ReservoirBuffer, replay, replayKind } from "./replay.js";
import { si, siKind } from "./si.js";

/**
 * Every strategy a run config may name, built-in and registered.
 *
 * @example
 * strategies.register(defineKind({ name: "mine", doc: "My strategy.", options: {}, create: () => ({ name: "mine" }) }));
 * parseContinualConfig({ strategy: "mine" }).strategy; // { type: "mine", options: {} }
 */
export const strategies = new Registry<Strategy>("strategy", "strategy", [
  naiveKind,
  jointKind,
  ewcKind,
  onlineEwcKind,
  siKind,
  masKind,
  lwfKind,
  replayKind,
  agemKind,
  derppKind,
  erAceKind,
]);

/** A named strategy and its hyper-parameters, defaults filled in. */
export type StrategyChoice = Choice;

/** A fresh instance (strategies keep state across tasks, so each run needs its own). */
export function createStrategy(choice: StrategyChoice): Strategy {
  return strategies.create(choice);
}

export { agem, derpp, erAce, ewc, joint, lwf, mas, naive, onlineEwc, replay, si, ReservoirBuffer };
