import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { crc32 } from "../src/io/crc32.js";
import { crossEntropy } from "../src/losses/losses.js";
import { Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";

function trained() {
  const model = new Sequential([
    new Dense(8, { activation: "tanh" }),
    new LayerNorm(),
    new Dropout(0.1),
    new Dense(3, { activation: "softmax" }),
  ]).build(4, new Rng(1));
  const rng = new Rng(2);
  const x = new Tensor(
    Float32Array.from({ length: 40 }, () => rng.normal()),
    [10, 4],
  );
  const y = new Tensor(
    Float32Array.from({ length: 30 }, (_, i) => (i % 3 === Math.floor(i / 3) % 3 ? 1 : 0)),
    [10, 3],
  );
  const opt = adam({ lr: 0.01 });
  const h = fit(model, { x, y }, { epochs: 3, batchSize: 4, optimizer: opt, loss: crossEntropy, seed: 3 });
  return { model, x, opt, state: h.optimizerState };
}

test("a model file round-trips bit-exactly: weights, architecture, optimiser state, every metadata field", () => {
  const { model, x, opt, state } = trained();
  const normalizer = {
    mode: "standardize",
    offset: new Float32Array([0.1, -0.2, 0.3, NaN]),
    scale: new Float32Array([1, 2, 3, 4]),
  };
  const impute = { mode: "mean", values: new Float32Array([0.5, -1.25, 3, 0]) };
  const meta = {
    loss: "crossEntropy",
    task: "classification" as const,
    classes: ["a", "b", "c"],
    featureNames: ["w", "x", "y", "z"],
    target: "kind",
    impute,
    normalizer,
    optimizer: { type: opt.type, lr: opt.lr, options: opt.options, state },
    training: { epochs: [{ loss: Infinity }], note: "x" },
  };
  const bytes = encodeModel(model, meta);
  // Every field written comes back (typed arrays compared by their bytes, so NaN and -0 count).
  const { model: _m, architecture, ...rest } = decodeModel(bytes, "m.hmst");
  assert.deepEqual(architecture, model.config());
  assert.deepEqual(Object.keys(rest).sort(), Object.keys(meta).sort());
  const bits = (a: Float32Array) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  for (const key of ["offset", "scale"] as const)
    assert.deepEqual(bits(rest.normalizer![key]), bits(normalizer[key]), key);
  assert.equal(rest.normalizer!.mode, "standardize");
  assert.deepEqual(
    { ...rest.impute!, values: bits(rest.impute!.values) },
    { ...impute, values: bits(impute.values) },
  );
  for (const key of ["loss", "task", "classes", "featureNames", "target", "training"] as const)
    assert.deepEqual(rest[key], meta[key], key);
  assert.deepEqual({ ...rest.optimizer, state: null }, { ...meta.optimizer, state: null });
  const back = decodeModel(bytes, "m.hmst");
  assert.deepEqual(back.model.config(), model.config());
  model.parameters().forEach(([name, t], i) => {
    const [name2, t2] = back.model.parameters()[i];
    assert.equal(name2, name);
    assert.deepEqual(new Uint8Array(t2.data.buffer), new Uint8Array(t.data.buffer), name);
  });
  assert.deepEqual(back.model.forward(x).data, model.forward(x).data);
  assert.deepEqual(back.classes, ["a", "b", "c"]);
  assert.deepEqual(new Uint8Array(back.normalizer!.offset.buffer), new Uint8Array(normalizer.offset.buffer));
  assert.deepEqual(back.optimizer!.state, state);
  assert.equal((back.training!.epochs as { loss: number }[])[0].loss, Infinity);
});

test("training continues identically from a saved optimiser state", () => {
  const { model, x, opt, state } = trained();
  const back = decodeModel(
    encodeModel(model, { optimizer: { type: opt.type, lr: opt.lr, options: opt.options, state } }),
  );
  const y = new Tensor(
    new Float32Array(30).map((_, i) => (i % 3 === 0 ? 1 : 0)),
    [10, 3],
  );
  fit(
    model,
    { x, y },
    { epochs: 2, batchSize: 5, optimizer: opt, loss: crossEntropy, seed: 9, optimizerState: state },
  );
  fit(
    back.model,
    { x, y },
    {
      epochs: 2,
      batchSize: 5,
      optimizer: opt,
      loss: crossEntropy,
      seed: 9,
      optimizerState: back.optimizer!.state,
    },
  );
  assert.deepEqual(
    back.model.parameters().map(([, t]) => Array.from(t.data)),
    model.parameters().map(([, t]) => Array.from(t.data)),
  );
});

test("truncated, bit-flipped and newer-version files are refused with ModelFileError", () => {
  const bytes = encodeModel(trained().model, { loss: "crossEntropy" });
  for (const len of [0, 3, 11, 40, bytes.length >> 1, bytes.length - 1]) {
    assert.throws(
      () => decodeModel(bytes.slice(0, len), "cut.hmst"),
      (e: Error) => e instanceof ModelFileError && /cut\.hmst/.test(e.message),
      `length ${len}`,
    );
  }
  const rng = new Rng(5);
  for (let k = 0; k < 200; k++) {
    const flipped = bytes.slice();
    const bit = rng.int(flipped.length * 8);
    flipped[bit >> 3] ^= 1 << (bit & 7);
    assert.throws(() => decodeModel(flipped, "flip.hmst"), ModelFileError, `bit ${bit}`);
  }
  const newer = bytes.slice();
  new DataView(newer.buffer).setUint32(4, 2, true);
  assert.throws(
    () => decodeModel(newer, "new.hmst"),
    (e: Error) => e instanceof ModelFileError && /newer Homeostat/.test(e.message),
  );
});

test("a consistent file whose weights do not fit its architecture is refused", () => {
  const bytes = encodeModel(trained().model);
  // Rewrite the architecture's first layer to 9 units and fix the CRC: the weights no longer fit.
  const text = new TextDecoder().decode(bytes);
  const i = text.indexOf('"units":8');
  const edited = bytes.slice();
  edited.set(new TextEncoder().encode('"units":9'), i);
  new DataView(edited.buffer).setUint32(
    edited.length - 4,
    crc32(edited.subarray(0, edited.length - 4)),
    true,
  );
  assert.throws(
    () => decodeModel(edited, "bad.hmst"),
    (e: Error) => e instanceof ModelFileError && /0\.weight/.test(e.message),
  );
});
