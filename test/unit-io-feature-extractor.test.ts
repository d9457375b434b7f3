/**
 * Frozen backbones in-process: fromModel's and embedRow's refusals word for word, the fingerprint
 * against node:zlib's CRC-32 of the architecture's JSON and of the weight bytes (and, for a graph read
 * channels first, of its input and output orders), a learner's file kind, its asynchronous path on a
 * stand-in ONNX Runtime session, and fromBytes's refusals naming the file and the field.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { decodeContainer, encodeContainer } from "../src/io/container.js";
import { BackboneLearner, FeatureExtractor } from "../src/io/feature-extractor.js";
import { OnnxRuntimeBackbone, type OrtTensorLike } from "../src/io/onnx-runtime-backbone.js";
import { Learner } from "../src/learner/learner.js";
import { layers } from "../src/nn/layer-kinds.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { type NodeDef, foreignOnnx } from "./helpers/onnx-fixtures.js";
import { built, unknownLayer } from "./helpers/models.js";

const hex = (n: number) => n.toString(16).padStart(8, "0");
const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
/** CRC-32 of the model's config JSON, the fingerprint's first part. */
const archCrc = (b: FeatureExtractor) => hex(crc32(JSON.stringify(b.model.config())));

test("fromModel refuses a model with no weights and a layer count outside 1 to the model's layers", () => {
  assert.throws(() => FeatureExtractor.fromModel(new Sequential([new Dense(2)])), {
    name: "ConfigError",
    message: "FeatureExtractor: the model has no weights yet",
    location: {},
  });
  const model = built([new Dense(4), new Dense(3), new Dense(2)], 5);
  for (const k of [0, -1, 4, 1.5])
    assert.throws(() => FeatureExtractor.fromModel(model, { layers: k }), {
      name: "ConfigError",
      message: `FeatureExtractor: layers must be 1 to 3 (the model's layers), got ${k}`,
      location: { field: "layers" },
    });
  assert.deepEqual(
    [1, 2, 3].map((k) => FeatureExtractor.fromModel(model, { layers: k }).outputDim),
    [4, 3, 2],
  );
});

test("fromModel rebuilds the cut from its configs: a layer type nobody registered is refused as backbone[0]", () => {
  const mine = unknownLayer("mine");
  const model = new Sequential([mine]).build(3, new Rng(1));
  assert.throws(() => FeatureExtractor.fromModel(model), {
    name: "ConfigError",
    message: `backbone[0].type: unknown layer string "mine"; expected one of ${layers.names().join(", ")}`,
    location: { field: "backbone[0].type" },
  });
});

test("the hash is CRC-32 of the architecture, CRC-32 of every weight byte, and the byte count", () => {
  // Dense 3 → 2: weight 2×3 and bias 2, 8 float32 = 32 bytes, in parameter order.
  const backbone = FeatureExtractor.fromModel(built([new Dense(2)], 3));
  const weights = Buffer.concat(backbone.model.parameters().map(([, t]) => bytesOf(t.data)));
  assert.equal(weights.length, 32);
  assert.equal(backbone.hash, `${archCrc(backbone)}-${hex(crc32(weights))}-32`);
});

test("a graph read channels first adds its input and output orders' CRC-32 to the hash", () => {
  // x [N, C 2, H 1, W 2]: ONNX feature c·2 + w sits at Homeostat's w·2 + c, so both orders are 0 2 1 3.
  const image = { inputs: [{ name: "x", dims: ["N", 2, 1, 2] }] };
  const flatten: NodeDef = { op: "Flatten", inputs: ["x"], output: "y", attrs: { axis: 1 } };
  const both = FeatureExtractor.fromOnnx(foreignOnnx([flatten], [], image));
  const order = hex(crc32(bytesOf(Int32Array.from([0, 2, 1, 3]))));
  // No weights: CRC-32 of nothing is 0, written with its eight digits.
  assert.equal(both.hash, `${archCrc(both)}-00000000-0-${order}-${order}`);
  assert.deepEqual([...both.embedRow([1, 2, 3, 4])], [1, 2, 3, 4]);
  // A global average pool ends in channels, the same in both layouts: the input order alone.
  const pool: NodeDef = { op: "GlobalAveragePool", inputs: ["x"], output: "g" };
  const inputOnly = FeatureExtractor.fromOnnx(foreignOnnx([pool, { ...flatten, inputs: ["g"] }], [], image));
  assert.equal(inputOnly.hash, `${archCrc(inputOnly)}-00000000-0-${order}`);
  assert.deepEqual([...inputOnly.embedRow([1, 2, 3, 4])], [1.5, 3.5]);
});

test("fromOnnx names backbone.onnx when no file name is given", () => {
  const notOnnx = new Uint8Array([0xff]);
  assert.throws(() => FeatureExtractor.fromOnnx(notOnnx), {
    name: "ModelFileError",
    message: "backbone.onnx: truncated varint at byte 1",
  });
  assert.throws(() => FeatureExtractor.fromOnnx(notOnnx, "cnn.onnx"), {
    message: "cnn.onnx: truncated varint at byte 1",
  });
});

test("embedRow refuses a row of another width, naming the field row", () => {
  const backbone = FeatureExtractor.fromModel(built([new Dense(2)], 3));
  for (const row of [
    [1, 2],
    [1, 2, 3, 4],
  ])
    assert.throws(() => backbone.embedRow(row), {
      name: "ConfigError",
      message: `FeatureExtractor: a row of ${row.length} values; the backbone reads 3`,
      location: { field: "row" },
    });
});

/** A stand-in ONNX Runtime session over rows of 2: embedding (a + b, a − b). */
const session = {
  inputNames: ["x"],
  outputNames: ["y"],
  run: async (feeds: Record<string, unknown>): Promise<Record<string, OrtTensorLike>> => {
    const x = (feeds.x as { data: Float32Array }).data;
    const y = new Float32Array(x.length);
    for (let r = 0; r < x.length; r += 2) [y[r], y[r + 1]] = [x[r]! + x[r + 1]!, x[r]! - x[r + 1]!];
    return { y: { data: y, dims: [x.length / 2, 2] } };
  },
};
class FeedTensor {
  constructor(
    readonly type: string,
    readonly data: Float32Array,
    readonly dims: readonly number[],
  ) {}
}

test("observeAsync and predictAsync feed the learner the backbone's embeddings; observe needs a synchronous one", async () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const backbone = await OnnxRuntimeBackbone.create(session, { Tensor: FeedTensor, bytes, inputShape: [2] });
  const head = BackboneLearner.create(backbone, { task: "classification", seed: 3 });
  const twin = Learner.create({ task: "classification", seed: 3, inputs: 2 });
  const rows: [number[], string][] = [
    [[1, 2], "a"],
    [[3, -1], "b"],
    [[0.5, 0.25], "a"],
  ];
  for (const [[a, b], label] of rows)
    assert.deepEqual(await head.observeAsync([a!, b!], label), twin.observe([a! + b!, a! - b!], label));
  assert.deepEqual(await head.predictAsync([2, 1]), twin.predict([3, 1]));
  const refusal = {
    name: "ConfigError",
    message:
      "BackboneLearner: this backbone (ONNX Runtime) embeds asynchronously; use observeAsync and predictAsync",
    location: { field: "backbone" },
  };
  assert.throws(() => head.observe([1, 2], "a"), refusal);
  assert.throws(() => head.predict([1, 2]), refusal);
});

test("a learner's file is of kind homeostat-backbone-learner and holds its backbone's hash", () => {
  const backbone = FeatureExtractor.fromModel(built([new Dense(2)], 3));
  const head = BackboneLearner.create(backbone, { task: "classification", seed: 1 });
  head.observe([1, 2, 3], "a");
  const { header } = decodeContainer(head.toBytes(), "head.hmst");
  assert.equal(header.kind, "homeostat-backbone-learner");
  assert.equal(header.backbone, backbone.hash);
});

test("fromBytes refuses another kind of file and another backbone, naming the file and the field", () => {
  const backbone = FeatureExtractor.fromModel(built([new Dense(2)], 3));
  const model = encodeContainer({ kind: "homeostat-model" }, []);
  for (const [file, given] of [
    ["learner", undefined],
    ["head.hmst", "head.hmst"],
  ] as const)
    assert.throws(() => BackboneLearner.fromBytes(model, backbone, given), {
      name: "ModelFileError",
      message: `${file}: not a backbone learner file (kind "homeostat-model")`,
      location: { file, field: "kind" },
    });
  const saved = BackboneLearner.create(backbone, { task: "classification", seed: 1 }).toBytes();
  const other = FeatureExtractor.fromModel(built([new Dense(2)], 3, 2));
  assert.notEqual(other.hash, backbone.hash);
  assert.throws(() => BackboneLearner.fromBytes(saved, other, "head.hmst"), {
    name: "ConfigError",
    message: `head.hmst: this learner was trained on backbone ${backbone.hash}, but the backbone given is ${other.hash}; its head means nothing on other features`,
    location: { file: "head.hmst", field: "backbone" },
  });
  assert.ok(BackboneLearner.fromBytes(saved, backbone) instanceof BackboneLearner);
});
