/**
 * The expected Fisher needs the model's own class probabilities, which only a softmax cross-entropy
 * gives: with any other loss it is refused, naming the option, and the empirical Fisher, the default, still runs.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { fisherDiagonal } from "../src/continual/strategies/ewc.js";
import { mse } from "../src/losses/losses.js";
import { ConfigError, type HomeostatError } from "../src/tensor/errors.js";
import { contextAt, softmaxLayer, tinyStream, twoHeads } from "./helpers/continual.js";

test("expectedFisher with a loss that is not a softmax cross-entropy is refused, naming expectedFisher and the loss", () => {
  const stream = tinyStream("class", 4, twoHeads);
  const model = softmaxLayer(2, 4, 6);
  const fresh = () => ({ ...contextAt(model, stream, 1), loss: mse }); // the same rng state each time
  const ctx = fresh();
  assert.throws(
    () => fisherDiagonal(ctx, 10, true),
    (e: HomeostatError) =>
      e instanceof ConfigError &&
      e.location.field === "expectedFisher" &&
      e.message === "expectedFisher: needs a softmax cross-entropy loss, got mse",
  );
  const empirical = fisherDiagonal(ctx, 10, false);
  assert.ok([...empirical.values()].every((f) => f.every((v) => Number.isFinite(v) && v >= 0)));
  // The empirical Fisher is the default: with mse the expected one would have thrown.
  assert.deepEqual(fisherDiagonal(fresh(), 10), fisherDiagonal(fresh(), 10, false));
});
