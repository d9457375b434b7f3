import assert from "node:assert/strict";
import { test } from "node:test";
import { CNN_DEMO_CONFIG, MNIST_DEMO_CONFIG, withDemoEpochs } from "../src/cli/main.js";

test("--epochs stretches a demo's cosine schedule over 8,000 digits an epoch", () => {
  // By hand: 8,000 / 64 = 125 steps an epoch (mnist), 8,000 / 32 = 250 (cnn).
  const mnist = withDemoEpochs(MNIST_DEMO_CONFIG, 2);
  assert.equal(mnist.epochs, 2);
  assert.deepEqual(mnist.schedule, { type: "cosine", warmupSteps: 0, totalSteps: 250 });
  assert.deepEqual(withDemoEpochs(CNN_DEMO_CONFIG, 3).schedule, {
    ...CNN_DEMO_CONFIG.schedule,
    totalSteps: 750,
  });
  const warm = { ...CNN_DEMO_CONFIG, schedule: { ...CNN_DEMO_CONFIG.schedule, warmupSteps: 400 } };
  assert.deepEqual(
    withDemoEpochs(warm, 1).schedule,
    { ...CNN_DEMO_CONFIG.schedule, warmupSteps: 250, totalSteps: 250 },
    "a warm-up longer than the run is cut to it",
  );
  assert.deepEqual(withDemoEpochs(CNN_DEMO_CONFIG, undefined), CNN_DEMO_CONFIG);
});

for (const [name, demo] of [
  ["mnist", MNIST_DEMO_CONFIG],
  ["cnn", CNN_DEMO_CONFIG],
] as const)
  test(`demo ${name}'s schedule ends with its last epoch`, () => {
    assert.deepEqual(withDemoEpochs(demo, demo.epochs), demo);
  });
