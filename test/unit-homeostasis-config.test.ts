/**
 * The homeostasis section of a run config (each regulator's option bounds, the registry's messages) and
 * the balance measures on a probe whose hidden representation is written by hand, so that every measure
 * has a closed form.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { balanceMeasures, parseRegulators, regulators } from "../src/homeostasis/index.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { setDense } from "./helpers/control.js";

/** A ConfigError whose message is exactly `message` and whose field is `field`. */
const configError = (message: string, field: string) => (e: unknown) =>
  e instanceof ConfigError && e.message === message && e.location.field === field;

test("each regulator's rates and exponents must be > 0, its step counts and seeds integers", () => {
  const positive: [string, string, string][] = [
    ["synapticScaling", "target", "> 0"],
    ["synapticScaling", "alpha", "> 0"],
    ["synapticScaling", "rate", "> 0 and ≤ 1"],
    ["synapticScaling", "maxStep", "> 0 and ≤ 1"],
    ["intrinsicPlasticity", "targetStd", "> 0"],
    ["intrinsicPlasticity", "rate", "> 0 and ≤ 1"],
    ["intrinsicPlasticity", "statsRate", "> 0 and ≤ 1"],
    ["continualBackprop", "replacementRate", "> 0 and ≤ 1"],
    ["continualBackprop", "decay", "> 0 and ≤ 0.9999"],
  ];
  for (const [type, key, range] of positive) {
    const field = `homeostasis[0].${key}`;
    assert.throws(
      () => parseRegulators([{ type, [key]: 0 }]),
      configError(`${field}: must be ${range}, got 0`, field),
      `${type}.${key} = 0`,
    );
  }
  const integers: [string, string][] = [
    ["synapticScaling", "warmup"],
    ["intrinsicPlasticity", "warmup"],
    ["redo", "every"],
    ["redo", "seed"],
    ["continualBackprop", "maturity"],
    ["continualBackprop", "seed"],
    ["shrinkPerturb", "seed"],
  ];
  for (const [type, key] of integers) {
    assert.throws(
      () => parseRegulators([{ type, [key]: 2.5 }]),
      configError(`homeostasis[0].${key}: expected an integer, got number 2.5`, `homeostasis[0].${key}`),
      `${type}.${key} = 2.5`,
    );
  }
  // What may be 0 is accepted at 0.
  const zeros = parseRegulators([
    { type: "intrinsicPlasticity", targetMean: 0 },
    { type: "redo", tau: 0, seed: 0 },
    { type: "shrinkPerturb", shrink: 0, noise: 0 },
    { type: "l2Init", lambda: 0 },
  ]);
  assert.deepEqual(
    zeros.map((z) => z.type),
    ["intrinsicPlasticity", "redo", "shrinkPerturb", "l2Init"],
  );
});

test("the registry's messages name the field and list the regulators, comma-separated", () => {
  const names = regulators.names().join(", ");
  assert.ok(names.startsWith("synapticScaling, intrinsicPlasticity, redo, continualBackprop"), names);
  assert.throws(
    () => parseRegulators("redo"),
    configError(
      `homeostasis: expected a list of regulators like [{"type": "continualBackprop"}]; types: ${names}`,
      "homeostasis",
    ),
  );
  assert.throws(
    () => parseRegulators({}, "continual.homeostasis"),
    configError(
      `continual.homeostasis: expected a list of regulators like [{"type": "continualBackprop"}]; types: ${names}`,
      "continual.homeostasis",
    ),
  );
  assert.throws(
    () => parseRegulators([{ type: "sleep" }]),
    configError(
      `homeostasis[0].type: unknown regulator string "sleep"; expected one of ${names}`,
      "homeostasis[0].type",
    ),
  );
  // The registry's own default field, for a caller that gives none.
  assert.throws(
    () => regulators.parse({}),
    configError(`homeostasis.type: required; expected one of ${names}`, "homeostasis.type"),
  );
});

// The probe: x rows (1, 0), (0, 1), (2, 0), (0, 2) through hidden weights [[1, 0], [0, a], [−1, −1]],
// zero biases, ReLU. The representation's columns are (1, 0, 2, 0), a·(0, 1, 0, 2) and 0: orthogonal,
// so the singular values are √5 and a√5. Unit means 3/4, 3a/4, 0.
const A = 2 ** -7;
const PROBE = [
  [1, 0],
  [0, 1],
  [2, 0],
  [0, 2],
];

/** Hidden layer → dropout (which inference must skip) → output layer. */
function probedModel(): Sequential {
  const model = new Sequential([new Dense(3, { activation: "relu" }), new Dropout(0.5), new Dense(2)]).build(
    2,
    new Rng(1),
  );
  setDense(
    model.layers[0] as Dense,
    [
      [1, 0],
      [0, A],
      [-1, -1],
    ],
    [0, 0, 0],
  );
  return model;
}

test("balance measures against their closed forms on a hand-made representation (inference mode)", () => {
  const [b] = balanceMeasures(probedModel(), Tensor.from(PROBE));
  const mean = [0.75, 0.75 * A, 0];
  const avg = (0.75 + 0.75 * A) / 3;
  assert.equal(b.layer, "0");
  assert.equal(b.units, 3);
  assert.equal(b.deadFraction, 1 / 3, "unit 2 never fires");
  // Scores a_i / mean a: 3a/(1 + a) = 3/129 ≤ 0.025 for unit 1, 0 for unit 2.
  assert.equal(b.dormantFraction, 2 / 3, "default τ = 0.025");
  const p = [1 / (1 + A), A / (1 + A)];
  const rank = Math.exp(-(p[0] * Math.log(p[0]) + p[1] * Math.log(p[1])));
  assert.ok(Math.abs(b.effectiveRank - rank) < 1e-6, `effective rank ${b.effectiveRank} vs ${rank}`);
  assert.ok(Math.abs(b.meanAbsWeight - (3 + A) / 6) < 1e-9, `mean |w| ${b.meanAbsWeight}`);
  const err = mean.reduce((e, m) => e + Math.abs(m - avg) / avg, 0) / 3;
  assert.ok(Math.abs(b.firingRateError - err) < 1e-9, `firing-rate error ${b.firingRateError} vs ${err}`);
  const cv = Math.sqrt(mean.reduce((v, m) => v + (m - avg) ** 2, 0) / 3) / avg;
  assert.ok(Math.abs(b.activityCV - cv) < 1e-9, `activity CV ${b.activityCV} vs ${cv}`);
});

test("balance measures: a given τ and a given set point replace the defaults", () => {
  const [b] = balanceMeasures(probedModel(), Tensor.from(PROBE), { tau: 0.02, targets: [0.5] });
  assert.equal(b.dormantFraction, 1 / 3, "3/129 > 0.02: only the dead unit is dormant");
  // |r_i − 0.5| / 0.5 averaged: (0.25 + (0.5 − 0.75a) + 0.5) / 0.5 / 3.
  const err = (0.25 + (0.5 - 0.75 * A) + 0.5) / 0.5 / 3;
  assert.ok(Math.abs(b.firingRateError - err) < 1e-9, `firing-rate error ${b.firingRateError} vs ${err}`);
});
