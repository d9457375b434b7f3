/**
 * Optimisers against PyTorch. Each row of test/fixtures/optim/optim.json (written by
 * make_optim_fixtures.py beside it) is one optimiser configuration and the parameters PyTorch 1.13
 * produced after each of 50 steps on a fixed float32 problem; a new optimiser is one new row there.
 * Every row runs through both ways of stepping: the unfused update and the fused `step` that `fit` takes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  OPTIMIZER_TYPES,
  type Optimizer,
  adam,
  adamw,
  applyUpdates,
  optimizerFromConfig,
  rmsprop,
  sgd,
} from "../src/optim/index.js";
import { ConfigError } from "../src/tensor/errors.js";
import { readJsonFixture } from "./helpers/fixtures.js";

interface OptimFixture {
  init: number[][];
  curvature: number[][];
  rows: {
    name: string;
    config: Record<string, unknown>;
    lrGammaPerStep: number | null;
    trajectory: number[][][];
  }[];
}
const fixture = readJsonFixture<OptimFixture>("optim", "optim.json");

/** g = c·p + cos(p) in float32, operation by operation as the fixture script computes it. */
function gradient(params: readonly Float32Array[], curvature: readonly Float32Array[]): Float32Array[] {
  return params.map((p, i) => {
    const c = curvature[i]!;
    return p.map((v, j) => Math.fround(c[j]! * v) + Math.fround(Math.cos(v)));
  });
}

/**
 * |a − b| ≤ 1e-5 · max(|b|, 1): relative 1e-5 at the problem's scale. Parameters here are O(1)
 * (they start within ±2.25 and settle near −0.4), so float32 resolves them to ~1e-7; each step
 * rounds a dozen operations in a different order from PyTorch (which also rounds its scalar
 * hyper-parameters to float32), and 50 steps accumulate this to at most 2.6e-6 (centered RMSprop,
 * whose E[g²] − E[g]² cancels; most rows stay under 1e-6). The floor of 1 is the parameter scale:
 * a value passing near zero on its way to the optimum carries the absolute error of its O(1) past,
 * so pure relative error would be meaningless there. 1e-5 still catches the slips that matter:
 * eps added before Adam's bias correction or inside RMSprop's sqrt, dampening on SGD's first step,
 * coupled weight decay in AdamW, or lr folded into a momentum buffer (the rows with a per-step lr
 * decay exist for that one) each fail at least one row.
 */
function assertClose(actual: readonly Float32Array[], expected: readonly number[][], where: string): void {
  expected.forEach((want, i) => {
    want.forEach((b, j) => {
      const a = actual[i]![j]!;
      const tol = 1e-5 * Math.max(Math.abs(b), 1);
      if (!(Math.abs(a - b) <= tol)) {
        assert.fail(
          `${where}, parameter ${i}[${j}]: got ${a}, PyTorch ${b} (|diff| ${Math.abs(a - b)} > ${tol})`,
        );
      }
    });
  });
}

/**
 * The two ways to take a step: `update` then `applyUpdates` (p -= u, the rate already in u), and the
 * named optimisers' fused `step` (p -= lr·u in the last pass), which is the one `fit` takes.
 */
const PATHS = {
  "update then applyUpdates": (
    opt: Optimizer<unknown[]>,
    params: Float32Array[],
    updates: Float32Array[],
    state: unknown[],
    lr: number,
  ) => {
    opt.update(updates, state, params, lr);
    applyUpdates(params, updates);
  },
  "the fused step": (
    opt: Optimizer<unknown[]>,
    params: Float32Array[],
    updates: Float32Array[],
    state: unknown[],
    lr: number,
  ) => {
    assert.ok(opt.step, `${opt.type} has a fused step`);
    opt.step(params, updates, state, lr);
  },
};

for (const [path, takeStep] of Object.entries(PATHS)) {
  for (const row of fixture.rows) {
    test(`${row.name}: 50 steps through ${path} match PyTorch`, () => {
      let opt = optimizerFromConfig(row.config);
      const params = fixture.init.map((p) => Float32Array.from(p));
      const curvature = fixture.curvature.map((c) => Float32Array.from(c));
      let state = opt.init(params);
      row.trajectory.forEach((expected, step) => {
        // Half-way, continue with a fresh optimiser and a cloned state: proves the state is complete
        // (nothing hidden in closures), which checkpoints rely on.
        if (step === row.trajectory.length / 2) {
          opt = optimizerFromConfig(row.config);
          state = structuredClone(state);
        }
        const lr = opt.lr * (row.lrGammaPerStep === null ? 1 : row.lrGammaPerStep ** step);
        takeStep(opt, params, gradient(params, curvature), state, lr);
        assertClose(params, expected, `${row.name}, step ${step + 1}`);
      });
    });
  }
}

test("the PyTorch table covers every optimiser type", () => {
  const covered = new Set(fixture.rows.map((r) => r.config["type"]));
  assert.deepEqual([...OPTIMIZER_TYPES].sort(), [...covered].sort());
});

test("named factories fill in PyTorch's defaults and keep lr apart from the other options", () => {
  const a = adamw();
  assert.equal(a.type, "adamw");
  assert.equal(a.lr, 1e-3);
  assert.deepEqual(a.options, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 1e-2, amsgrad: false });
  assert.equal(adam().options["weightDecay"], 0);
  assert.equal(rmsprop().lr, 1e-2);
  assert.deepEqual(optimizerFromConfig({ type: "sgd", lr: 0.5 }).options, {
    momentum: 0,
    dampening: 0,
    nesterov: false,
    weightDecay: 0,
  });
});

test("update rejects gradients that do not match the parameters", () => {
  const opt = sgd({ lr: 0.1 });
  const params = [new Float32Array(3)];
  const state = opt.init(params);
  assert.throws(
    () => opt.update([new Float32Array(2)], state, params, 0.1),
    /update 0 has 2 elements but parameter 0 has 3/,
  );
  assert.throws(() => opt.update([], state, params, 0.1), /0 update tensors for 1 parameters/);
});

/** [what is wrong, the call, the field the ConfigError must name, a fragment of the message]. */
const CONFIG_ERRORS: [string, () => unknown, string, RegExp][] = [
  [
    "unknown key",
    () => optimizerFromConfig({ type: "sgd", lr: 0.1, momentom: 0.9 }),
    "optimizer.momentom",
    /^optimizer\.momentom: unknown key; expected one of type, lr, momentum, dampening, nesterov, weightDecay$/,
  ],
  [
    "wrong type (string lr)",
    () => optimizerFromConfig({ type: "adam", lr: "0.001" }),
    "optimizer.lr",
    /optimizer\.lr: expected a finite number, got string "0\.001"/,
  ],
  [
    "wrong type (number flag)",
    () => optimizerFromConfig({ type: "adam", amsgrad: 1 }),
    "optimizer.amsgrad",
    /optimizer\.amsgrad: expected true or false, got number 1/,
  ],
  [
    "unknown optimiser",
    () => optimizerFromConfig({ type: "adamax" }),
    "optimizer.type",
    /^optimizer\.type: unknown optimizer string "adamax"; expected one of sgd, adam, adamw, rmsprop, adagrad$/,
  ],
  [
    "missing type",
    () => optimizerFromConfig({ lr: 0.1 }),
    "optimizer.type",
    /^optimizer\.type: required; expected one of sgd, adam/,
  ],
  [
    "not an object",
    () => optimizerFromConfig("adam"),
    "optimizer",
    /optimizer: expected an object, got string "adam"/,
  ],
  ["SGD without lr", () => optimizerFromConfig({ type: "sgd" }), "optimizer.lr", /optimizer\.lr: required/],
  [
    "caller's field name",
    () => optimizerFromConfig({ type: "rmsprop", alpha: -1 }, "runs[2].optimizer"),
    "runs[2].optimizer.alpha",
    /runs\[2\]\.optimizer\.alpha: must be ≥ 0, got -1/,
  ],
  ["negative lr", () => sgd({ lr: -0.1 }), "sgd.lr", /sgd\.lr: must be ≥ 0, got -0\.1/],
  ["non-finite eps", () => adam({ eps: NaN }), "adam.eps", /expected a finite number, got number NaN/],
  ["beta of 1", () => adamw({ beta2: 1 }), "adamw.beta2", /adamw\.beta2: must be ≥ 0 and < 1, got 1/],
  ["Nesterov without momentum", () => sgd({ lr: 0.1, nesterov: true }), "sgd.nesterov", /needs momentum > 0/],
  [
    "Nesterov with dampening",
    () => sgd({ lr: 0.1, nesterov: true, momentum: 0.9, dampening: 0.1 }),
    "sgd.nesterov",
    /dampening 0/,
  ],
  [
    "unknown option in a direct call",
    () => sgd({ lr: 0.1, beta1: 0.9 } as never),
    "sgd.beta1",
    /sgd\.beta1: unknown key/,
  ],
];

for (const [what, call, field, message] of CONFIG_ERRORS) {
  test(`config error: ${what} names ${field}`, () => {
    assert.throws(call, (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      assert.equal(err.location.field, field);
      assert.match(err.message, message);
      return true;
    });
  });
}
