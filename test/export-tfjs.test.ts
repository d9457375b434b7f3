import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as tf from "@tensorflow/tfjs";
import { exportTfjs, importTfjs, type TfjsModelJson } from "../src/io/tfjs.js";
import { readTfjs, writeTfjs } from "../src/io/tfjs-files.js";
import { Activation, Dense, Dropout, LayerNorm } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";
import type { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import {
  ACTIVATION_NAMES,
  assertSameModel,
  built,
  maxAbsDiff,
  randomInputs,
  throwsModelFile,
  unknownLayer,
} from "./helpers/models.js";
import { tempDir } from "./helpers/tmp.js";

before(async () => {
  await tf.setBackend("cpu");
});

async function loadTfjs(modelJson: TfjsModelJson, weights: Uint8Array): Promise<tf.LayersModel> {
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology as unknown as tf.io.ModelJSON["modelTopology"],
      weightSpecs: modelJson.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.slice().buffer,
    }),
  );
}

const runTfjs = (m: tf.LayersModel, x: Tensor): Float32Array =>
  (
    m.predict(tf.tensor2d(x.data as Float32Array, [x.shape[0], x.shape[1]])) as tf.Tensor
  ).dataSync() as Float32Array;

const CASES: [string, () => Sequential][] = [
  ...ACTIVATION_NAMES.map((a): [string, () => Sequential] => [
    `Dense(${a})`,
    () => built([new Dense(7, { activation: a })], 5),
  ]),
  ...ACTIVATION_NAMES.map((a): [string, () => Sequential] => [
    `Activation(${a})`,
    () => built([new Dense(6), new Activation(a)], 4),
  ]),
  [
    "Dense without bias",
    () => built([new Dense(6, { useBias: false, activation: "relu" }), new Dense(3, { useBias: false })], 5),
  ],
  ["LayerNorm", () => built([new Dense(8), new LayerNorm({ eps: 1e-3 })], 5)],
  ["Dropout", () => built([new Dense(6, { activation: "relu" }), new Dropout(0.4), new Dense(3)], 5)],
  [
    "mixed MLP",
    () =>
      built(
        [
          new Dense(9, { activation: "gelu", init: "lecunUniform" }),
          new LayerNorm(),
          new Dropout(0.2),
          new Dense(6, { activation: "leakyRelu" }),
          new Activation("tanh"),
          new Dense(4, { activation: "softmax", init: "zeros" }),
        ],
        6,
      ),
  ],
];

const figures: string[] = [];
after(() => console.log(`max |TF.js − Homeostat| per case:\n${figures.join("\n")}`));

for (const [name, make] of CASES) {
  test(`TF.js ${name}: tf.loadLayersModel predicts Homeostat's outputs to 1e-5, and import restores the model bit for bit`, async () => {
    const model = make();
    const x = randomInputs(model.inputDim);
    const { modelJson, weights } = exportTfjs(model);
    const diff = maxAbsDiff(runTfjs(await loadTfjs(modelJson, weights), x), predict(model, x).data);
    figures.push(`  ${name.padEnd(22)} ${diff.toExponential(2)}`);
    assert.ok(diff <= 1e-5, `max abs difference ${diff}`);
    assertSameModel(importTfjs(JSON.parse(JSON.stringify(modelJson)), weights, "m.json"), model);
  });
}

test("TF.js export writes Keras names, kernels as [in, units], LeakyReLU as its own layer, and a manifest that adds up", () => {
  const model = built(
    [new Dense(3, { activation: "leakyRelu", init: "heNormal" }), new LayerNorm({ eps: 1e-4 })],
    2,
  );
  const { modelJson, weights } = exportTfjs(model);
  assert.equal(modelJson.format, "layers-model");
  const layers = modelJson.modelTopology.config.layers;
  assert.deepEqual(
    layers.map((l) => l.class_name),
    ["Dense", "LeakyReLU", "LayerNormalization"],
  );
  assert.equal(layers[0].config.activation, "linear");
  assert.deepEqual(layers[0].config.batch_input_shape, [null, 2]);
  assert.deepEqual(layers[0].config.kernel_initializer, { class_name: "HeNormal", config: { seed: null } });
  assert.equal(layers[1].config.alpha, 0.01);
  assert.equal(layers[2].config.epsilon, 1e-4);
  const specs = modelJson.weightsManifest[0].weights;
  assert.deepEqual(
    specs.map((s) => [s.name, s.shape]),
    [
      ["dense_0/kernel", [2, 3]],
      ["dense_0/bias", [3]],
      ["layer_normalization_1/gamma", [3]],
      ["layer_normalization_1/beta", [3]],
    ],
  );
  assert.equal(weights.length, 4 * (6 + 3 + 3 + 3));
  const w = model.parameters()[0][1].data;
  const kernel = new Float32Array(weights.slice(0, 24).buffer);
  assert.equal(kernel[1 * 3 + 2], w[2 * 2 + 1], "kernel[in=1][unit=2] is weight[unit=2][in=1]");
});

test("TF.js import of a model made and saved by TensorFlow.js itself (no Homeostat metadata) predicts what TF.js predicts", async () => {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ units: 6, inputShape: [5], activation: "relu" }),
      tf.layers.layerNormalization({ epsilon: 1e-3 }),
      tf.layers.leakyReLU({ alpha: 0.01 }),
      tf.layers.dropout({ rate: 0.3 }),
      tf.layers.dense({ units: 4, activation: "elu" }),
      tf.layers.activation({ activation: "softmax" }),
    ],
  });
  const rng = new Rng(3);
  m.setWeights(
    m.getWeights().map((w) =>
      tf.tensor(
        Float32Array.from({ length: w.size }, () => 0.7 * rng.normal()),
        w.shape,
      ),
    ),
  );
  let artifacts: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const json = {
    format: "layers-model",
    modelTopology: artifacts!.modelTopology,
    weightsManifest: [{ paths: ["w.bin"], weights: artifacts!.weightSpecs }],
  };
  const model = importTfjs(json, new Uint8Array(artifacts!.weightData as ArrayBuffer), "tfjs.json");
  assert.deepEqual(
    model.config().layers.map((l) => `${l.type}:${String(l.activation ?? l.eps ?? l.rate)}`),
    [
      "dense:relu",
      "layerNorm:0.001",
      "activation:leakyRelu",
      "dropout:0.3",
      "dense:elu",
      "activation:softmax",
    ],
  );
  const x = randomInputs(5);
  const diff = maxAbsDiff(runTfjs(m, x), predict(model, x).data);
  assert.ok(diff <= 1e-5, `max abs difference ${diff}`);
});

test("TF.js import of LayerNormalization without scale or center (no stored gain or shift) predicts what TF.js predicts", async () => {
  const m = tf.sequential({
    layers: [tf.layers.layerNormalization({ inputShape: [4], center: false, scale: false, epsilon: 1e-5 })],
  });
  let artifacts: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  const model = importTfjs(
    { modelTopology: artifacts!.modelTopology, weightsManifest: [{ paths: [], weights: [] }] },
    new Uint8Array(),
  );
  const x = randomInputs(4);
  assert.ok(maxAbsDiff(runTfjs(m, x), predict(model, x).data) <= 1e-5);
  const huge = JSON.parse(
    JSON.stringify(artifacts!.modelTopology).replace("[null,4]", "[null,1000000000]"),
  ) as object;
  throwsModelFile(
    () => importTfjs({ modelTopology: huge, weightsManifest: [] }, new Uint8Array()),
    "1000000000 features without stored weights",
  );
});

test("writeTfjs / readTfjs: model.json + weights.bin on disk, loadable by TF.js, read back bit for bit", async () => {
  const dir = join(tempDir("tfjs"), "nested", "out");
  const model = CASES[CASES.length - 1][1]();
  const paths = writeTfjs(dir, model);
  assert.deepEqual(paths, { modelJson: join(dir, "model.json"), weights: join(dir, "weights.bin") });
  assertSameModel(readTfjs(dir), model);
  const json = JSON.parse(readFileSync(paths.modelJson, "utf8")) as TfjsModelJson;
  const x = randomInputs(model.inputDim);
  assert.ok(
    maxAbsDiff(
      runTfjs(await loadTfjs(json, new Uint8Array(readFileSync(paths.weights))), x),
      predict(model, x).data,
    ) <= 1e-5,
  );
  // weights.bin from another model of the same shape: caught by the CRC in model.json.
  writeFileSync(
    paths.weights,
    exportTfjs(
      built(
        [
          new Dense(9, { activation: "gelu" }),
          new LayerNorm(),
          new Dropout(0.2),
          new Dense(6, { activation: "leakyRelu" }),
          new Activation("tanh"),
          new Dense(4, { activation: "softmax" }),
        ],
        6,
        9,
      ),
    ).weights,
  );
  throwsModelFile(() => readTfjs(dir), "model.json", "CRC-32");
  throwsModelFile(() => readTfjs(join(dir, "absent")), "model.json", "file not found");
  json.weightsManifest[0].paths = ["../../etc/passwd"];
  writeFileSync(paths.modelJson, JSON.stringify(json));
  throwsModelFile(() => readTfjs(dir), "../../etc/passwd", "beside model.json");
});

// ---------------------------------------------------------------- errors

test("TF.js export of a layer the format cannot express names the layer", () => {
  // Shaped layers have their own test file (export-tfjs-shaped.test.ts); a user's own kind has no mapping.
  const custom = unknownLayer("myLayer");
  assert.throws(
    () => exportTfjs(new Sequential([new Dense(3), custom]).build(2, new Rng(0))),
    (e: unknown) => e instanceof ConfigError && /layer 1 \(myLayer\)/.test(e.message),
  );
});

test("TF.js import refuses unsupported layers, activations and settings, and weights that do not fit, naming the layer", () => {
  const base = (): { json: TfjsModelJson; weights: Uint8Array } => {
    const { modelJson, weights } = exportTfjs(built([new Dense(3, { activation: "relu" }), new Dense(2)], 4));
    const json = JSON.parse(JSON.stringify(modelJson)) as TfjsModelJson;
    delete (json as Partial<TfjsModelJson>).userDefinedMetadata;
    return { json, weights };
  };
  const edit = (f: (j: TfjsModelJson) => void): [TfjsModelJson, Uint8Array] => {
    const { json, weights } = base();
    f(json);
    return [json, weights];
  };
  const layer = (j: TfjsModelJson, i: number) => j.modelTopology.config.layers[i];
  let [j, w] = edit((x) => {
    layer(x, 1).class_name = "BatchNormalization";
  });
  throwsModelFile(
    () => importTfjs(j, w, "m.json"),
    "m.json",
    `"dense_1" (BatchNormalization)`,
    "not supported",
  );
  [j, w] = edit((x) => {
    layer(x, 0).config.activation = "swish";
  });
  throwsModelFile(() => importTfjs(j, w), `"dense_0"`, `activation "swish"`);
  [j, w] = edit((x) => {
    layer(x, 1).class_name = "LeakyReLU";
    layer(x, 1).config = { name: "lr", alpha: 0.3 };
  });
  throwsModelFile(() => importTfjs(j, w), `"lr" (LeakyReLU)`, "alpha 0.3");
  [j, w] = edit((x) => {
    layer(x, 1).config.units = 5;
  });
  throwsModelFile(() => importTfjs(j, w), `"dense_1"`, "shape [3, 2]", "expected [3, 5]");
  [j, w] = edit((x) => {
    x.weightsManifest[0].weights[1].name = "other/bias";
  });
  throwsModelFile(() => importTfjs(j, w), `weight "dense_0/bias" is missing`);
  [j, w] = edit(() => undefined);
  throwsModelFile(() => importTfjs(j, w.subarray(0, w.length - 4)), "manifest describes more than");
  [j, w] = edit((x) => {
    x.weightsManifest[0].weights[0].shape = [1e9, 1e9];
  });
  throwsModelFile(() => importTfjs(j, w), `"dense_0/kernel"`, "needs more bytes than");
  [j, w] = edit((x) => {
    (x as { format: string }).format = "graph-model";
  });
  throwsModelFile(() => importTfjs(j, w), "graph-model");
  [j, w] = edit((x) => {
    delete layer(x, 0).config.batch_input_shape;
  });
  throwsModelFile(() => importTfjs(j, w), "input shape is unknown");
  throwsModelFile(() => importTfjs("{not json", new Uint8Array()), "not JSON");
  throwsModelFile(() => importTfjs([], new Uint8Array()), "expected a JSON object");
});
