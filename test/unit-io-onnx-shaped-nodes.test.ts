/**
 * The conv import's node mappers, one ONNX node at a time with no protobuf: the padding each pads /
 * auto_pad becomes (output sizes by ONNX's formulas worked by hand), the layers and weight layouts each
 * op makes, and each refusal word for word. The graph-level import is covered by the e2e files.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Tensor32 } from "../src/io/onnx-graph.js";
import { type Form, image, plain } from "../src/io/onnx-shaped-form.js";
import { type Attr, type Case, map, refuses, reshapeCase, tensor } from "./helpers/onnx-nodes.js";

/** A 3×3 single-filter Conv on a one-channel size×size image, with the given attributes. */
const conv3 = (size: number, attrs: Record<string, Attr>): Case => ({
  op: "Conv",
  form: image(1, size, size),
  attrs,
  inputs: ["x", "W"],
  consts: [tensor("W", [1, 1, 3, 3])],
});
const paddingOf = (k: Case) => {
  const { made, form } = map(k);
  return [(made.at(-1)!.config as unknown as { padding: string }).padding, form.dims];
};

test("auto_pad VALID is valid: out = floor((size − extent) / stride) + 1, extent = (k − 1)·dilation + 1", () => {
  assert.deepEqual(paddingOf(conv3(5, { auto_pad: { s: "VALID" } })), ["valid", [1, 3, 3]]);
  // 7×7, dilation 2: extent 5, out 3; stride 2 on 8×8: floor(5 / 2) + 1 = 3.
  assert.deepEqual(paddingOf(conv3(7, { auto_pad: { s: "VALID" }, dilations: { ints: [2, 2] } })), [
    "valid",
    [1, 3, 3],
  ]);
  assert.deepEqual(paddingOf(conv3(8, { auto_pad: { s: "VALID" }, strides: { ints: [2, 2] } })), [
    "valid",
    [1, 3, 3],
  ]);
});

test("SAME_UPPER puts the odd pixel after, as Homeostat's same; SAME_LOWER before is refused", () => {
  // 6×6, k 3, stride 2: out = ceil(6 / 2) = 3, total = (3 − 1)·2 + 3 − 6 = 1; UPPER pads 0 before.
  const upper = conv3(6, { auto_pad: { s: "SAME_UPPER" }, strides: { ints: [2, 2] } });
  assert.deepEqual(paddingOf(upper), ["same", [1, 3, 3]]);
  refuses(
    conv3(6, { auto_pad: { s: "SAME_LOWER" }, strides: { ints: [2, 2] } }),
    `padding (auto_pad SAME_LOWER, pads [0, 0, 0, 0]) on a 6×6 input is neither "valid" nor Homeostat's "same" (TensorFlow's: the odd pixel after); Homeostat has no other padding`,
  );
  // An even total (5×5, stride 1: total 2) is the same either way.
  assert.deepEqual(paddingOf(conv3(5, { auto_pad: { s: "SAME_LOWER" } })), ["same", [1, 5, 5]]);
});

test("explicit pads: out = floor((size + before + after − extent) / stride) + 1, or ceil with ceil_mode", () => {
  assert.deepEqual(paddingOf(conv3(5, { pads: { ints: [1, 1, 1, 1] } })), ["same", [1, 5, 5]]);
  assert.deepEqual(paddingOf(conv3(5, {})), ["valid", [1, 3, 3]]);
  refuses(
    conv3(5, { pads: { ints: [1, 1, 0, 0] } }),
    `padding (auto_pad NOTSET, pads [1, 1, 0, 0]) on a 5×5 input is neither "valid" nor Homeostat's "same" (TensorFlow's: the odd pixel after); Homeostat has no other padding`,
  );
  // MaxPool 2×2 stride 2 on 5×5: floor(3 / 2) + 1 = 2 (valid); with ceil_mode ceil(3 / 2) + 1 = 3 (same).
  const pool = (attrs: Record<string, Attr>): Case => ({
    op: "MaxPool",
    form: image(2, 5, 5),
    attrs: { kernel_shape: { ints: [2, 2] }, strides: { ints: [2, 2] }, ...attrs },
  });
  assert.deepEqual(paddingOf(pool({})), ["valid", [2, 2, 2]]);
  assert.deepEqual(paddingOf(pool({ ceil_mode: { i: 1 } })), ["same", [2, 3, 3]]);
  refuses(
    pool({ ceil_mode: { i: 1 }, pads: { ints: [1, 1, 1, 1] } }),
    `padding (auto_pad NOTSET, pads [1, 1, 1, 1], ceil_mode 1) on a 5×5 input is neither "valid" nor Homeostat's "same" (TensorFlow's: the odd pixel after); Homeostat has no other padding`,
  );
});

test("Conv becomes conv2d with its weight as rows of taps (ky, kx, c) and its bias", () => {
  // Weight [F 1, C 2, 1, 2]: ONNX order (c, kx) = a b | c d; Homeostat's taps (kx, c) = a c | b d.
  const { made, form } = map({
    op: "Conv",
    form: image(2, 3, 3),
    inputs: ["x", "W", "B"],
    consts: [tensor("W", [1, 2, 1, 2], [1, 2, 3, 4]), tensor("B", [1], [7])],
  });
  assert.deepEqual(made[0]!.config, {
    type: "conv2d",
    filters: 1,
    kernel: [1, 2],
    stride: [1, 1],
    dilation: [1, 1],
    padding: "valid",
    groups: 1,
    activation: "identity",
    useBias: true,
  });
  assert.deepEqual(
    made[0]!.tensors.map(([name, t]) => [name, [...t]]),
    [
      ["weight", [1, 3, 2, 4]],
      ["bias", [7]],
    ],
  );
  assert.deepEqual(form, image(1, 3, 2));
});

test("Conv refusals: weight rank, groups, kernel_shape, bias, window pairs", () => {
  const k = (attrs: Record<string, Attr>, W = [2, 1, 3, 3], extra: Tensor32[] = []): Case => ({
    op: "Conv",
    form: image(2, 5, 5),
    attrs,
    inputs: ["x", "W", ...extra.map((t) => t.name)],
    consts: [tensor("W", W), ...extra],
  });
  refuses(
    k({}, [2, 18]),
    `weight "W" has shape [2, 18]; expected [filters, channels/groups, kh, kw] (Conv2d)`,
  );
  refuses(k({}), "weight [2, 1, 3, 3] with group 1 does not fit 2 input channels");
  refuses(
    k({ group: { i: 2 } }, [3, 1, 3, 3]),
    "weight [3, 1, 3, 3] with group 2 does not fit 2 input channels",
  );
  assert.equal((map(k({ group: { i: 2 } })).made[0]!.config as unknown as { groups: number }).groups, 2);
  refuses(
    k({ group: { i: 2 }, kernel_shape: { ints: [3, 2] } }),
    "kernel_shape [3, 2] disagrees with the weight [2, 1, 3, 3]",
  );
  refuses(
    k({ group: { i: 2 }, strides: { ints: [0, 1] } }),
    "strides [0, 1]; expected two positive integers (a 2-D window)",
  );
  refuses(
    k({ group: { i: 2 }, dilations: { ints: [1, 1, 1] } }),
    "dilations [1, 1, 1]; expected two positive integers (a 2-D window)",
  );
  refuses(k({ group: { i: 2 } }, [2, 1, 3, 3], [tensor("B", [3])]), `bias "B" has 3 values; expected 2`);
});

test("pool refusals: storage order, dilations, count_include_pad with padding", () => {
  const k = (op: string, attrs: Record<string, Attr>): Case => ({ op, form: image(1, 4, 4), attrs });
  refuses(k("MaxPool", { storage_order: { i: 1 } }), "only storage_order 0 and dilations 1 are supported");
  refuses(
    k("MaxPool", { dilations: { ints: [1, 2] } }),
    "only storage_order 0 and dilations 1 are supported",
  );
  const counted = "count_include_pad 1 with padding: Homeostat's average pooling does not count padding";
  refuses(k("AveragePool", { count_include_pad: { i: 1 }, pads: { ints: [0, 0, 1, 1] } }), counted);
  const { made } = map(k("AveragePool", { count_include_pad: { i: 1 }, kernel_shape: { ints: [2, 2] } }));
  assert.deepEqual(made[0]!.config, { type: "avgPool2d", pool: [2, 2], stride: [1, 1], padding: "valid" });
});

test("a mean over positions is a global average pool, reshaped to 1×1 when the axes are kept", () => {
  const kept = map({ op: "GlobalAveragePool", form: image(3, 4, 4) });
  assert.deepEqual(
    kept.made.map((m) => m.config),
    [{ type: "globalAvgPool" }, { type: "reshape", shape: [1, 1, 3] }],
  );
  assert.deepEqual(kept.form, { dims: [3, 1, 1], hs: [1, 1, 3], axes: [2, 0, 1], order: null });
  for (const axes of [
    [2, 3],
    [-2, -1],
    [3, 2],
  ]) {
    const flat = map({
      op: "ReduceMean",
      form: image(3, 4, 4),
      attrs: { axes: { ints: axes }, keepdims: { i: 0 } },
    });
    assert.deepEqual(flat.form, plain([3]), `axes ${axes}`);
    assert.deepEqual(
      flat.made.map((m) => m.config),
      [{ type: "globalAvgPool" }],
    );
  }
  refuses(
    { op: "ReduceMean", form: image(3, 4, 4), attrs: { axes: { ints: [1] } } },
    "axes [1]; only a mean over every axis but the channels is supported",
  );
  refuses(
    { op: "GlobalAveragePool", form: plain([3, 4]) },
    "averages over positions of [3, 4], whose channels Homeostat does not hold last",
  );
});

test("Reshape: 0 copies an axis, −1 takes the rest; to one axis it flattens", () => {
  const k = reshapeCase;
  const to23 = map(k(plain([6]), [-1, 2, -1]));
  assert.deepEqual(to23.form, plain([2, 3]));
  assert.deepEqual(
    to23.made.map((m) => m.config),
    [{ type: "reshape", shape: [2, 3] }],
  );
  assert.deepEqual(map(k(plain([2, 3]), [0, 0, 3])).form, plain([2, 3]));
  const flat = map(k(image(2, 3, 3), [0, -1]));
  assert.deepEqual(
    flat.made.map((m) => m.config),
    [{ type: "flatten" }],
  );
  assert.deepEqual([flat.form.dims, flat.form.hs, flat.form.axes], [[18], [18], [0]]);
  assert.equal(flat.form.order![1], 2); // ONNX feature 1 (c 0, y 0, x 1) is Homeostat's (0·3 + 1)·2 + 0
  refuses(k(plain([6]), [1, 6]), "shape [1, 6]; the batch axis must stay first (0 or -1)");
  refuses(k(plain([6]), [0]), "shape [0]; the batch axis must stay first (0 or -1)");
  refuses(k(plain([6]), [0, 4]), "shape [0, 4] does not fit 6 values per sample");
  refuses(k(plain([6]), [0, -1, 4]), "shape [0, -1, 4] does not fit 6 values per sample");
  refuses(k(image(2, 3, 3), [0, 2, 9]), "reshapes [2, 3, 3], which Homeostat holds in another order");
  refuses(
    { op: "Reshape", form: plain([6]), inputs: ["x", "S"], consts: [tensor("S", [2])] },
    "expects a constant int64 shape",
  );
});

test("Transpose only relabels axes; BatchNormalization keeps its eps and features", () => {
  const t = map({ op: "Transpose", form: image(2, 3, 4), attrs: { perm: { ints: [0, 2, 3, 1] } } });
  assert.deepEqual(t.form, { dims: [3, 4, 2], hs: [3, 4, 2], axes: [0, 1, 2], order: null });
  assert.deepEqual(t.made, []);
  refuses(
    { op: "Transpose", form: image(2, 3, 4), attrs: { perm: { ints: [1, 0, 2, 3] } } },
    "perm [1, 0, 2, 3]; the batch axis must stay first",
  );
  // Not a permutation: an axis repeated (the import once read [0, 1, 1, 1] as [C, C, C]), or out of range.
  for (const perm of [
    [0, 1, 1, 1],
    [0, 1, 2, 4],
  ])
    refuses(
      { op: "Transpose", form: image(2, 3, 4), attrs: { perm: { ints: perm } } },
      `perm [${perm.join(", ")}]; expected each axis 0 to 3 once`,
    );
  const names = ["s", "b", "m", "v"];
  const bn = (form: Form, n = 2, eps?: number): Case => ({
    op: "BatchNormalization",
    form,
    inputs: ["x", ...names],
    consts: names.map((name, i) => tensor(name, [n], [i, i + 0.5].slice(0, n))),
    attrs: eps === undefined ? {} : { epsilon: { f: eps } },
  });
  const { made } = map(bn(image(2, 3, 3), 2, Math.fround(1e-3)));
  assert.deepEqual(made[0]!.config, { type: "batchNorm", eps: 1e-3 }); // the float32 1e-3, read back short
  assert.deepEqual(
    made[0]!.tensors.map(([name, v]) => [name, [...v]]),
    [
      ["weight", [0, 0.5]],
      ["bias", [1, 1.5]],
      ["runningMean", [2, 2.5]],
      ["runningVar", [3, 3.5]],
    ],
  );
  assert.deepEqual(map(bn(plain([2]))).made[0]!.config, { type: "batchNorm", eps: 1e-5 });
  refuses(bn(image(2, 3, 3), 1), `"s" has 1 values; expected 2`);
  refuses(
    bn({ dims: [3, 2], hs: [3, 2], axes: [0, 1], order: null }, 3),
    "normalises channels of [3, 2], which Homeostat does not hold last",
  );
});
