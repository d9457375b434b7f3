/**
 * The `continual` section of a run config and the strategies' hyper-parameters: every key's default,
 * every key accepted with a value of its own, and every bad value refused with a message naming the field
 * and what was expected (and the field in the error's location).
 */
import assert from "node:assert/strict";
import test from "node:test";
import { DEFAULT_HIDDEN_LAYERS, parseContinualConfig, parseStrategy } from "../src/continual/config.js";
import { createStrategy, strategies } from "../src/continual/strategies/index.js";
import { ConfigError } from "../src/tensor/errors.js";

/** Assert `fn` throws a ConfigError whose message is exactly `message` and whose location names `field`. */
function refuses(fn: () => unknown, message: string, field?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `a ConfigError, got ${String(err)}`);
    assert.equal(err.message, message);
    if (field !== undefined) assert.equal(err.location.field, field);
    return true;
  });
}

test("continual config defaults: split, class, 5 tasks, 5 epochs of 64, Adam 1e-3, two hidden relu layers of 100", () => {
  const cfg = parseContinualConfig({ strategy: "naive" });
  const { optimizer, ...rest } = cfg;
  assert.deepEqual(rest, {
    stream: "split",
    scenario: "class",
    tasks: 5,
    taskFree: false,
    strategy: { type: "naive", options: {} },
    epochs: 5,
    batchSize: 64,
    layers: [
      { type: "dense", units: 100, activation: "relu" },
      { type: "dense", units: 100, activation: "relu" },
    ],
    seed: 0,
    keepOptimizerState: false,
    homeostasis: [],
    online: false,
    probeRows: 500,
    compareJoint: true,
    evaluateOn: "test",
    validationFraction: 0.15,
    trainPerTask: undefined,
    testPerTask: undefined,
  });
  assert.equal(cfg.layers, DEFAULT_HIDDEN_LAYERS);
  assert.equal(optimizer.type, "adam");
  assert.equal(optimizer.lr, 0.001);
  // A stream other than split has 10 tasks by default.
  assert.equal(parseContinualConfig({ strategy: "naive", stream: "permuted" }).tasks, 10);
  assert.equal(parseContinualConfig({ strategy: "naive", stream: "rotated" }).tasks, 10);
});

test("continual config: every key is read, none left at its default when given", () => {
  const layers = [{ type: "dense", units: 7, activation: "tanh" }];
  const cfg = parseContinualConfig({
    stream: "permuted",
    scenario: "domain",
    tasks: 12,
    taskFree: true,
    strategy: { type: "replay", bufferSize: 9 },
    epochs: 3,
    batchSize: 17,
    optimizer: { type: "sgd", lr: 0.25 },
    keepOptimizerState: true,
    model: { layers },
    seed: 42,
    compareJoint: false,
    evaluateOn: "validation",
    validationFraction: 0.9,
    trainPerTask: 30,
    testPerTask: 20,
    homeostasis: [{ type: "l2Init" }],
    online: true,
    probeRows: 11,
  });
  const { optimizer, homeostasis, ...rest } = cfg;
  assert.deepEqual(rest, {
    stream: "permuted",
    scenario: "domain",
    tasks: 12,
    taskFree: true,
    strategy: { type: "replay", options: { bufferSize: 9, replayBatch: 0 } },
    epochs: 3,
    batchSize: 17,
    layers,
    seed: 42,
    keepOptimizerState: true,
    online: true,
    probeRows: 11,
    compareJoint: false,
    evaluateOn: "validation",
    validationFraction: 0.9,
    trainPerTask: 30,
    testPerTask: 20,
  });
  assert.equal(optimizer.type, "sgd");
  assert.equal(optimizer.lr, 0.25);
  assert.deepEqual(
    homeostasis.map((h) => h.type),
    ["l2Init"],
  );
  // Booleans given as false and numbers at their lower bounds are kept, not replaced by defaults.
  const low = parseContinualConfig({
    strategy: "naive",
    scenario: "task",
    seed: 0,
    tasks: 1,
    epochs: 1,
    batchSize: 1,
    probeRows: 1,
    trainPerTask: 1,
    testPerTask: 1,
    compareJoint: true,
    online: false,
    keepOptimizerState: false,
    taskFree: false,
  });
  assert.deepEqual(
    [low.seed, low.tasks, low.epochs, low.batchSize, low.probeRows, low.trainPerTask, low.testPerTask],
    [0, 1, 1, 1, 1, 1, 1],
  );
  assert.deepEqual(
    [low.scenario, low.compareJoint, low.online, low.keepOptimizerState],
    ["task", true, false, false],
  );
  assert.equal(parseContinualConfig({ strategy: "naive", evaluateOn: "test" }).evaluateOn, "test");
  assert.equal(parseContinualConfig({ strategy: "naive", model: { layers: [] } }).layers.length, 0);
  // Task-free replay and naive are accepted on the domain and class scenarios.
  assert.equal(parseContinualConfig({ strategy: "naive", taskFree: true, scenario: "class" }).taskFree, true);
});

test("continual config: each bad value is refused naming its field and what was expected", () => {
  const bad: [Record<string, unknown>, string][] = [
    [{ stream: "x" }, 'continual.stream: expected one of "permuted", "split", "rotated", got "x"'],
    [{ scenario: "x" }, 'continual.scenario: expected one of "task", "domain", "class", got "x"'],
    [{ tasks: 0 }, "continual.tasks: expected a number ≥ 1, got 0"],
    [{ tasks: 2.5 }, "continual.tasks: expected an integer, got 2.5"],
    [{ taskFree: 1 }, "continual.taskFree: expected true or false, got number 1"],
    [{ epochs: 0 }, "continual.epochs: expected a number ≥ 1, got 0"],
    [{ epochs: 1.5 }, "continual.epochs: expected an integer, got 1.5"],
    [{ batchSize: 0 }, "continual.batchSize: expected a number ≥ 1, got 0"],
    [{ batchSize: 1.5 }, "continual.batchSize: expected an integer, got 1.5"],
    [{ optimizer: 3 }, "continual.optimizer: expected an object, got number 3"],
    [{ keepOptimizerState: "y" }, 'continual.keepOptimizerState: expected true or false, got "y"'],
    [{ model: 4 }, "continual.model: expected an object, got number 4"],
    [{ model: { foo: 1 } }, "continual.model.foo: unknown key; expected one of layers"],
    [
      { model: { layers: 3 } },
      "continual.model.layers: expected an array of hidden layers (the output layer is added to fit the stream)",
    ],
    [
      { model: {} },
      "continual.model.layers: expected an array of hidden layers (the output layer is added to fit the stream)",
    ],
    [
      { model: { layers: [{ type: "dense" }] } },
      "continual.model.layers[0].units: required; expected an integer",
    ],
    [{ seed: -1 }, "continual.seed: expected a number ≥ 0, got -1"],
    [{ seed: 0.5 }, "continual.seed: expected an integer, got 0.5"],
    [{ compareJoint: 2 }, "continual.compareJoint: expected true or false, got number 2"],
    [{ evaluateOn: "train" }, 'continual.evaluateOn: expected one of "test", "validation", got "train"'],
    [{ validationFraction: 0 }, "continual.validationFraction: expected a number > 0, got 0"],
    [{ validationFraction: 0.91 }, "continual.validationFraction: expected a number ≤ 0.9, got 0.91"],
    [{ trainPerTask: 0 }, "continual.trainPerTask: expected a number ≥ 1, got 0"],
    [{ trainPerTask: 1.5 }, "continual.trainPerTask: expected an integer, got 1.5"],
    [{ testPerTask: 0 }, "continual.testPerTask: expected a number ≥ 1, got 0"],
    [{ testPerTask: 2.5 }, "continual.testPerTask: expected an integer, got 2.5"],
    [{ online: "no" }, 'continual.online: expected true or false, got "no"'],
    [{ probeRows: 0 }, "continual.probeRows: expected a number ≥ 1, got 0"],
    [{ probeRows: 1.5 }, "continual.probeRows: expected an integer, got 1.5"],
    [{ tasks: 6 }, "continual.tasks: a split stream of the 10 digits has at most 5 tasks, got 6"],
    [
      { taskFree: true, scenario: "task" },
      'continual.taskFree: a task-free stream cannot be task-incremental (that needs the task identity); use "domain" or "class"',
    ],
    [
      { taskFree: true, strategy: "ewc" },
      'continual.strategy.type: ewc needs task boundaries; a task-free stream runs "naive", "replay", "derpp" or "erAce"',
    ],
    [
      { strategy: undefined },
      'continual.strategy: missing; expected {"type": one of naive, joint, ewc, onlineEwc, si, mas, lwf, replay, agem, derpp, erAce, ...hyper-parameters}',
    ],
    [
      { bogus: 1 },
      "continual.bogus: unknown key; expected one of stream, scenario, tasks, taskFree, strategy, epochs, batchSize, optimizer, keepOptimizerState, model, seed, compareJoint, evaluateOn, validationFraction, trainPerTask, testPerTask, homeostasis, vitals, online, probeRows",
    ],
  ];
  for (const [extra, message] of bad)
    refuses(() => parseContinualConfig({ strategy: "naive", ...extra }), message);
  assert.match(
    (() => {
      try {
        parseContinualConfig({ strategy: "naive", homeostasis: 5 });
      } catch (err) {
        return (err as Error).message;
      }
      return "";
    })(),
    /^continual\.homeostasis: expected a list of regulators/,
  );
  // The fields the continual section checks itself are in the error's location too.
  refuses(
    () => parseContinualConfig({ strategy: "naive", tasks: 6 }),
    "continual.tasks: a split stream of the 10 digits has at most 5 tasks, got 6",
    "continual.tasks",
  );
  refuses(
    () => parseContinualConfig({ strategy: "naive", taskFree: true, scenario: "task" }),
    'continual.taskFree: a task-free stream cannot be task-incremental (that needs the task identity); use "domain" or "class"',
    "continual.taskFree",
  );
  refuses(
    () => parseContinualConfig({ strategy: "si", taskFree: true }),
    'continual.strategy.type: si needs task boundaries; a task-free stream runs "naive", "replay", "derpp" or "erAce"',
    "continual.strategy.type",
  );
  refuses(
    () => parseContinualConfig({ strategy: "naive", model: { layers: 3 } }),
    "continual.model.layers: expected an array of hidden layers (the output layer is added to fit the stream)",
    "continual.model.layers",
  );
  refuses(
    () => parseStrategy(undefined, "s"),
    's: missing; expected {"type": one of naive, joint, ewc, onlineEwc, si, mas, lwf, replay, agem, derpp, erAce, ...hyper-parameters}',
    "s",
  );
  // A section parsed at the top level (no field prefix) names bare keys.
  refuses(
    () => parseContinualConfig({ strategy: "naive", tasks: 6 }, ""),
    "tasks: a split stream of the 10 digits has at most 5 tasks, got 6",
    "tasks",
  );
  refuses(
    () => parseContinualConfig({ strategy: "naive", epochs: 0 }, ""),
    "epochs: expected a number ≥ 1, got 0",
  );
});

test("strategy hyper-parameters: defaults filled in, bounds enforced, every option documented", () => {
  const defaults: Record<string, Record<string, number>> = {
    naive: {},
    joint: {},
    ewc: { lambda: 30, fisherSamples: 500, expectedFisher: 0 },
    onlineEwc: { lambda: 30, gamma: 1, fisherSamples: 500, expectedFisher: 0 },
    si: { c: 3, xi: 0.1 },
    mas: { lambda: 0.01, samples: 500 },
    lwf: { lambda: 1, temperature: 2 },
    replay: { bufferSize: 500, replayBatch: 0 },
    agem: { memorySize: 500, referenceBatch: 256 },
    derpp: { bufferSize: 500, replayBatch: 0, alpha: 1, beta: 0.5 },
    erAce: { bufferSize: 500, replayBatch: 0 },
  };
  assert.deepEqual(strategies.names(), Object.keys(defaults));
  for (const [type, options] of Object.entries(defaults)) {
    assert.deepEqual(parseStrategy(type, "s"), { type, options }, type);
    assert.equal(createStrategy({ type, options }).name, type);
    const kind = strategies.get(type);
    assert.ok(kind.doc.length > 20, `${type} has a doc line`);
    for (const [key, spec] of Object.entries(kind.options))
      assert.ok((spec as { doc?: string }).doc?.length, `${type}.${key} is documented`);
  }
  const bad: [Record<string, unknown>, string][] = [
    [{ type: "ewc", lambda: -1 }, "s.lambda: must be ≥ 0, got -1"],
    [{ type: "ewc", fisherSamples: 0 }, "s.fisherSamples: must be ≥ 1, got 0"],
    [{ type: "ewc", fisherSamples: 1.5 }, "s.fisherSamples: expected an integer, got number 1.5"],
    [{ type: "ewc", expectedFisher: 2 }, "s.expectedFisher: must be ≥ 0 and ≤ 1, got 2"],
    [{ type: "ewc", expectedFisher: -1 }, "s.expectedFisher: must be ≥ 0 and ≤ 1, got -1"],
    [{ type: "ewc", expectedFisher: 0.5 }, "s.expectedFisher: expected an integer, got number 0.5"],
    [{ type: "onlineEwc", lambda: -1 }, "s.lambda: must be ≥ 0, got -1"],
    [{ type: "onlineEwc", gamma: 1.5 }, "s.gamma: must be ≥ 0 and ≤ 1, got 1.5"],
    [{ type: "onlineEwc", gamma: -0.5 }, "s.gamma: must be ≥ 0 and ≤ 1, got -0.5"],
    [{ type: "onlineEwc", fisherSamples: 0 }, "s.fisherSamples: must be ≥ 1, got 0"],
    [{ type: "onlineEwc", fisherSamples: 2.5 }, "s.fisherSamples: expected an integer, got number 2.5"],
    [{ type: "si", c: -1 }, "s.c: must be ≥ 0, got -1"],
    [{ type: "si", xi: 0 }, "s.xi: must be > 0, got 0"],
    [{ type: "mas", lambda: -1 }, "s.lambda: must be ≥ 0, got -1"],
    [{ type: "mas", samples: 0 }, "s.samples: must be ≥ 1, got 0"],
    [{ type: "mas", samples: 1.5 }, "s.samples: expected an integer, got number 1.5"],
    [{ type: "lwf", lambda: -1 }, "s.lambda: must be ≥ 0, got -1"],
    [{ type: "lwf", temperature: 0 }, "s.temperature: must be > 0, got 0"],
    [{ type: "replay", bufferSize: 0 }, "s.bufferSize: must be ≥ 1, got 0"],
    [{ type: "replay", bufferSize: 1.5 }, "s.bufferSize: expected an integer, got number 1.5"],
    [{ type: "replay", replayBatch: -1 }, "s.replayBatch: must be ≥ 0, got -1"],
    [{ type: "replay", replayBatch: 0.5 }, "s.replayBatch: expected an integer, got number 0.5"],
    [{ type: "agem", memorySize: 0 }, "s.memorySize: must be ≥ 1, got 0"],
    [{ type: "agem", memorySize: 1.5 }, "s.memorySize: expected an integer, got number 1.5"],
    [{ type: "agem", referenceBatch: 0 }, "s.referenceBatch: must be ≥ 1, got 0"],
    [{ type: "agem", referenceBatch: 1.5 }, "s.referenceBatch: expected an integer, got number 1.5"],
    [{ type: "naive", lambda: 1 }, "s.lambda: unknown key; expected one of type"],
  ];
  for (const [raw, message] of bad) refuses(() => parseStrategy(raw, "s"), message);
  // Values at their bounds are accepted.
  assert.deepEqual(
    parseStrategy({ type: "onlineEwc", lambda: 0, gamma: 0, fisherSamples: 1, expectedFisher: 1 }, "s"),
    {
      type: "onlineEwc",
      options: { lambda: 0, gamma: 0, fisherSamples: 1, expectedFisher: 1 },
    },
  );
  assert.deepEqual(parseStrategy({ type: "lwf", lambda: 0, temperature: 0.01 }, "s").options, {
    lambda: 0,
    temperature: 0.01,
  });
});

test("the strategy registry's own errors name the strategy field when the caller names none", () => {
  const names = strategies.names().join(", ");
  refuses(
    () => strategies.get("nope"),
    `strategy.type: unknown strategy string "nope"; expected one of ${names}`,
    "strategy.type",
  );
  assert.throws(
    () => strategies.parse({ type: "ewc", lambda: -1 }),
    (err: unknown) => err instanceof ConfigError && err.location.field === "strategy.lambda",
  );
});
