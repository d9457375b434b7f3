/**
 * `fit`'s options, checked against what they promise: the errors for bad values (field and message),
 * the validation split's boundaries worked out by hand, the batches each epoch holds, and the seeded
 * streams: the epoch order, dropout masks and augmentation each come from `new Rng(seed).fork(label)`,
 * so a run is reproducible from its seed alone.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { crossEntropy } from "../src/losses/losses.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { evaluate, rowSlice } from "../src/train/evaluate.js";
import type { BatchEvent } from "../src/train/events.js";
import { fit, type FitOptions } from "../src/train/fit.js";

/** n rows whose first feature is the row's index, so a batch shows which rows it holds; 3 one-hot classes. */
function indexed(n: number): { x: Tensor; y: Tensor } {
  const x = new Float32Array(2 * n);
  const y = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = 0.1 * (i % 4);
    y[3 * i + (i % 3)] = 1;
  }
  return { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n, 3]) };
}

const model = (seed = 1): Sequential =>
  new Sequential([new Dense(3, { activation: "softmax" })]).build(2, new Rng(seed));
const base = (o: Partial<FitOptions> = {}): FitOptions => ({
  epochs: 1,
  batchSize: 4,
  optimizer: sgd({ lr: 0.01 }),
  loss: crossEntropy,
  seed: 0,
  ...o,
});

/** Each step's event, with the indices of the rows its batch held. */
function batches(): {
  onBatchEnd(e: BatchEvent): void;
  seen: { rows: number[]; partial: boolean; epoch: number; batchIndex: number }[];
} {
  const seen: { rows: number[]; partial: boolean; epoch: number; batchIndex: number }[] = [];
  return {
    seen,
    onBatchEnd: (e) => {
      const rows = Array.from({ length: e.batch.x.shape[0] }, (_, r) => e.batch.x.data[2 * r]);
      seen.push({ rows, partial: e.partial, epoch: e.epoch, batchIndex: e.batchIndex });
    },
  };
}

const configError = (field: string, message: RegExp) => (e: Error) =>
  e instanceof ConfigError && e.location.field === field && message.test(e.message);

test("epochs, batch size and dtype out of range are config errors naming the field", () => {
  const data = indexed(8);
  const cases: [Partial<FitOptions>, string, RegExp][] = [
    [{ epochs: -1 }, "epochs", /^epochs: expected a non-negative integer, got -1$/],
    [{ epochs: 1.5 }, "epochs", /^epochs: expected a non-negative integer, got 1.5$/],
    [{ batchSize: 0 }, "batchSize", /^batchSize: expected a positive integer, got 0$/],
    [{ batchSize: 2.5 }, "batchSize", /^batchSize: expected a positive integer, got 2.5$/],
  ];
  for (const [o, field, message] of cases)
    assert.throws(() => fit(model(), data, base(o)), configError(field, message));
  const f64 = new Sequential([new Dense(3, { activation: "softmax" })]).build(2, new Rng(1), "float64");
  assert.throws(
    () => fit(f64, data, base()),
    configError("dtype", /^fit: training runs in float32; build the model with dtype float32$/),
  );
});

test("zero epochs train nothing; a batch of one row is a step per row", () => {
  const data = indexed(6);
  const m = model();
  const before = m.parameters().map(([, t]) => Array.from(t.data));
  const none = fit(m, data, base({ epochs: 0 }));
  assert.deepEqual([none.steps, none.epochs.length, none.samplesPerSecond], [0, 0, 0]);
  assert.deepEqual(
    m.parameters().map(([, t]) => Array.from(t.data)),
    before,
  );
  assert.equal(fit(model(), data, base({ batchSize: 1, epochs: 2 })).steps, 12);
});

test("an epoch is ⌈n / batch⌉ batches, the last one short and marked partial", () => {
  const b = batches();
  fit(model(), indexed(10), base({ epochs: 2, shuffle: false, observers: [b] }));
  const epoch = [
    { rows: [0, 1, 2, 3], partial: false, batchIndex: 0 },
    { rows: [4, 5, 6, 7], partial: false, batchIndex: 1 },
    { rows: [8, 9], partial: true, batchIndex: 2 },
  ];
  assert.deepEqual(b.seen, [
    ...epoch.map((s) => ({ ...s, epoch: 0 })),
    ...epoch.map((s) => ({ ...s, epoch: 1 })),
  ]);
  // A batch larger than the data is one full (not partial) batch of every row.
  const one = batches();
  fit(model(), indexed(3), base({ batchSize: 8, shuffle: false, observers: [one] }));
  assert.deepEqual(one.seen, [{ rows: [0, 1, 2], partial: false, epoch: 0, batchIndex: 0 }]);
});

test("each epoch's order is the previous one shuffled by new Rng(seed).fork('shuffle')", () => {
  const n = 10;
  const b = batches();
  fit(model(), indexed(n), base({ epochs: 3, seed: 42, observers: [b] }));
  const stream = new Rng(42).fork("shuffle");
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const expected: number[] = [];
  for (let e = 0; e < 3; e++) expected.push(...stream.shuffle(order));
  assert.deepEqual(
    b.seen.flatMap((s) => s.rows),
    expected,
  );
  // No seed is seed 0.
  const unseeded = batches();
  fit(model(), indexed(n), { ...base({ observers: [unseeded] }), seed: undefined });
  assert.deepEqual(
    unseeded.seen.flatMap((s) => s.rows),
    Array.from(new Rng(0).fork("shuffle").permutation(n)),
  );
});

test("dropout masks come from new Rng(seed).fork('dropout'), in training mode", () => {
  const data = indexed(8);
  const net = (): Sequential =>
    new Sequential([
      new Dense(6, { activation: "relu" }),
      new Dropout(0.5),
      new Dense(3, { activation: "softmax" }),
    ]).build(2, new Rng(5));
  const losses: number[] = [];
  fit(
    net(),
    data,
    base({ batchSize: 8, shuffle: false, seed: 9, observers: [{ onBatchEnd: (e) => losses.push(e.loss) }] }),
  );
  // The same forward pass by hand: the whole data as one batch, masks drawn from the forked stream.
  const ref = net();
  const logits = ref.forwardLinear(data.x, { training: true, rng: new Rng(9).fork("dropout") });
  const expected = crossEntropy.fused!.fromLogits(logits, data.y).item();
  assert.equal(losses[0], expected);
  const inference = crossEntropy.fused!.fromLogits(net().forwardLinear(data.x), data.y).item();
  assert.notEqual(expected, inference, "the masks change this loss");
});

test("augmentation changes each gathered batch in place, with new Rng(seed).fork('augment')", () => {
  const data = indexed(6);
  const calls: { rows: number; cols: number; draw: number }[] = [];
  const b = batches();
  fit(model(), data, {
    ...base({ epochs: 1, batchSize: 4, shuffle: false, seed: 3, observers: [b] }),
    augment: (x, rows, cols, rng) => {
      calls.push({ rows, cols, draw: rng.next() });
      x[0] += 100;
    },
  });
  const stream = new Rng(3).fork("augment");
  assert.deepEqual(calls, [
    { rows: 4, cols: 2, draw: stream.next() },
    { rows: 2, cols: 2, draw: stream.next() },
  ]);
  assert.deepEqual(
    b.seen.map((s) => s.rows),
    [
      [100, 1, 2, 3],
      [104, 5],
    ],
  );
});

test("validationSplit holds out round(n·split) last rows; 0 or none holds out nothing", () => {
  const data = indexed(10);
  const held = (split: number | undefined): { steps: number; validation: unknown } => {
    const m = model();
    const h = fit(m, data, base({ epochs: 1, batchSize: 1, validationSplit: split }));
    return { steps: h.steps, validation: h.epochs[0].validation };
  };
  assert.deepEqual(held(undefined), { steps: 10, validation: undefined });
  assert.deepEqual(held(0), { steps: 10, validation: undefined });
  // 0.9 of 10 rows: 9 held out, one left to train on (cut = 1, the smallest allowed).
  const m = model();
  const h = fit(m, data, base({ epochs: 1, batchSize: 1, validationSplit: 0.9 }));
  assert.equal(h.steps, 1);
  assert.deepEqual(
    h.epochs[0].validation,
    evaluate(m, { x: rowSlice(data.x, 1, 10), y: rowSlice(data.y, 1, 10) }, { loss: crossEntropy }),
  );
});

test("a validation split outside [0, 1), or one that leaves a side empty, is a config error", () => {
  const data = indexed(10);
  const fraction = /^validationSplit: expected a fraction in \[0, 1\), got /;
  for (const split of [1, 1.5])
    assert.throws(
      () => fit(model(), data, base({ validationSplit: split })),
      configError("validationSplit", fraction),
    );
  // round(10 · 0.01) = 0 rows to validate on; round(10 · 0.96) = 10 leaves none to train on.
  for (const split of [0.01, 0.96])
    assert.throws(
      () => fit(model(), data, base({ validationSplit: split })),
      configError(
        "validationSplit",
        new RegExp(`^validationSplit ${split} leaves no rows for training or validation \\(n = 10\\)$`),
      ),
    );
});

test("validationData is evaluated after each epoch's last step", () => {
  const data = indexed(8);
  const validationData = { x: rowSlice(data.x, 0, 3), y: rowSlice(data.y, 0, 3) };
  const m = model();
  const h = fit(m, data, base({ epochs: 1, metrics: ["accuracy"], validationData }));
  assert.deepEqual(
    h.epochs[0].validation,
    evaluate(m, validationData, { loss: crossEntropy, metrics: ["accuracy"] }),
  );
});
