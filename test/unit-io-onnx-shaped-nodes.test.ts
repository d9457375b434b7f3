/**
 * The conv import's node mappers, one ONNX node at a time with no protobuf: the padding each pads /
 * auto_pad becomes (output sizes by ONNX's formulas worked by hand), the layers and weight layouts each
 * op makes, and each refusal word for word. The graph-level import is covered by the e2e files.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { OnnxNode, Tensor32 } from "../src/io/onnx-graph.js";
import { type NodeCtx, SHAPED_MAPPERS } from "../src/io/onnx-shaped-nodes.js";
import { type Form, image, type Made, plain } from "../src/io/onnx-shaped-form.js";

type Attr = { i?: number; f?: number; s?: string; ints?: number[] };
interface Case {
  op: string;
  form: Form;
  attrs?: Record<string, Attr>;
  inputs?: string[];
  consts?: Tensor32[];
  made?: Made[];
  inputOp?: string;
}

const tensor = (name: string, dims: number[], values?: number[]): Tensor32 => ({
  name,
  dims,
  data: Float32Array.from(values ?? Array.from({ length: dims.reduce((a, d) => a * d, 1) }, (_, i) => i)),
});

/** Runs one node's mapper as the importer would; a refusal throws "node: message". */
function map(k: Case): { form: Form; made: Made[] } {
  const n: OnnxNode = {
    label: "node",
    op: k.op,
    domain: "",
    inputs: k.inputs ?? ["x"],
    outputs: ["y"],
    attrs: new Map(Object.entries(k.attrs ?? {}).map(([name, a]) => [name, { type: 0, ...a }])),
  };
  const made = k.made ?? [];
  const consts = new Map((k.consts ?? []).map((t) => [t.name, t]));
  const fail = (msg: string): never => {
    throw new Error(`node: ${msg}`);
  };
  const ctx: NodeCtx = {
    n,
    form: k.form,
    made,
    inputOp: k.inputOp ?? "",
    others: n.inputs.slice(1).filter((v) => v !== ""),
    fail,
    constant: (name) => consts.get(name) ?? fail(`no constant ${name}`),
    ints: (name, dflt) => n.attrs.get(name)?.ints ?? dflt,
    int: (name, dflt) => n.attrs.get(name)?.i ?? dflt,
    float: (name, dflt) => n.attrs.get(name)?.f ?? dflt,
  };
  return { form: SHAPED_MAPPERS[k.op]!(ctx), made };
}
const refuses = (k: Case, message: string) => assert.throws(() => map(k), { message: `node: ${message}` });

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
  const shape = (ints: number[]) => ({ ...tensor("S", [ints.length]), ints });
  const k = (form: Form, ints: number[]): Case => ({
    op: "Reshape",
    form,
    inputs: ["x", "S"],
    consts: [shape(ints)],
  });
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
