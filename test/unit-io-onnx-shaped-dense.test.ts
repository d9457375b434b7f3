/**
 * The conv import's dense, bias-add and activation mappers, one ONNX node at a time with no protobuf:
 * weight layouts worked by hand and each refusal word for word.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Tensor32 } from "../src/io/onnx-graph.js";
import { image, type Made, plain } from "../src/io/onnx-shaped-form.js";
import { type Attr, type Case, map, refuses, tensor } from "./helpers/onnx-nodes.js";

test("Gemm and MatMul become dense with weight rows per unit; a following Add is its bias", () => {
  // MatMul weight [width 3, units 2] = 1 2 | 3 4 | 5 6; Homeostat's rows per unit: 1 3 5 | 2 4 6.
  const matmul = map({
    op: "MatMul",
    form: plain([3]),
    inputs: ["x", "W"],
    consts: [tensor("W", [3, 2], [1, 2, 3, 4, 5, 6])],
  });
  assert.deepEqual(matmul.made[0]!.config, {
    type: "dense",
    units: 2,
    activation: "identity",
    useBias: false,
  });
  assert.deepEqual([...matmul.made[0]!.tensors[0]![1]], [1, 3, 5, 2, 4, 6]);
  assert.deepEqual(matmul.form, plain([2]));
  const gemm = map({
    op: "Gemm",
    form: plain([3]),
    attrs: { transB: { i: 1 } },
    inputs: ["x", "W", "B"],
    consts: [tensor("W", [2, 3], [1, 3, 5, 2, 4, 6]), tensor("B", [2], [8, 9])],
  });
  assert.deepEqual(
    gemm.made[0]!.tensors.map(([name, v]) => [name, [...v]]),
    [
      ["weight", [1, 3, 5, 2, 4, 6]],
      ["bias", [8, 9]],
    ],
  );
  const add = map({
    op: "Add",
    form: plain([2]),
    inputOp: "MatMul",
    made: matmul.made,
    inputs: ["x", "B"],
    consts: [tensor("B", [2], [8, 9])],
  });
  assert.deepEqual(add.made[0]!.config, { type: "dense", units: 2, activation: "identity", useBias: true });
  assert.deepEqual(
    add.made[0]!.tensors.map(([name, v]) => [name, [...v]]),
    [
      ["weight", [1, 3, 5, 2, 4, 6]],
      ["bias", [8, 9]],
    ],
  );
});

test("dense and bias refusals, word for word", () => {
  const W = tensor("W", [3, 2]);
  const k = (
    op: string,
    attrs: Record<string, Attr> = {},
    form = plain([3]),
    extra: Tensor32[] = [],
  ): Case => ({
    op,
    form,
    attrs,
    inputs: ["x", "W", ...extra.map((t) => t.name)],
    consts: [W, ...extra],
  });
  for (const a of [{ transA: { i: 1 } }, { alpha: { f: 2 } }, { beta: { f: 0.5 } }] as Record<string, Attr>[])
    refuses(k("Gemm", a), "only transA=0, alpha=1, beta=1 are supported");
  refuses(
    k("MatMul", {}, image(3, 1, 1)),
    "reads [3, 1, 1] per sample; expected flat features (a Flatten first)",
  );
  refuses(k("MatMul", {}, plain([2])), `weight "W" has shape [3, 2]; expected [2, units]`);
  refuses(k("Gemm", { transB: { i: 1 } }), `weight "W" has shape [3, 2]; expected [units, 3]`);
  refuses(k("MatMul", {}, plain([3]), [tensor("B", [3])]), `bias "B" has 3 values; expected 2`);
  const dense = () => map(k("MatMul")).made;
  const add = (inputOp: string, made: Made[], inputs = ["x", "B"], n = 2): Case => ({
    op: "Add",
    form: plain([2]),
    inputOp,
    made,
    inputs,
    consts: [tensor("B", [n]), tensor("C", [2])],
  });
  const only = "Add of a constant is supported only as the bias right after a MatMul";
  refuses(add("Gemm", dense()), only);
  refuses(add("MatMul", []), only);
  refuses(add("MatMul", [{ config: { type: "flatten" }, tensors: [] }]), only);
  const biased = dense();
  map(add("MatMul", biased));
  refuses(add("MatMul", biased), only);
  refuses(add("MatMul", dense(), ["x", "B", "C"]), only);
  refuses(add("MatMul", dense(), ["x", "B"], 3), `bias "B" has 3 values; expected 2`);
});

test("activations fold into the layer just made; their attributes are checked", () => {
  const dense: Made = {
    config: { type: "dense", units: 2, activation: "identity", useBias: false },
    tensors: [],
  };
  const folded = map({
    op: "LeakyRelu",
    form: plain([2]),
    made: [dense],
    attrs: { alpha: { f: Math.fround(0.01) } },
  });
  assert.deepEqual(
    folded.made.map((m) => m.config),
    [{ ...dense.config, activation: "leakyRelu" }],
  );
  const own = map({ op: "Tanh", form: plain([2]), made: [...folded.made] });
  assert.deepEqual(own.made.at(-1)!.config, { type: "activation", activation: "tanh" });
  refuses(
    { op: "LeakyRelu", form: plain([2]), attrs: { alpha: { f: 0.2 } } },
    "alpha 0.2; only 0.01 is supported",
  );
  refuses({ op: "Elu", form: plain([2]), attrs: { alpha: { f: 2 } } }, "alpha 2; only 1 is supported");
  refuses(
    { op: "Gelu", form: plain([2]), attrs: { approximate: { s: "tanh" } } },
    "only the exact (erf) form is supported",
  );
  const softmax = "only a softmax over flat features in their own order is supported";
  refuses({ op: "Softmax", form: image(2, 1, 1) }, softmax);
  refuses({ op: "Softmax", form: plain([2]), attrs: { axis: { i: 0 } } }, softmax);
  assert.deepEqual(map({ op: "Softmax", form: plain([2]), attrs: { axis: { i: 1 } } }).made[0]!.config, {
    type: "activation",
    activation: "softmax",
  });
  refuses(
    { op: "Flatten", form: image(2, 2, 2), attrs: { axis: { i: 2 } } },
    "axis 2; only 1 (keep the batch axis) is supported",
  );
  refuses(
    { op: "Pad", form: plain([2]), attrs: { pads: { ints: [0, 1, 0, 1] } } },
    "pads [0, 1, 0, 1]; only a Pad that adds nothing is supported (put the padding in the Conv or pool)",
  );
  refuses(
    { op: "Pad", form: plain([2]), attrs: { mode: { s: "reflect" } } },
    "pads []; only a Pad that adds nothing is supported (put the padding in the Conv or pool)",
  );
  const zeroPads = { ...tensor("P", [4]), ints: [0, 0, 0, 0] };
  assert.deepEqual(
    map({ op: "Pad", form: plain([2]), inputs: ["x", "P"], consts: [zeroPads] }).form,
    plain([2]),
  );
});

test("an activation folds into a conv2d too, but not into an identity activation layer", () => {
  const conv: Made = {
    config: { type: "conv2d", filters: 1, kernel: [1, 1], activation: "identity" } as Made["config"],
    tensors: [],
  };
  const onConv = map({ op: "Relu", form: image(1, 2, 2), made: [conv] });
  assert.deepEqual(
    onConv.made.map((m) => (m.config as unknown as { activation: string }).activation),
    ["relu"],
  );
  const identity: Made = { config: { type: "activation", activation: "identity" }, tensors: [] };
  const after = map({ op: "Relu", form: plain([2]), made: [identity] });
  assert.deepEqual(
    after.made.map((m) => m.config),
    [
      { type: "activation", activation: "identity" },
      { type: "activation", activation: "relu" },
    ],
  );
});

test("LeakyRelu's alpha may differ from 0.01 by a relative 1e-6 (float32), no more", () => {
  const k = (alpha: number): Case => ({ op: "LeakyRelu", form: plain([2]), attrs: { alpha: { f: alpha } } });
  assert.equal(map(k(0.01 + 5e-7)).made.length, 1); // within 1e-6 · max(1, 0.01) = 1e-6
  refuses(k(0.01 + 2e-6), `alpha ${0.01 + 2e-6}; only 0.01 is supported`);
});
