/**
 * The pre-training checks on the bundled digits: clean data for a softmax classifier, so no events. In the
 * e2e tier: loading the digits takes seconds (health-checks.test.ts has the unit-sized checks).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadBundledMnist } from "../src/data/mnist.js";
import { checkBeforeTraining } from "../src/health/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

test("the bundled digits with a fitting model and loss: no events", () => {
  const { train } = loadBundledMnist();
  const model = new Sequential([
    new Dense(8, { activation: "relu" }),
    new Dense(10, { activation: "softmax" }),
  ]).build(784, new Rng(0));
  assert.deepEqual(checkBeforeTraining({ ...train, task: "classification" }, model, "crossEntropy"), []);
});
