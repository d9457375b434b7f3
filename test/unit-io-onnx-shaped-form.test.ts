/**
 * How the conv import follows where ONNX's values sit in Homeostat's tensors (onnx-shaped-form.ts),
 * one node at a time: a Flatten of features already flat keeps their channels-last order, a window op
 * takes only a channels-first image (a reshape layer first when the numbers already lie as [H, W, C]),
 * and the refusals name the dims the node got.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { image, plain } from "../src/io/onnx-shaped-form.js";
import { map, refuses, tensor } from "./helpers/onnx-nodes.js";

const cannotFollow = (dims: string) =>
  `needs a channels-first image [channels, height, width] per sample; its input is [${dims}] in an arrangement the import cannot follow`;

test("a Flatten of features already flat keeps where each ONNX feature sits in Homeostat's row", () => {
  // ONNX feature i of [C 2, H 1, W 2] is (c, x) = (i / 2, i % 2); Homeostat's row is (x, c), at 2x + c.
  const once = map({ op: "Flatten", form: image(2, 1, 2) });
  const order = Int32Array.of(0, 2, 1, 3);
  assert.deepEqual(once.form, { dims: [4], hs: [4], axes: [0], order });
  const twice = map({ op: "Flatten", form: once.form });
  assert.deepEqual(twice.form, { dims: [4], hs: [4], axes: [0], order });
  assert.deepEqual(twice.made, []); // the values are flat already: no flatten layer
  // A Reshape of those features to a shape would read them in ONNX's order, which they are not in.
  refuses(
    {
      op: "Reshape",
      form: once.form,
      inputs: ["x", "S"],
      consts: [{ ...tensor("S", [3]), ints: [0, 2, 2] }],
    },
    "reshapes [4], which Homeostat holds in another order",
  );
});

test("a Conv or pool on flat features is refused, naming their dims", () => {
  refuses({ op: "MaxPool", form: plain([8]), attrs: { kernel_shape: { ints: [1, 1] } } }, cannotFollow("8"));
  refuses(
    { op: "Conv", form: plain([8]), inputs: ["x", "W"], consts: [tensor("W", [1, 8, 1, 1])] },
    cannotFollow("8"),
  );
});

test("a pool on an image whose height and width were swapped is refused, though its channels stay first", () => {
  // perm [0, 1, 3, 2] keeps the channels axis in place but reads [C, W, H]: not Homeostat's [H, W, C].
  const swapped = map({ op: "Transpose", form: image(2, 3, 4), attrs: { perm: { ints: [0, 1, 3, 2] } } });
  assert.deepEqual(swapped.form, { dims: [2, 4, 3], hs: [3, 4, 2], axes: [2, 1, 0], order: null });
  refuses(
    { op: "MaxPool", form: swapped.form, attrs: { kernel_shape: { ints: [2, 2] } } },
    cannotFollow("2, 4, 3"),
  );
});

test("a pool on a one-channel image reshaped from flat features gets a reshape layer to [H, W, 1] first", () => {
  // Reshape [0, 1, 4, 4] of 16 features: Homeostat holds [1, 4, 4], the same numbers as [4, 4, 1].
  const grey = map({
    op: "Reshape",
    form: plain([16]),
    inputs: ["x", "S"],
    consts: [{ ...tensor("S", [4]), ints: [0, 1, 4, 4] }],
  });
  assert.deepEqual(grey.form, plain([1, 4, 4]));
  const pooled = map({
    op: "MaxPool",
    form: grey.form,
    attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] } },
  });
  assert.deepEqual(pooled.made, [
    { config: { type: "reshape", shape: [4, 4, 1] }, tensors: [] },
    { config: { type: "maxPool2d", pool: [2, 2], stride: [2, 2], padding: "valid" }, tensors: [] },
  ]);
  assert.deepEqual(pooled.form, image(1, 2, 2));
});
