/**
 * The conv import's rarer paths: a Reshape, BatchNormalization or Gemm whose constant input is missing
 * (the file and node named, word for word), a batch norm after a Flatten of a channels-first image
 * (its features moved to Homeostat's channels-last order), a window op on an image whose axes were
 * transposed out of reach, and a Pad whose pads are not int64.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { importOnnx } from "../src/io/onnx.js";
import { image } from "../src/io/onnx-shaped-form.js";
import { foreignOnnx, type NodeDef } from "./helpers/onnx-fixtures.js";
import { map, refuses } from "./helpers/onnx-nodes.js";

const image2x3x3 = [{ name: "x", dims: ["N", 2, 3, 3] }];

test('a Reshape, BatchNormalization or Gemm without its constant input names the missing one as ""', () => {
  const cases: [NodeDef[], string][] = [
    [[{ op: "Reshape", inputs: ["x"], output: "y" }], 'node "n0" (Reshape)'],
    [[{ op: "BatchNormalization", inputs: ["x"], output: "y" }], 'node "n0" (BatchNormalization)'],
    [
      [
        { op: "Flatten", inputs: ["x"], output: "f" },
        { op: "Gemm", inputs: ["f"], output: "y" },
      ],
      'node "n1" (Gemm)',
    ],
  ];
  for (const [nodes, label] of cases)
    assert.throws(() => importOnnx(foreignOnnx(nodes, [], { inputs: image2x3x3 }), "net.onnx"), {
      name: "ModelFileError",
      message: `net.onnx: ${label}: reads "" as a constant, but it is neither an initializer nor a Constant`,
    });
});

test("a batch norm after a Flatten of a channels-first image holds its features channels last", () => {
  // ONNX feature i of [C 2, H 1, W 2] is (c, x) = (i / 2, i % 2); Homeostat's row is (x, c), at 2x + c:
  // ONNX features 0, 1, 2, 3 land at 0, 2, 1, 3, so the values come in the order 0, 2, 1, 3.
  const bn = (name: string, base: number) =>
    [name, [4], Float32Array.of(base, base + 1, base + 2, base + 3)] as [string, number[], Float32Array];
  const nodes: NodeDef[] = [
    { op: "Flatten", inputs: ["x"], output: "f" },
    { op: "BatchNormalization", inputs: ["f", "s", "b", "m", "v"], output: "y" },
  ];
  const inits = [bn("s", 10), bn("b", 20), bn("m", 30), bn("v", 1)];
  const model = importOnnx(foreignOnnx(nodes, inits, { inputs: [{ name: "x", dims: ["N", 2, 1, 2] }] }));
  assert.deepEqual(model.inputShape, [1, 2, 2]);
  assert.deepEqual(
    [...model.parameters(), ...model.buffers()].map(([name, t]) => [name, [...t.data]]),
    [
      ["1.weight", [10, 12, 11, 13]],
      ["1.bias", [20, 22, 21, 23]],
      ["1.runningMean", [30, 32, 31, 33]],
      ["1.runningVar", [1, 3, 2, 4]],
    ],
  );
});

test("a pool on an image transposed to [H, W, C] is refused, naming the dims it got", () => {
  const transposed = map({
    op: "Transpose",
    form: image(2, 3, 4),
    attrs: { perm: { ints: [0, 2, 3, 1] } },
  }).form;
  refuses(
    { op: "MaxPool", form: transposed, attrs: { kernel_shape: { ints: [2, 2] } } },
    "needs a channels-first image [channels, height, width] per sample; its input is [3, 4, 2] in an arrangement the import cannot follow",
  );
});

test("a Pad whose pads are float32, not int64, is refused rather than read as no padding", () => {
  // This graph pads the 2×2 image to 4×4; the import once took its float pads for none.
  const nodes: NodeDef[] = [
    { op: "Pad", inputs: ["x", "p"], output: "h" },
    { op: "Flatten", inputs: ["h"], output: "y" },
  ];
  const pads = Float32Array.of(0, 0, 1, 1, 0, 0, 1, 1);
  const bytes = foreignOnnx(nodes, [["p", [8], pads]], { inputs: [{ name: "x", dims: ["N", 1, 2, 2] }] });
  assert.throws(() => importOnnx(bytes, "net.onnx"), {
    name: "ModelFileError",
    message: 'net.onnx: node "n0" (Pad): expects constant int64 pads',
  });
});
