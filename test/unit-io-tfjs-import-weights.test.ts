/**
 * TF.js import of Dense and LayerNormalization layers written by hand: a Dense's units, its bias when
 * use_bias is left out and its kernel initialiser; a layer norm's axis, a width nothing gives, and the
 * cap on the features a layer norm without stored gain or shift may have (2^20, at and just above it);
 * and how a weight is found in the manifest (its exact name first, else a name ending in "/<name>")
 * and refused when its shape has fewer dimensions than expected. Each refusal is checked word for word
 * with the file and layer it names; the reference values are the bytes written.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importTfjs } from "../src/io/tfjs.js";
import {
  layer,
  input,
  modelJson,
  bytes,
  D_SPECS,
  D_WEIGHTS,
  params,
  refusesAtLayer as refuses,
} from "./helpers/tfjs-json.js";

const norm = (extra: Record<string, unknown> = {}) => layer("LayerNormalization", { name: "norm", ...extra });
/** The largest width a layer norm without stored gain or shift may have. */
const CAP = 1 << 20;

test("a Dense's units that are not a positive integer are refused, naming the layer", () => {
  for (const [units, shown] of [
    [0, "0"],
    [2.5, "2.5"],
    ["1", '"1"'],
  ] as const)
    refuses(
      modelJson([input(2), layer("Dense", { name: "d", units })], D_SPECS),
      D_WEIGHTS,
      `layer "d" (Dense): units ${shown}; expected a positive integer`,
      "d",
    );
});

test("a Dense without use_bias has its bias, and its Keras kernel initialiser becomes its init", () => {
  const he = { class_name: "HeNormal", config: { seed: null } };
  const model = importTfjs(
    modelJson([input(2), layer("Dense", { name: "d", units: 1, kernel_initializer: he })], D_SPECS),
    D_WEIGHTS,
  );
  assert.deepEqual(model.layers[0]!.config(), {
    type: "dense",
    units: 1,
    activation: "identity",
    init: "heNormal",
    useBias: true,
  });
  assert.deepEqual(params(model), [
    ["0.weight", [3, 4]],
    ["0.bias", [5]],
  ]);
});

test("a layer norm over the last axis imports; any other axis is refused, naming the layer", () => {
  const specs = [
    { name: "norm/gamma", shape: [2] },
    { name: "norm/beta", shape: [2] },
  ];
  for (const axis of [-1, 1, [-1], [1]]) {
    const model = importTfjs(modelJson([input(2), norm({ axis })], specs), bytes(3, 4, 5, 6));
    assert.deepEqual(params(model), [
      ["0.weight", [3, 4]],
      ["0.bias", [5, 6]],
    ]);
  }
  for (const [axis, shown] of [
    [0, "0"],
    [[0], "[0]"],
    [[-1, 1], "[-1,1]"],
  ] as const)
    refuses(
      modelJson([input(2), norm({ axis })], specs),
      bytes(3, 4, 5, 6),
      `layer "norm" (LayerNormalization): axis ${shown}; only the last axis is supported`,
      "norm",
    );
});

test("a layer norm first, with no input shape before it, is refused, naming the layer", () => {
  refuses(
    modelJson([norm()], [{ name: "norm/gamma", shape: [2] }]),
    new Uint8Array(8),
    'layer "norm" (LayerNormalization): the input shape is unknown (expected batch_input_shape on the first layer)',
    "norm",
  );
});

test("a layer norm of 2^20 features without stored gain and shift imports as gain 1 and shift 0", () => {
  const model = importTfjs(
    modelJson([input(CAP), norm({ scale: false, center: false })], []),
    new Uint8Array(0),
  );
  const [[gainName, gain], [shiftName, shift]] = model.parameters();
  assert.deepEqual(
    [gainName, gain.data.length, shiftName, shift.data.length],
    ["0.weight", CAP, "0.bias", CAP],
  );
  assert.ok(gain.data.every((v) => v === 1));
  assert.ok(shift.data.every((v) => v === 0));
});

test("above 2^20 features a layer norm missing its gain or its shift is refused; with both it imports", () => {
  const width = CAP + 1;
  const gamma = { name: "norm/gamma", shape: [width] };
  const beta = { name: "norm/beta", shape: [width] };
  const message = `layer "norm" (LayerNormalization): ${width} features without stored weights; expected at most ${CAP}`;
  refuses(
    modelJson([input(width), norm({ scale: false })], [beta]),
    new Uint8Array(4 * width),
    message,
    "norm",
  );
  refuses(
    modelJson([input(width), norm({ center: false })], [gamma]),
    new Uint8Array(4 * width),
    message,
    "norm",
  );
  const model = importTfjs(modelJson([input(width), norm()], [gamma, beta]), new Uint8Array(8 * width));
  assert.deepEqual(
    model.parameters().map(([name, t]) => [name, t.data.length]),
    [
      ["0.weight", width],
      ["0.bias", width],
    ],
  );
});

test("a weight is found by a name ending in /<layer>/<weight>, but its exact name comes first", () => {
  const prefixed = [
    { name: "sequential/d/kernel", shape: [2, 1] },
    { name: "sequential/d/bias", shape: [1] },
  ];
  const model = importTfjs(
    modelJson([input(2), layer("Dense", { name: "d", units: 1 })], prefixed),
    D_WEIGHTS,
  );
  assert.deepEqual(params(model), [
    ["0.weight", [3, 4]],
    ["0.bias", [5]],
  ]);
  // "outer/d/kernel" also ends in /d/kernel, but "d/kernel" is the layer's own name for it.
  const both = [...D_SPECS, { name: "outer/d/kernel", shape: [2, 1] }];
  const exact = importTfjs(
    modelJson([input(2), layer("Dense", { name: "d", units: 1 })], both),
    bytes(3, 4, 5, 7, 8),
  );
  assert.deepEqual(params(exact), [
    ["0.weight", [3, 4]],
    ["0.bias", [5]],
  ]);
});

test("a weight stored with fewer dimensions than expected is refused, naming the weight and layer", () => {
  refuses(
    modelJson(
      [input(2), layer("Dense", { name: "d", units: 1 })],
      [{ name: "d/kernel", shape: [2] }, D_SPECS[1]!],
    ),
    D_WEIGHTS,
    'layer "d" (Dense): weight "d/kernel" has shape [2]; expected [2, 1]',
    "d",
  );
});
