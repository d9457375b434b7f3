/**
 * TF.js import's weights manifest, on model.json files written by hand: each malformed entry is refused
 * word for word, naming the file and the entry (group, index and weight name) and saying what was
 * expected; a weight of zero elements takes no bytes; weights longer than the manifest describes are
 * refused with both sizes. The reference is the float32 layout: 4 bytes an element, in manifest order.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importTfjs } from "../src/io/tfjs.js";

type Spec = { name: string; shape: unknown; dtype?: unknown };
const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
/** An input of 2 features and a Dense "d" of 1 unit, whose weights are the manifest's "d/kernel" and "d/bias". */
const LAYERS = [
  layer("InputLayer", { name: "in", batch_input_shape: [null, 2] }),
  layer("Dense", { name: "d", units: 1, activation: "linear", use_bias: true }),
];
const modelJson = (weightsManifest: unknown) => ({
  format: "layers-model",
  modelTopology: { class_name: "Sequential", config: { name: "sequential", layers: LAYERS } },
  weightsManifest,
});
const group = (weights: unknown) => ({ paths: ["weights.bin"], weights });
const bytes = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const KERNEL: Spec = { name: "d/kernel", shape: [2, 1] };
const BIAS: Spec = { name: "d/bias", shape: [1] };
/** The kernel [3, 4] and bias [5]: 12 bytes. */
const WEIGHTS = bytes(3, 4, 5);

const refuses = (weightsManifest: unknown, weights: Uint8Array, message: string) =>
  assert.throws(() => importTfjs(modelJson(weightsManifest), weights), {
    name: "ModelFileError",
    message: `model.json: ${message}`,
    location: {},
  });

test("a manifest, group or entry of the wrong kind is refused, naming where it is", () => {
  refuses({ weights: [KERNEL, BIAS] }, WEIGHTS, "weightsManifest: expected an array of weight groups");
  refuses(
    [group([KERNEL, BIAS]), { paths: ["more.bin"], weights: {} }],
    WEIGHTS,
    "weightsManifest[1].weights: expected an array",
  );
  refuses(
    [group([KERNEL, "d/bias"])],
    WEIGHTS,
    "weightsManifest[0].weights[1]: expected an object {name, shape, dtype}",
  );
  refuses(
    [group([KERNEL, { name: 7, shape: [1] }])],
    WEIGHTS,
    "weightsManifest[0].weights[1].name: expected a string",
  );
});

test("a dtype outside TF.js's list is refused, a string or not, naming the weight", () => {
  // ["float32"] would pass a property lookup (it converts to the key "float32"): only a string is a dtype.
  for (const dtype of ["complex64", ["float32"], 4]) {
    refuses(
      [group([{ ...KERNEL, dtype }, BIAS])],
      WEIGHTS,
      `weightsManifest[0].weights[0] ("d/kernel"): dtype ${JSON.stringify(dtype)} is not supported`,
    );
  }
});

test("a shape with a negative, fractional or missing dimension is refused, naming the weight", () => {
  for (const shape of [[2, -1], [-1], [1.5], [2, "1"], "2"]) {
    refuses(
      [group([{ ...KERNEL, shape }, BIAS])],
      WEIGHTS,
      'weightsManifest[0].weights[0] ("d/kernel"): shape must be an array of non-negative integers',
    );
  }
});

test("a weight with a zero dimension takes no bytes, so the weights after it keep their place", () => {
  const model = importTfjs(modelJson([group([{ name: "empty", shape: [3, 0] }, KERNEL, BIAS])]), WEIGHTS);
  assert.deepEqual(
    model.parameters().map(([name, t]) => [name, [...t.data]]),
    [
      ["0.weight", [3, 4]],
      ["0.bias", [5]],
    ],
  );
});

test("a shape that needs more bytes than given is refused with the whole shape", () => {
  // 4 bytes × 2 = 8 fits in 12; × 2 again = 16 does not.
  refuses(
    [group([{ ...KERNEL, shape: [2, 2, 1] }, BIAS])],
    WEIGHTS,
    'weightsManifest[0].weights[0] ("d/kernel"): shape [2, 2, 1] needs more bytes than the 12 weight bytes',
  );
});

test("weights longer than the manifest describes are refused with both sizes", () => {
  refuses([group([KERNEL, BIAS])], bytes(3, 4, 5, 6), "the weights hold 16 bytes; the manifest describes 12");
});
