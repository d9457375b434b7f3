/**
 * TF.js import of a shaped model Homeostat exported, with its metadata or manifest edited: an empty
 * input shape, layers that make no model, and a weight of fewer dimensions are each refused word for
 * word naming model.json; an error that is no fault of the file (a getter of the caller's object that
 * throws) passes through as itself rather than as a ModelFileError.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exportTfjs, importTfjs } from "../src/io/tfjs.js";
import { Conv2D } from "../src/nn/conv.js";
import { Flatten } from "../src/nn/reshape.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";

type Edited = {
  userDefinedMetadata: { homeostat: { inputShape: unknown; layers: unknown } };
  weightsManifest: { weights: { name: string; shape: number[] }[] }[];
};

/** A 1x1 convolution over 2x2x1 samples, exported; `edit` changes a copy of its model.json. */
function exported(edit: (json: Edited) => void): { json: Edited; weights: Uint8Array } {
  const model = new Sequential([new Conv2D(1, { kernel: 1 }), new Flatten()]).build([2, 2, 1], new Rng(0));
  const { modelJson, weights } = exportTfjs(model);
  const json = structuredClone(modelJson) as unknown as Edited;
  edit(json);
  return { json, weights };
}

const refuses = ({ json, weights }: { json: Edited; weights: Uint8Array }, message: string) =>
  assert.throws(() => importTfjs(json, weights), {
    name: "ModelFileError",
    message,
    location: { file: "model.json" },
  });

test("an empty input shape in the metadata is refused, naming the field", () => {
  refuses(
    exported((json) => {
      json.userDefinedMetadata.homeostat.inputShape = [];
    }),
    "model.json: userDefinedMetadata.homeostat.inputShape: expected an array of positive integers",
  );
});

test("metadata layers that make no model are refused, naming the field", () => {
  refuses(
    exported((json) => {
      json.userDefinedMetadata.homeostat.layers = null;
    }),
    "model.json: userDefinedMetadata.homeostat: the layers do not make a model " +
      "(model.json: userDefinedMetadata.homeostat.layers: expected a non-empty array of layers)",
  );
});

test("an error that is no fault of the file passes through as itself", () => {
  const boom = new TypeError("a getter of the caller's object threw");
  const { json, weights } = exported((json) => {
    json.userDefinedMetadata.homeostat.layers = [
      {
        get type(): string {
          throw boom;
        },
      },
    ];
  });
  assert.throws(
    () => importTfjs(json, weights),
    (error: unknown) => error === boom,
  );
});

test("a shaped model's weight stored with fewer dimensions is refused, naming the weight", () => {
  refuses(
    exported((json) => {
      const kernel = json.weightsManifest[0]!.weights[0]!;
      assert.deepEqual(kernel, { name: "conv2d_0/kernel", shape: [1, 1, 1, 1], dtype: "float32" });
      kernel.shape = [1, 1, 1];
    }),
    'model.json: weight "conv2d_0/kernel" has shape [1, 1, 1]; expected [1, 1, 1, 1]',
  );
});
