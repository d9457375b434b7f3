/**
 * The reservoir memory's row layout with rows wider than one value: a stored row keeps all of its inputs
 * and targets together, in its slot (the sampling itself is checked in unit-continual-data.test.ts); and
 * which epochs of a fit replay stores rows in.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { ReservoirBuffer, replay, type TaskContext } from "../src/continual/index.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";

/** Row i: inputs [10i, 10i + 1, 10i + 2], targets [i, −i]. */
const rows = (ids: readonly number[]) => ({
  x: new Tensor(Float32Array.from(ids.flatMap((i) => [10 * i, 10 * i + 1, 10 * i + 2])), [ids.length, 3]),
  y: new Tensor(Float32Array.from(ids.flatMap((i) => [i, -i])), [ids.length, 2]),
});

test("reservoir with 3 inputs and 2 targets: each held row whole in its slot, then whole rows replaced", () => {
  const buffer = new ReservoirBuffer(3, 3, 2, new Rng(4));
  buffer.offer(rows([1, 2, 3]));
  assert.deepEqual([...buffer.x], [10, 11, 12, 20, 21, 22, 30, 31, 32]);
  assert.deepEqual([...buffer.y], [1, -1, 2, -2, 3, -3]);
  buffer.offer(rows([4, 5, 6, 7, 8, 9]));
  assert.ok(
    [0, 1, 2].some((s) => buffer.y[s * 2] >= 4),
    "a later row replaced one",
  );
  // Whatever was replaced, every slot holds one whole row, inputs and targets of the same row.
  for (let s = 0; s < 3; s++) {
    const i = buffer.y[s * 2];
    assert.deepEqual([...buffer.x.subarray(s * 3, s * 3 + 3)], [10 * i, 10 * i + 1, 10 * i + 2], `slot ${s}`);
    assert.equal(buffer.y[s * 2 + 1], -i);
  }
  const drawn = buffer.sample(5);
  assert.deepEqual(drawn.x.shape, [5, 3]);
  for (let r = 0; r < 5; r++) {
    const i = drawn.y.data[r * 2];
    assert.deepEqual([...drawn.x.data.subarray(r * 3, r * 3 + 3)], [10 * i, 10 * i + 1, 10 * i + 2]);
  }
});

test("replay stores rows in a fit's first epoch only: the epoch count is its state, reset when a fit starts at step 0", () => {
  const strategy = replay({ bufferSize: 50 });
  assert.equal(strategy.getState!(), null, "no memory before the first observer");
  const stream = { inputDim: 3, outputDim: 2 };
  const observer = strategy.observer!({ stream, batchSize: 2, rng: new Rng(1) } as unknown as TaskContext)!;
  const offered = () => (strategy.getState!() as { offered: number }).offered;
  const step = (ids: number[]) => observer.transformBatch!(rows(ids), {} as never);
  step([1, 2]);
  assert.equal(offered(), 2, "first epoch: stored");
  observer.onEpochEnd!({} as never, {} as never);
  assert.equal(observer.getState!(), 1, "one epoch done");
  step([1, 2]);
  assert.equal(offered(), 2, "second epoch: not stored again");
  // A fit resumed within its second epoch keeps the count; a fit that starts afresh is in its first epoch.
  observer.onTrainBegin!({ step: 5 } as never);
  step([3]);
  assert.equal(offered(), 2, "resumed in the second epoch");
  observer.onTrainBegin!({ step: 0 } as never);
  step([3]);
  assert.equal(offered(), 3, "a new fit's first epoch");
});
