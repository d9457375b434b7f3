/**
 * What `fit` does to the weights when the learning rate moves, against PyTorch. Each row of
 * test/fixtures/optim/fit.json (written by make_optim_fixtures.py beside it) is a short run of a tiny
 * network on fixed batches — SGD with momentum, Adam or AdamW under a cosine schedule with warm-up,
 * step decay, ReduceLROnPlateau after it cut the rate, or the cuts a health repair makes — and the
 * weights PyTorch 1.13 held after every step. `fit` applies each step through the optimiser's fused
 * `step` (p -= lr·u in the last pass), so a fused step that ignored the rate the loop hands it (the
 * base rate instead of base × schedule × plateau × repairs) fails here, on every backend.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { backendNames, useBackend } from "../src/backend/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { optimizerFromConfig } from "../src/optim/optimizers.js";
import { ReduceOnPlateau, type ReduceOnPlateauOptions, scheduleFromConfig } from "../src/optim/schedules.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { readJsonFixture } from "./helpers/fixtures.js";

interface FitRow {
  name: string;
  optimizer: Record<string, unknown>;
  schedule: Record<string, unknown> | null;
  plateau: ReduceOnPlateauOptions | null;
  /** [step, factor]: after that (1-based) step every later rate is multiplied by factor. */
  cuts: [number, number][];
  epochs: number;
  /** The rate PyTorch stepped with, and every parameter (0.weight, 0.bias, 1.weight, 1.bias) after each step. */
  lr: number[];
  trajectory: number[][][];
}
interface FitFixture {
  batchSize: number;
  x: number[];
  y: number[];
  init: number[][];
  rows: FitRow[];
}
const fixture = readJsonFixture<FitFixture>("optim", "fit.json");

/**
 * |a − b| ≤ 1e-5 · max(|b|, 0.1), so never less than 1e-6. The weights are O(0.1–1), where float32
 * values lie 7e-9 to 1.2e-7 apart. Homeostat and PyTorch sum a batch's products in different orders
 * (the js backend in float64, rounded once; PyTorch and wasm in float32), so gradients differ in their
 * last bits, and momentum and Adam's moments carry that forward: over these 12–16 steps the largest
 * difference seen is 2.4e-7, a few float32 spacings, a quarter of the bound. The floor of 0.1 is the
 * weights' scale, for values passing near zero. A step taken at a wrong rate moves a weight by a good
 * part of the step itself: 6e-4 at the smallest here, 1e-2 typically.
 */
function assertWeightsClose(actual: readonly number[][], expected: readonly number[][], where: string): void {
  expected.forEach((want, i) => {
    want.forEach((b, j) => {
      const a = actual[i]![j]!;
      const tol = 1e-5 * Math.max(Math.abs(b), 0.1);
      if (!(Math.abs(a - b) <= tol))
        assert.fail(
          `${where}, parameter ${i}[${j}]: got ${a}, PyTorch ${b} (|diff| ${Math.abs(a - b)} > ${tol})`,
        );
    });
  });
}

/** The network of the fixture with its initial weights: 3 → 4 tanh → 2 linear. */
function tinyNetwork(): Sequential {
  const model = new Sequential([new Dense(4, { activation: "tanh" }), new Dense(2)]).build(3, new Rng(0));
  const params = model.parameters();
  assert.deepEqual(
    params.map(([name]) => name),
    ["0.weight", "0.bias", "1.weight", "1.bias"],
  );
  params.forEach(([, t], i) => t.data.set(fixture.init[i]!));
  return model;
}

/** Each step's rate and the weights right after it; then, as a health repair would, the row's cuts. */
function recorderAndCuts(
  cuts: readonly [number, number][],
): Observer & { lr: number[]; weights: number[][][] } {
  const lr: number[] = [];
  const weights: number[][][] = [];
  return {
    lr,
    weights,
    onBatchEnd(e, control) {
      lr.push(e.lr);
      weights.push(control.parameters.map(([, t]) => Array.from(t.data)));
      for (const [at, factor] of cuts) if (e.step === at) control.scaleLearningRate(factor);
    },
  };
}

function train(row: FitRow): { lr: number[]; weights: number[][][] } {
  const n = fixture.x.length / 3;
  const data = {
    x: new Tensor(Float32Array.from(fixture.x), [n, 3]),
    y: new Tensor(Float32Array.from(fixture.y), [n, 2]),
  };
  const spec = row.schedule ? scheduleFromConfig(row.schedule) : null;
  assert.ok(spec === null || spec.kind === "schedule");
  const observer = recorderAndCuts(row.cuts);
  fit(tinyNetwork(), data, {
    epochs: row.epochs,
    batchSize: fixture.batchSize,
    shuffle: false,
    loss: "mse",
    optimizer: optimizerFromConfig(row.optimizer),
    schedule: spec?.kind === "schedule" ? spec.schedule : undefined,
    plateau: row.plateau ? new ReduceOnPlateau(row.plateau) : undefined,
    observers: [observer],
  });
  return observer;
}

test("the fixture's runs move the learning rate in every way fit must follow", () => {
  const varies = (r: FitRow) => new Set(r.lr).size > 1;
  assert.ok(fixture.rows.every(varies), "every row changes its rate while training");
  const kinds = new Set(
    fixture.rows.flatMap((r) => [r.schedule?.["type"], r.plateau && "plateau", r.cuts.length > 0 && "cuts"]),
  );
  for (const kind of ["cosine", "step", "plateau", "cuts"]) assert.ok(kinds.has(kind), kind);
  assert.deepEqual(new Set(fixture.rows.map((r) => r.optimizer["type"])), new Set(["sgd", "adam", "adamw"]));
});

for (const backend of backendNames()) {
  for (const row of fixture.rows) {
    test(`fit on ${backend}, ${row.name}: the rate and the weights after every step match PyTorch`, () => {
      useBackend(backend);
      try {
        const got = train(row);
        assert.equal(got.lr.length, row.lr.length, "steps taken");
        got.lr.forEach((lr, i) =>
          assert.ok(
            Math.abs(lr - row.lr[i]!) <= 1e-12 * row.lr[i]!,
            `step ${i + 1}: lr ${lr}, PyTorch ${row.lr[i]}`,
          ),
        );
        row.trajectory.forEach((want, i) =>
          assertWeightsClose(got.weights[i]!, want, `step ${i + 1} (lr ${row.lr[i]})`),
        );
      } finally {
        useBackend("js");
      }
    });
  }
}
