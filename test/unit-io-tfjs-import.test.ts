/**
 * TF.js import's rare paths on model.json files written by hand: Keras 3's model_config wrapper, a
 * batch_input_shape repeated on a later layer (the same width is fine, another is refused), and each
 * refusal word for word with the file and layer it names: quantized weights, a dropout rate of 1,
 * a use_bias that is no boolean, an epsilon of 0, and a weight stored as int32, flat or shaped.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportTfjs, importTfjs } from "../src/io/tfjs.js";
import { Conv2D } from "../src/nn/conv.js";
import { Flatten } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import {
  type Spec,
  layer,
  input,
  dense,
  modelJson,
  D_SPECS,
  D_WEIGHTS,
  params,
} from "./helpers/tfjs-json.js";

const refuses = (json: unknown, weights: Uint8Array, message: string, location: object) =>
  assert.throws(() => importTfjs(json, weights), { name: "ModelFileError", message, location });

test("Keras 3's model_config wrapper and a batch_input_shape repeated with the same width import", () => {
  const json = {
    format: "layers-model",
    modelTopology: {
      model_config: {
        class_name: "Sequential",
        config: { name: "sequential", layers: [input(2), dense(1, { batch_input_shape: [null, 2] })] },
      },
    },
    weightsManifest: [{ paths: ["weights.bin"], weights: D_SPECS }],
  };
  const model = importTfjs(json, D_WEIGHTS);
  assert.deepEqual(model.inputShape, [2]);
  assert.deepEqual(params(model), [
    ["0.weight", [3, 4]],
    ["0.bias", [5]],
  ]);
});

test("a batch_input_shape of another width than the layers before give is refused, naming the layer", () => {
  refuses(
    modelJson([input(3), dense(1, { batch_input_shape: [null, 2] })], D_SPECS),
    D_WEIGHTS,
    'model.json: layer "d" (Dense): input shape [null, 2] does not match the 3 features before it',
    { file: "model.json", layer: "d" },
  );
});

test("quantized weights are refused, naming the manifest entry", () => {
  const specs = [{ ...D_SPECS[0]!, dtype: "uint8", quantization: { dtype: "uint8", scale: 1, min: 0 } }];
  refuses(
    modelJson([input(2), dense(1)], specs),
    new Uint8Array(2),
    'model.json: weightsManifest[0].weights[0] ("d/kernel"): quantized weights are not supported',
    {},
  );
});

test("a layer's config refusals name the file and the layer, word for word", () => {
  const cases: [unknown[], Spec[], Uint8Array, string, string][] = [
    [
      [input(2), layer("Dropout", { name: "drop", rate: 1 })],
      [],
      new Uint8Array(0),
      'layer "drop" (Dropout): rate 1; expected a number in [0, 1)',
      "drop",
    ],
    [
      [input(2), dense(1, { use_bias: "yes" })],
      D_SPECS,
      D_WEIGHTS,
      'layer "d" (Dense): use_bias: expected true or false',
      "d",
    ],
    [
      [input(2), layer("LayerNormalization", { name: "norm", epsilon: 0 })],
      [],
      new Uint8Array(0),
      'layer "norm" (LayerNormalization): epsilon 0; expected a positive number',
      "norm",
    ],
    [
      [input(2), dense(1)],
      [{ ...D_SPECS[0]!, dtype: "int32" }, D_SPECS[1]!],
      D_WEIGHTS,
      'layer "d" (Dense): weight "d/kernel" is int32; expected float32',
      "d",
    ],
  ];
  for (const [layers, specs, weights, message, name] of cases)
    refuses(modelJson(layers, specs), weights, `model.json: ${message}`, { file: "model.json", layer: name });
});

test("a shaped model's weight stored as int32 is refused, naming the weight", () => {
  const model = new Sequential([new Conv2D(1, { kernel: 1 }), new Flatten()]).build([2, 2, 1], new Rng(0));
  const { modelJson: json, weights } = exportTfjs(model);
  const edited = structuredClone(json) as unknown as { weightsManifest: { weights: Spec[] }[] };
  assert.equal(edited.weightsManifest[0]!.weights[0]!.name, "conv2d_0/kernel");
  edited.weightsManifest[0]!.weights[0]!.dtype = "int32";
  refuses(edited, weights, 'model.json: weight "conv2d_0/kernel" is int32; expected float32', {
    file: "model.json",
  });
});
