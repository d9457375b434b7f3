/**
 * Learning-rate schedules: StepLR, ExponentialLR and ReduceLROnPlateau against PyTorch
 * (test/fixtures/optim/schedule.json, from make_optim_fixtures.py with base lr 1, so PyTorch's lr is
 * the multiplier), cosine-with-warmup against its closed form at hand-computed points.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  ReduceOnPlateau,
  type ReduceOnPlateauOptions,
  cosineWithWarmup,
  exponentialDecay,
  scheduleFromConfig,
  stepDecay,
} from "../src/optim/index.js";
import { ConfigError } from "../src/tensor/errors.js";
import { readJsonFixture } from "./helpers/fixtures.js";

interface ScheduleFixture {
  step: { stepSize: number; gamma?: number; factors: number[] }[];
  exponential: { gamma: number; factors: number[] }[];
  plateau: { name: string; options: ReduceOnPlateauOptions; metrics: number[]; factors: number[] }[];
}
const fixture = readJsonFixture<ScheduleFixture>("optim", "schedule.json");

/** PyTorch multiplies gamma in step by step while the closed forms use powers: they agree to ~1e-15. */
function assertNear(actual: number, expected: number, where: string): void {
  assert.ok(
    Math.abs(actual - expected) <= 1e-12 * Math.abs(expected),
    `${where}: got ${actual}, expected ${expected}`,
  );
}

const at = (epoch: number, step = 0) => ({ step, epoch, stepsPerEpoch: 100 });

test("stepDecay matches PyTorch StepLR stepped once per epoch", () => {
  for (const { factors, ...options } of fixture.step) {
    const schedule = stepDecay(options);
    factors.forEach((f, epoch) =>
      assertNear(schedule(at(epoch)), f, `StepLR ${JSON.stringify(options)}, epoch ${epoch}`),
    );
  }
});

test("exponentialDecay matches PyTorch ExponentialLR stepped once per epoch", () => {
  for (const { factors, ...options } of fixture.exponential) {
    const schedule = exponentialDecay(options);
    factors.forEach((f, epoch) =>
      assertNear(schedule(at(epoch)), f, `ExponentialLR gamma ${options.gamma}, epoch ${epoch}`),
    );
  }
});

for (const row of fixture.plateau) {
  test(`ReduceOnPlateau matches PyTorch ReduceLROnPlateau: ${row.name}`, () => {
    const plateau = new ReduceOnPlateau(row.options);
    row.metrics.forEach((m, epoch) =>
      assertNear(plateau.step(m), row.factors[epoch]!, `${row.name}, epoch ${epoch}`),
    );
    assert.ok(new Set(row.factors).size > 1, "the fixture should reduce at least once");
  });
}

test("ReduceOnPlateau resumes from JSON-serialised state", () => {
  const row = fixture.plateau.find((r) => r.name === "min abs cooldown min lr")!;
  const first = new ReduceOnPlateau(row.options);
  const half = row.metrics.length / 2;
  row.metrics.slice(0, half).forEach((m) => first.step(m));
  const resumed = new ReduceOnPlateau(row.options);
  resumed.setState(JSON.parse(JSON.stringify(first.getState())));
  row.metrics
    .slice(half)
    .forEach((m, i) => assertNear(resumed.step(m), row.factors[half + i]!, `resumed, epoch ${half + i}`));
  // The initial state, with no best metric yet, survives JSON too.
  assert.deepEqual(JSON.parse(JSON.stringify(new ReduceOnPlateau().getState())), {
    best: null,
    numBadEpochs: 0,
    cooldownCounter: 0,
    factor: 1,
  });
});

test("ReduceOnPlateau counts NaN as no improvement", () => {
  const plateau = new ReduceOnPlateau({ patience: 1, factor: 0.5 });
  assert.deepEqual(
    [NaN, 1, NaN, NaN].map((m) => plateau.step(m)),
    [1, 1, 1, 0.5],
  );
});

test("cosineWithWarmup follows its closed form", () => {
  const s = cosineWithWarmup({ warmupSteps: 4, totalSteps: 14, minFactor: 0.1 });
  // [step, expected]: warm-up (s+1)/4; then 0.1 + 0.45·(1 + cos(π·(s−4)/10)); then 0.1.
  const points: [number, number][] = [
    [0, 0.25],
    [1, 0.5],
    [3, 1], // warm-up ends at exactly 1
    [4, 1], // cosine starts at its top
    [7, 0.8145033635316129], // 0.1 + 0.45·(1 + cos(0.3π))
    [9, 0.55], // half-way: 0.1 + 0.45
    [13, 0.1 + 0.45 * (1 + Math.cos(0.9 * Math.PI))],
    [14, 0.1],
    [1000, 0.1], // constant after totalSteps
  ];
  for (const [step, expected] of points) assertNear(s(at(0, step)), expected, `step ${step}`);
  const noWarmup = cosineWithWarmup({ warmupSteps: 0, totalSteps: 2 });
  assert.deepEqual(
    [0, 1, 2].map((step) => noWarmup(at(0, step))),
    [1, 0.5, 0],
  );
});

test("scheduleFromConfig builds each kind", () => {
  const step = scheduleFromConfig({ type: "step", stepSize: 2, gamma: 0.5 });
  assert.ok(step.kind === "schedule");
  assert.equal(step.schedule(at(5)), 0.25);
  const exp = scheduleFromConfig({ type: "exponential", gamma: 0.5 });
  assert.ok(exp.kind === "schedule");
  assert.equal(exp.schedule(at(3)), 0.125);
  const cos = scheduleFromConfig({ type: "cosine", warmupSteps: 10, totalSteps: 110 });
  assert.ok(cos.kind === "schedule");
  assert.equal(cos.schedule(at(0, 4)), 0.5);
  const plateau = scheduleFromConfig({ type: "plateau", patience: 0, factor: 0.5, mode: "max" });
  assert.ok(plateau.kind === "plateau");
  assert.deepEqual(
    [1, 0.5].map((m) => plateau.plateau.step(m)),
    [1, 0.5],
  );
});

/** [what is wrong, config, the field the ConfigError must name, a fragment of the message]. */
const CONFIG_ERRORS: [string, unknown, string, RegExp][] = [
  [
    "unknown key",
    { type: "step", stepSize: 3, gama: 0.5 },
    "schedule.gama",
    /^schedule\.gama: unknown key; expected one of type, stepSize, gamma$/,
  ],
  [
    "wrong type",
    { type: "exponential", gamma: "0.9" },
    "schedule.gamma",
    /expected a finite number, got string "0\.9"/,
  ],
  [
    "non-integer",
    { type: "step", stepSize: 2.5 },
    "schedule.stepSize",
    /expected an integer, got number 2\.5/,
  ],
  [
    "missing key",
    { type: "cosine", warmupSteps: 10 },
    "schedule.totalSteps",
    /schedule\.totalSteps: required/,
  ],
  [
    "warm-up longer than the run",
    { type: "cosine", warmupSteps: 10, totalSteps: 5 },
    "schedule.totalSteps",
    /must be ≥ warmupSteps \(10\), got 5/,
  ],
  [
    "bad choice",
    { type: "plateau", mode: "minimum" },
    "schedule.mode",
    /expected one of "min", "max", got string "minimum"/,
  ],
  ["factor of 1", { type: "plateau", factor: 1 }, "schedule.factor", /must be > 0 and < 1, got 1/],
  [
    "unknown type",
    { type: "onecycle" },
    "schedule.type",
    /unknown schedule string "onecycle"; expected one of step, exponential, cosine, plateau$/,
  ],
  ["not an object", ["step"], "schedule", /schedule: expected an object, got an array/],
];

for (const [what, cfg, field, message] of CONFIG_ERRORS) {
  test(`schedule config error: ${what} names ${field}`, () => {
    assert.throws(
      () => scheduleFromConfig(cfg),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        assert.equal(err.location.field, field);
        assert.match(err.message, message);
        return true;
      },
    );
  });
}
