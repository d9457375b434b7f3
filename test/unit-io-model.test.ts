/**
 * The model file's meaning layer (src/io/model.ts) on hand-built containers: every refusal with its
 * message and location, each metadata field read or ignored by its type, state values JSON cannot hold
 * ($number), and a shaped model's stored sample shape. The round trip of a trained model is in
 * model-file.test.ts; here each field is checked on its own.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeContainer, type NamedTensor } from "../src/io/container.js";
import { decodeModel, encodeModel } from "../src/io/model.js";
import { Sequential } from "../src/nn/sequential.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

const ARCH = { inputDim: 2, layers: [{ type: "dense", units: 3, activation: "identity" }] };
const WEIGHTS: NamedTensor[] = [
  { name: "0.weight", shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
  { name: "0.bias", shape: [3], data: Float32Array.from([-1, -2, -3]) },
];
const file = (header: Record<string, unknown>, extra: NamedTensor[] = [], weights = WEIGHTS): Uint8Array =>
  encodeContainer({ architecture: ARCH, ...header }, [...weights, ...extra]);
const refuses = (bytes: Uint8Array, message: string, where: Record<string, string>): void => {
  assert.throws(
    () => decodeModel(bytes, "m.hmst"),
    (e: unknown) => {
      assert.ok(e instanceof ModelFileError, String(e));
      assert.equal(e.message, message);
      for (const [k, v] of Object.entries(where))
        assert.equal((e.location as Record<string, unknown>)[k], v, k);
      return true;
    },
  );
};
const f32 = (n: number, at = 0): Float32Array => Float32Array.from({ length: n }, (_, i) => at + i / 4);

describe("decodeModel refusals", () => {
  test("an architecture missing, not an object, or without a positive integer inputDim", () => {
    const message = 'm.hmst: the header has no valid "architecture" (inputDim and layers)';
    refuses(encodeContainer({}, WEIGHTS), message, { file: "m.hmst", field: "architecture" });
    for (const architecture of [
      null,
      "x",
      { ...ARCH, inputDim: 0 },
      { ...ARCH, inputDim: 1.5 },
      { layers: [] },
    ])
      refuses(encodeContainer({ architecture }, WEIGHTS), message, { field: "architecture" });
  });

  test('without a file name, messages say "model file"', () => {
    assert.throws(
      () => decodeModel(encodeContainer({}, [])),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message === 'model file: the header has no valid "architecture" (inputDim and layers)' &&
        e.location.file === "model file",
    );
  });

  test("an architecture that does not build names its field", () => {
    const bytes = encodeContainer({ architecture: { inputDim: 2, layers: [{ type: "nope" }] } }, []);
    assert.throws(
      () => decodeModel(bytes, "m.hmst"),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message.startsWith("m.hmst: ") &&
        /nope/.test(e.message) &&
        e.location.file === "m.hmst" &&
        typeof e.location.field === "string" &&
        e.location.field.startsWith("architecture.layers"),
    );
  });

  test("weights missing, of another type, or of another size", () => {
    refuses(file({}, [], [WEIGHTS[0]!]), 'm.hmst: missing weights for parameter "0.bias"', {
      file: "m.hmst",
      layer: "0.bias",
    });
    const as64 = { name: "0.bias", shape: [3], data: Float64Array.from([1, 2, 3]) };
    refuses(
      file({}, [], [WEIGHTS[0]!, as64]),
      'm.hmst: parameter "0.bias" should be float32 with 3 values (shape [3]), found 3',
      { layer: "0.bias" },
    );
    const short = { name: "0.bias", shape: [2], data: f32(2) };
    refuses(
      file({}, [], [WEIGHTS[0]!, short]),
      'm.hmst: parameter "0.bias" should be float32 with 3 values (shape [3]), found 2',
      { layer: "0.bias" },
    );
  });

  test("a batch norm's running state missing", () => {
    const model = Sequential.fromLayerConfigs([{ type: "batchNorm" }] as never).build(2, new Rng(0));
    const params = model.parameters().map(([name, t]) => ({ name, shape: [...t.shape], data: t.data }));
    const bytes = encodeContainer({ architecture: model.config() }, params as NamedTensor[]);
    const first = model.buffers()[0]![0];
    refuses(bytes, `m.hmst: missing running state "${first}"`, { layer: first });
  });

  test("imputation and normaliser values missing, of another type or length", () => {
    const impute = "m.hmst: the imputation values are missing or not 2 float32 values";
    refuses(file({ impute: { mode: "mean" } }), impute, { field: "impute" });
    refuses(
      file({ impute: { mode: "mean" } }, [{ name: "impute.values", shape: [3], data: f32(3) }]),
      impute,
      {
        field: "impute",
      },
    );
    const asF64 = { name: "impute.values", shape: [2], data: Float64Array.from([1, 2]) };
    refuses(file({ impute: { mode: "mean" } }, [asF64]), impute, { field: "impute" });
    const norm = "m.hmst: normalizer tensors are missing or not 2 float32 values";
    const offset = { name: "normalizer.offset", shape: [2], data: f32(2) };
    const scale = { name: "normalizer.scale", shape: [2], data: f32(2, 1) };
    const h = { normalizer: { mode: "standardize" } };
    const bad64 = (t: NamedTensor): NamedTensor => ({ ...t, data: Float64Array.from(t.data) });
    const bad3 = (t: NamedTensor): NamedTensor => ({ ...t, shape: [3], data: f32(3) });
    for (const tensors of [
      [offset],
      [scale],
      [bad64(offset), scale],
      [offset, bad64(scale)],
      [bad3(offset), scale],
      [offset, bad3(scale)],
    ])
      refuses(file(h, tensors), norm, { field: "normalizer" });
  });

  test("state that refers to a tensor the file lacks", () => {
    refuses(
      file({ optimizer: { type: "sgd", lr: 0.1, options: {}, state: { m: { $tensor: "optimizer.9" } } } }),
      'm.hmst: optimizer state refers to a missing tensor "optimizer.9"',
      { file: "m.hmst" },
    );
  });
});

describe("decodeModel fields", () => {
  test("a bare file: the weights, the architecture, and no metadata", () => {
    const loaded = decodeModel(file({}), "m.hmst");
    assert.deepEqual(Object.keys(loaded).sort(), ["architecture", "model"]);
    assert.deepEqual(loaded.architecture, ARCH);
    const [[, w], [, b]] = loaded.model.parameters();
    assert.deepEqual([...w!.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...b!.data], [-1, -2, -3]);
  });

  test("each field kept when of its type and dropped otherwise", () => {
    const kept = decodeModel(
      file({ loss: "mse", task: "regression", classes: [1, "b"], featureNames: [7, 8], target: "" }),
    );
    assert.equal(kept.loss, "mse");
    assert.equal(kept.task, "regression");
    assert.deepEqual(kept.classes, ["1", "b"]);
    assert.deepEqual(kept.featureNames, ["7", "8"]);
    assert.equal(kept.target, "");
    assert.equal(decodeModel(file({ task: "classification" })).task, "classification");
    const dropped = decodeModel(
      file({
        loss: 3,
        task: "ranking",
        classes: "ab",
        featureNames: "ab",
        target: 1,
        training: "t",
        checkpoint: 5,
        optimizer: "adam",
      }),
    );
    assert.deepEqual(Object.keys(dropped).sort(), ["architecture", "model"]);
  });

  test("impute and normaliser modes read as strings beside their values", () => {
    const loaded = decodeModel(
      file({ impute: { mode: 0 }, normalizer: { mode: "minmax" } }, [
        { name: "impute.values", shape: [2], data: f32(2, 5) },
        { name: "normalizer.offset", shape: [2], data: f32(2, 1) },
        { name: "normalizer.scale", shape: [2], data: f32(2, 3) },
      ]),
    );
    assert.deepEqual(loaded.impute, { mode: "0", values: f32(2, 5) });
    assert.deepEqual(loaded.normalizer, { mode: "minmax", offset: f32(2, 1), scale: f32(2, 3) });
  });

  test("optimiser header read with defaults; $number and $tensor restored at any depth", () => {
    const loaded = decodeModel(
      file(
        {
          optimizer: { type: 5, lr: "0.5", state: [{ $number: "NaN" }, { $tensor: "optimizer.0" }] },
          training: { a: [{ $number: "-Infinity" }, 2], b: { c: { $tensor: "training.0" } } },
          checkpoint: { step: 3, v: { $number: "Infinity" } },
        },
        [
          { name: "optimizer.0", shape: [1], data: Float64Array.of(0.25) },
          { name: "training.0", shape: [1], data: Int32Array.of(-4) },
        ],
      ),
    );
    assert.deepEqual(loaded.optimizer, {
      type: "5",
      lr: 0.5,
      options: {},
      state: [NaN, Float64Array.of(0.25)],
    });
    assert.deepEqual(loaded.training, { a: [-Infinity, 2], b: { c: Int32Array.of(-4) } });
    assert.deepEqual(loaded.checkpoint, { step: 3, v: Infinity });
  });
});

describe("encodeModel", () => {
  const model = Sequential.fromLayerConfigs(ARCH.layers as never).build(2, new Rng(1));

  test("writes only the fields given; state's typed arrays and non-finite numbers come back", () => {
    const state = {
      m: [Float32Array.of(1, -0), Uint32Array.of(7)],
      t: NaN,
      u: -Infinity,
      k: { s: "x", n: null },
    };
    const bytes = encodeModel(model, {
      optimizer: { type: "adam", lr: 0.01, options: { beta1: 0.9 }, state },
      training: { best: Infinity },
      checkpoint: { step: Int32Array.of(4) },
      target: "",
    });
    const back = decodeModel(bytes);
    assert.deepEqual(back.optimizer, { type: "adam", lr: 0.01, options: { beta1: 0.9 }, state });
    assert.ok(Object.is((back.optimizer!.state as typeof state).m[0]![1], -0));
    assert.deepEqual(back.training, { best: Infinity });
    assert.deepEqual(back.checkpoint, { step: Int32Array.of(4) });
    assert.equal(back.target, "");
    assert.deepEqual(Object.keys(back).sort(), [
      "architecture",
      "checkpoint",
      "model",
      "optimizer",
      "target",
      "training",
    ]);
  });

  test("a model with one input and a shaped model keep their input", () => {
    const narrow = Sequential.fromLayerConfigs(ARCH.layers as never).build(1, new Rng(2));
    assert.equal(decodeModel(encodeModel(narrow)).model.inputDim, 1);
    const shaped = Sequential.fromLayerConfigs([
      { type: "conv2d", filters: 2, kernel: [2, 2], activation: "relu" },
      { type: "flatten" },
    ] as never).build([3, 3, 1], new Rng(3));
    const back = decodeModel(encodeModel(shaped));
    assert.deepEqual(back.model.inputShape, [3, 3, 1]);
    assert.deepEqual(back.model.config(), shaped.config());
  });

  test("a stored shape that is not positive integers falls back to inputDim", () => {
    for (const inputShape of [[], [0], [2, 1.5], "2"]) {
      const back = decodeModel(file({ architecture: { ...ARCH, inputShape } }));
      assert.equal(back.model.inputDim, 2);
      assert.deepEqual(back.model.inputShape, [2], JSON.stringify(inputShape));
    }
  });
});
