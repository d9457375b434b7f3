/**
 * The conv import's node mappers at their edges, one ONNX node at a time: the layers each op makes
 * (with no tensors where it has none), auto_pad VALID as the ONNX spec reads it, padding that fits on
 * one axis only, pools with dilations, means over positions of images and of [channels, length],
 * Reshape and Transpose refusals, a float32 epsilon kept exactly, Gemm without transB, and the list
 * of ops an unsupported op's message gives, word for word.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "../src/io/onnx.js";
import { image, type Made, plain } from "../src/io/onnx-shaped-form.js";
import { foreignOnnx, type NodeDef } from "./helpers/onnx-fixtures.js";
import { type Attr, type Case, map, refuses, reshapeCase, tensor } from "./helpers/onnx-nodes.js";

const image2x3x3 = [{ name: "x", dims: ["N", 2, 3, 3] }];
const importOne = (node: NodeDef) => importOnnx(foreignOnnx([node], [], { inputs: image2x3x3 }), "net.onnx");

test("an activation of its own and a flatten are layers with no tensors; Identity keeps the form", () => {
  const alone = map({ op: "Relu", form: image(2, 3, 3) });
  assert.deepEqual(alone.made, [{ config: { type: "activation", activation: "relu" }, tensors: [] }]);
  assert.deepEqual(map({ op: "Softplus", form: plain([2]) }).made, [
    { config: { type: "activation", activation: "softplus" }, tensors: [] },
  ]);
  const dense: Made = {
    config: { type: "dense", units: 2, activation: "identity", useBias: false },
    tensors: [],
  };
  assert.equal(
    map({ op: "Softplus", form: plain([2]), made: [dense] }).made[0]!.config.activation,
    "softplus",
  );
  assert.deepEqual(map({ op: "Flatten", form: image(2, 3, 3) }).made, [
    { config: { type: "flatten" }, tensors: [] },
  ]);
  for (const op of ["Identity", "Dropout"]) {
    const form = image(2, 3, 3);
    const kept = map({ op, form });
    assert.equal(kept.form, form, op);
    assert.deepEqual(kept.made, [], op);
  }
});

/** A 3×3 single-filter Conv on a one-channel 5×5 image, with the given attributes. */
const conv5 = (attrs: Record<string, Attr>, W = [1, 1, 3, 3]): Case => ({
  op: "Conv",
  form: image(1, 5, 5),
  attrs,
  inputs: ["x", "W"],
  consts: [tensor("W", W)],
});

test("auto_pad VALID has no ceil_mode: out = ceil((size − extent + 1) / stride), as the ONNX spec says", () => {
  // MaxPool 2×2 stride 2 on 5×5: ceil((5 − 2 + 1) / 2) = 2 (valid); pads with ceil_mode would give 3.
  const { made, form } = map({
    op: "MaxPool",
    form: image(2, 5, 5),
    attrs: {
      auto_pad: { s: "VALID" },
      ceil_mode: { i: 1 },
      kernel_shape: { ints: [2, 2] },
      strides: { ints: [2, 2] },
    },
  });
  assert.deepEqual(made, [
    { config: { type: "maxPool2d", pool: [2, 2], stride: [2, 2], padding: "valid" }, tensors: [] },
  ]);
  assert.deepEqual(form, image(2, 2, 2));
});

test("padding that is valid on the height but not on the width is refused", () => {
  // Height: no padding, out 3 (valid); width: one pixel each side, out 5 (same), pad before 1.
  refuses(
    conv5({ pads: { ints: [0, 1, 0, 1] } }),
    `padding (auto_pad NOTSET, pads [0, 1, 0, 1]) on a 5×5 input is neither "valid" nor Homeostat's "same" (TensorFlow's: the odd pixel after); Homeostat has no other padding`,
  );
});

test("Conv refuses a kernel_shape whose height disagrees with the weight, and a missing weight", () => {
  refuses(
    conv5({ kernel_shape: { ints: [2, 3] } }),
    "kernel_shape [2, 3] disagrees with the weight [1, 1, 3, 3]",
  );
  assert.throws(() => importOne({ op: "Conv", inputs: ["x"], output: "y" }), {
    name: "ModelFileError",
    message:
      'net.onnx: node "n0" (Conv): reads "" as a constant, but it is neither an initializer nor a Constant',
  });
});

test("an AveragePool with dilations is refused, not read as an undilated window", () => {
  // AveragePool-19 takes dilations; a 2×2 window at dilation 2 reads pixels 0 and 2 of each axis.
  refuses(
    {
      op: "AveragePool",
      form: image(1, 5, 5),
      attrs: { kernel_shape: { ints: [2, 2] }, dilations: { ints: [2, 2] } },
    },
    "only storage_order 0 and dilations 1 are supported",
  );
});

test("a mean over positions makes tensorless layers; a [channels, length] input works, flat does not", () => {
  assert.deepEqual(map({ op: "GlobalAveragePool", form: image(3, 4, 4) }).made, [
    { config: { type: "globalAvgPool" }, tensors: [] },
    { config: { type: "reshape", shape: [1, 1, 3] }, tensors: [] },
  ]);
  // [C 3, L 4] held channels last as [4, 3]: a Transpose of a [4, 3] reshape, as a Conv1d graph has it.
  const cl = map({ op: "Transpose", form: plain([4, 3]), attrs: { perm: { ints: [0, 2, 1] } } }).form;
  const pooled = map({ op: "GlobalAveragePool", form: cl });
  assert.deepEqual(
    pooled.made.map((m) => m.config),
    [{ type: "globalAvgPool" }, { type: "reshape", shape: [1, 3] }],
  );
  assert.deepEqual(pooled.form, { dims: [3, 1], hs: [1, 3], axes: [1, 0], order: null });
  refuses(
    { op: "GlobalAveragePool", form: plain([3]) },
    "averages over positions of [3], whose channels Homeostat does not hold last",
  );
});

test("ReduceMean keeps the axes unless keepdims is 0; other axes are refused as written", () => {
  const kept = map({ op: "ReduceMean", form: image(3, 4, 4), attrs: { axes: { ints: [2, 3] } } });
  assert.deepEqual(kept.form, { dims: [3, 1, 1], hs: [1, 1, 3], axes: [2, 0, 1], order: null });
  assert.deepEqual(
    kept.made.map((m) => m.config),
    [{ type: "globalAvgPool" }, { type: "reshape", shape: [1, 1, 3] }],
  );
  const only = "only a mean over every axis but the channels is supported";
  refuses({ op: "ReduceMean", form: image(3, 4, 4) }, `axes []; ${only}`);
  refuses(
    { op: "ReduceMean", form: image(3, 4, 4), attrs: { axes: { ints: [1, 2, 3] } } },
    `axes [1, 2, 3]; ${only}`,
  );
});

test("Reshape makes a tensorless reshape layer and refuses negative sizes whose product fits", () => {
  const k = reshapeCase;
  assert.deepEqual(map(k(plain([6]), [0, 2, 3])).made, [
    { config: { type: "reshape", shape: [2, 3] }, tensors: [] },
  ]);
  // (−2)·(−3) = 6 values, but no axis has a negative size.
  refuses(k(plain([6]), [0, -2, -3]), "shape [0, -2, -3] does not fit 6 values per sample");
});

test("Transpose refuses no perm (ONNX's reversal would move the batch axis) and a perm of another rank", () => {
  refuses({ op: "Transpose", form: image(2, 3, 4) }, "perm [] for data of 4 axes (the batch first)");
  refuses(
    { op: "Transpose", form: image(2, 3, 4), attrs: { perm: { ints: [0, 2, 1] } } },
    "perm [0, 2, 1] for data of 4 axes (the batch first)",
  );
});

test("a pool without kernel_shape, which ONNX requires, is refused rather than read as 1×1", () => {
  for (const op of ["MaxPool", "AveragePool"])
    refuses({ op, form: image(2, 3, 4) }, "has no kernel_shape, which ONNX requires of a pool");
});

test("a float32 epsilon that seven digits do not name is kept exactly", () => {
  // The float32 just above 1e-5: its step, 2^−40 ≈ 9.1e−13, lies below the seventh digit (1e−11).
  const bits = new Float32Array([1e-5]);
  new Uint32Array(bits.buffer)[0]! += 1;
  const stored = bits[0]!;
  assert.equal(Number(stored.toPrecision(7)), 1e-5);
  const names = ["s", "b", "m", "v"];
  const { made } = map({
    op: "BatchNormalization",
    form: plain([2]),
    inputs: ["x", ...names],
    consts: names.map((name) => tensor(name, [2])),
    attrs: { epsilon: { f: stored } },
  });
  assert.deepEqual(made[0]!.config, { type: "batchNorm", eps: stored });
});

test("Gemm without transB reads its weight as [width, units]; a weight of rank 3 is refused", () => {
  // Weight [width 3, units 2] = 1 2 | 3 4 | 5 6; Homeostat's rows per unit: 1 3 5 | 2 4 6.
  const gemm = map({
    op: "Gemm",
    form: plain([3]),
    inputs: ["x", "W"],
    consts: [tensor("W", [3, 2], [1, 2, 3, 4, 5, 6])],
  });
  assert.deepEqual(gemm.made[0]!.config, { type: "dense", units: 2, activation: "identity", useBias: false });
  assert.deepEqual([...gemm.made[0]!.tensors[0]![1]], [1, 3, 5, 2, 4, 6]);
  refuses(
    { op: "MatMul", form: plain([3]), inputs: ["x", "W"], consts: [tensor("W", [3, 2, 1])] },
    `weight "W" has shape [3, 2, 1]; expected [3, units]`,
  );
});

test("Softmax over flat features in Homeostat's order, not ONNX's, is refused", () => {
  const flat = map({ op: "Flatten", form: image(2, 1, 2) }).form;
  assert.notEqual(flat.order, null);
  refuses({ op: "Softmax", form: flat }, "only a softmax over flat features in their own order is supported");
});

test("an unsupported op is refused with the list of ops the conv import reads", () => {
  assert.throws(() => importOne({ op: "Sin", inputs: ["x"], output: "y" }), {
    name: "ModelFileError",
    message:
      'net.onnx: node "n0" (Sin): op Sin is not supported; the conv import reads Identity, Dropout, Pad, Relu, ' +
      "Sigmoid, Tanh, Softplus, LeakyRelu, Elu, Gelu, Softmax, Conv, MaxPool, AveragePool, GlobalAveragePool, " +
      "ReduceMean, Flatten, Reshape, Transpose, BatchNormalization, Gemm, MatMul, Add, Add (a residual), Concat",
  });
});
