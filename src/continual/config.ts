/**
 * The `continual` section of a run config. Every field but `strategy` has a default (the issue's
 * protocol where it names one):
 *
 * ```jsonc
 * "continual": {
 *   "stream": "split",              // "split" | "permuted" | "rotated"
 *   "scenario": "class",            // "task" | "domain" | "class"
 *   "tasks": 5,                     // default 5 for split, 10 otherwise
 *   "taskFree": false,              // no boundaries announced (naive, replay, derpp, erAce)
 *   "strategy": { "type": "replay", "bufferSize": 500 },   // or just "replay"
 *   "epochs": 10, "batchSize": 64, // per task (defaults 5 and 64)
 *   "optimizer": { "type": "adam", "lr": 0.001 },          // default; a fresh state per task
 *   "keepOptimizerState": false,
 *   "model": { "layers": [ { "type": "dense", "units": 100, "activation": "relu" },
 *                          { "type": "dense", "units": 100, "activation": "relu" } ] },  // hidden layers; the head is added
 *   "seed": 0,
 *   "compareJoint": true,           // also train the joint model (intransigence, upper bound)
 *   "evaluateOn": "test",           // or "validation": the last validationFraction of the training rows
 *   "validationFraction": 0.15,
 *   "trainPerTask": 300, "testPerTask": 200   // optional caps, for quick runs
 * }
 * ```
 */
import { optimizerFromConfig } from "../optim/optimizers.js";
import { layerFromConfig } from "../nn/sequential.js";
import { ConfigError } from "../tensor/errors.js";
import { checkKeys, expectObject, optBoolean, optNumber, optString } from "../tensor/fields.js";
import { parseRegulators, withVitals } from "../homeostasis/config.js";
import type { ContinualConfig } from "./runner.js";
import { type StrategyChoice, strategies } from "./strategies/index.js";
import { SCENARIOS, type Scenario, STREAM_KINDS, type StreamKind } from "./streams.js";

const KEYS = [
  "stream",
  "scenario",
  "tasks",
  "taskFree",
  "strategy",
  "epochs",
  "batchSize",
  "optimizer",
  "keepOptimizerState",
  "model",
  "seed",
  "compareJoint",
  "evaluateOn",
  "validationFraction",
  "trainPerTask",
  "testPerTask",
  "homeostasis",
  "vitals",
  "online",
  "probeRows",
];

/** The default hidden layers: the 784-100-100-10 network. */
export const DEFAULT_HIDDEN_LAYERS: readonly unknown[] = [
  { type: "dense", units: 100, activation: "relu" },
  { type: "dense", units: 100, activation: "relu" },
];

/**
 * Validate a `continual` section and fill in defaults. Unknown keys, wrong types and out-of-range values
 * are ConfigErrors naming the field (`continual.strategy.lambda`).
 *
 * @example
 * const cfg = parseContinualConfig({ stream: "permuted", scenario: "domain", tasks: 10, epochs: 5,
 *   strategy: { type: "ewc", lambda: 1000 } });
 */
export function parseContinualConfig(raw: unknown, field = "continual"): ContinualConfig {
  const obj = expectObject(raw, field);
  checkKeys(obj, KEYS, field);
  const f = (key: string): string => (field ? `${field}.${key}` : key);
  const stream = (optString(obj, "stream", field, STREAM_KINDS) ?? "split") as StreamKind;
  const scenario = (optString(obj, "scenario", field, SCENARIOS) ?? "class") as Scenario;
  const tasks = optNumber(obj, "tasks", field, { integer: true, min: 1 }) ?? (stream === "split" ? 5 : 10);
  if (stream === "split" && tasks > 5)
    throw new ConfigError(
      `${f("tasks")}: a split stream of the 10 digits has at most 5 tasks, got ${tasks}`,
      { field: f("tasks") },
    );
  const taskFree = optBoolean(obj, "taskFree", field) ?? false;
  const strategy = parseStrategy(obj.strategy, f("strategy"));
  if (taskFree && scenario === "task")
    throw new ConfigError(
      `${f("taskFree")}: a task-free stream cannot be task-incremental (that needs the task identity); use "domain" or "class"`,
      { field: f("taskFree") },
    );
  if (taskFree && !strategies.create(strategy).taskFree) {
    throw new ConfigError(
      `${f("strategy.type")}: ${strategy.type} needs task boundaries; a task-free stream runs ${taskFreeNames()}`,
      { field: f("strategy.type") },
    );
  }
  const layers = parseHidden(obj.model, f("model"));
  const optimizer = optimizerFromConfig(obj.optimizer ?? { type: "adam", lr: 0.001 }, f("optimizer"));
  return {
    stream,
    scenario,
    tasks,
    taskFree,
    strategy,
    epochs: optNumber(obj, "epochs", field, { integer: true, min: 1 }) ?? 5,
    batchSize: optNumber(obj, "batchSize", field, { integer: true, min: 1 }) ?? 64,
    optimizer,
    layers,
    seed: optNumber(obj, "seed", field, { integer: true, min: 0 }) ?? 0,
    keepOptimizerState: optBoolean(obj, "keepOptimizerState", field) ?? false,
    homeostasis: withVitals(
      parseRegulators(obj.homeostasis, f("homeostasis")),
      obj.vitals,
      f("vitals"),
      f("homeostasis"),
    ),
    online: optBoolean(obj, "online", field) ?? false,
    probeRows: optNumber(obj, "probeRows", field, { integer: true, min: 1 }) ?? 500,
    compareJoint: optBoolean(obj, "compareJoint", field) ?? true,
    evaluateOn: (optString(obj, "evaluateOn", field, ["test", "validation"]) ?? "test") as
      | "test"
      | "validation",
    validationFraction: optNumber(obj, "validationFraction", field, { above: 0, max: 0.9 }) ?? 0.15,
    trainPerTask: optNumber(obj, "trainPerTask", field, { integer: true, min: 1 }),
    testPerTask: optNumber(obj, "testPerTask", field, { integer: true, min: 1 }),
  };
}

/** `"ewc"` or `{"type": "ewc", "lambda": 1000}`: hyper-parameters are checked against the strategy's spec. */
export function parseStrategy(raw: unknown, field: string): StrategyChoice {
  if (raw === undefined)
    throw new ConfigError(
      `${field}: missing; expected {"type": one of ${strategies.names().join(", ")}, ...hyper-parameters}`,
      { field },
    );
  return strategies.parse(raw, field);
}

/** The strategies that run without task boundaries, quoted: `"naive", "replay" or "derpp"`. */
function taskFreeNames(): string {
  const names = strategies
    .kinds()
    .filter((k) => strategies.create({ type: k.name, options: {} }).taskFree)
    .map((k) => `"${k.name}"`);
  // Stryker disable next-line EqualityOperator: the built-in registry always has at least two task-free strategies
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}` : names.join("");
}

function parseHidden(raw: unknown, field: string): readonly unknown[] {
  if (raw === undefined) return DEFAULT_HIDDEN_LAYERS;
  const obj = expectObject(raw, field);
  checkKeys(obj, ["layers"], field);
  const layers = obj.layers;
  if (!Array.isArray(layers))
    throw new ConfigError(
      `${field}.layers: expected an array of hidden layers (the output layer is added to fit the stream)`,
      { field: `${field}.layers` },
    );
  layers.forEach((l, i) => layerFromConfig(l, `${field}.layers[${i}]`)); // validate now, build per run
  return layers;
}
