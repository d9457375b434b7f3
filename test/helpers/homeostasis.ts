/**
 * The hand-made network the regulators' unit tests drive: 2 inputs → 4 ReLU units (layer "0") → 2
 * outputs (layer "1") with chosen weights, a driver that feeds a regulator chosen hidden activations
 * step by step (no training loop), and a closeness check for float32 results.
 */
import assert from "node:assert/strict";
import { Dense } from "../../src/nn/layers.js";
import { Sequential } from "../../src/nn/sequential.js";
import { Rng } from "../../src/tensor/rng.js";
import type { Observer } from "../../src/train/events.js";
import { batchEvent, setDense, type TestControl, testControl } from "./control.js";

export const W0 = [
  [1, 2],
  [-1, 0.5],
  [3, -2],
  [0.25, 4],
];
export const B0 = [0.1, 0.2, 0.3, 0.4];
export const W1 = [
  [1, -1, 2, 0.5],
  [-2, 3, 0.25, 1],
];
export const B1 = [0.5, -0.5];

/** 2 inputs → 4 ReLU units (layer "0") → 2 outputs (layer "1"), weights as above. */
export function tiny(): { model: Sequential; hidden: Dense; out: Dense; control: TestControl } {
  const model = new Sequential([new Dense(4, { activation: "relu" }), new Dense(2)]).build(2, new Rng(1));
  const [hidden, out] = model.layers as Dense[];
  setDense(hidden, W0, B0);
  setDense(out, W1, B1);
  return { model, hidden, out, control: testControl(model) };
}

/** Run `onTrainBegin`, then one `onBatchEnd` per entry of `steps` (layer "0"'s output rows at that step). */
export function drive(
  reg: Observer,
  control: TestControl,
  steps: number[][][],
  after?: (step: number) => void,
): void {
  if (control.step === 0) reg.onTrainBegin?.(control);
  for (const out of steps) {
    control.step++;
    reg.onBatchEnd?.(batchEvent(control.step, { outputs: { "0": out } }), control);
    after?.(control.step);
  }
}

/** Element-wise |actual − expected| ≤ rel · max(1, |expected|). */
export const close = (
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  what: string,
  rel = 1e-6,
): void => {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= rel * Math.max(1, Math.abs(expected[i])),
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
};

/** W0 with row u multiplied by factors[u]. */
export const scaledRows = (factors: number[]): number[] =>
  W0.flatMap((row, u) => row.map((w) => w * factors[u]));
