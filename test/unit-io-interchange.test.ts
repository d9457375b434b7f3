/**
 * What ONNX and TF.js export and import share (src/io/interchange.ts), on hand-written step lists:
 * the transpose moves bit patterns, a model reads as the steps written out by hand, and steps build
 * back into the layers they describe, taking the exporter's stored configs only when they compute the
 * same thing.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  chainLayers,
  float32Bytes,
  modelFromSteps,
  modelSteps,
  type Step,
  transpose,
} from "../src/io/interchange.js";
import { Sequential } from "../src/nn/sequential.js";
import { ConfigError, ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

const seq = (layers: unknown[], inputDim: number): Sequential =>
  Sequential.fromLayerConfigs(layers as never).build(inputDim, new Rng(4));
const dense = (units: number, inputDim: number, bias = true, layer = 0): Step => ({
  op: "dense",
  units,
  inputDim,
  weight: Float32Array.from({ length: units * inputDim }, (_, i) => i + 1),
  bias: bias ? Float32Array.from({ length: units }, (_, i) => -i - 1) : null,
  layer,
});
const act = (activation: string, standalone: boolean, layer = 0): Step =>
  ({ op: "act", activation, standalone, layer }) as Step;

describe("interchange", () => {
  test("transpose moves each element's bits to [c, r]", () => {
    // A signalling NaN's payload, which a trip through a JS number would quieten.
    const bits = Uint32Array.of(0x3f800000, 0x40000000, 0x40400000, 0x40800000, 0x40a00000, 0x7fa00001);
    const m = new Float32Array(bits.buffer); // 2 rows × 3 cols: 1 2 3 / 4 5 sNaN
    const t = transpose(m, 2, 3);
    assert.deepEqual([...new Uint32Array(t.buffer)], [bits[0], bits[3], bits[1], bits[4], bits[2], bits[5]]);
    assert.deepEqual([...transpose(m.subarray(3), 1, 3)], [4, 5, NaN]);
  });

  test("chainLayers threads the value through and names nested layers", () => {
    const names: string[] = [];
    const out = chainLayers(
      seq(
        [
          { type: "dense", units: 2 },
          { type: "dropout", rate: 0.5 },
        ],
        3,
      ).layers,
      "1.",
      { x: "in", shape: [3] },
      (l, name, v) => {
        names.push(`${name}:${l.type}:${v.x}`);
        return { x: `${v.x}>${name}`, shape: v.shape };
      },
    );
    assert.deepEqual(names, ["1.0:dense:in", "1.1:dropout:in>1.0"]);
    assert.deepEqual(out, { x: "in>1.0>1.1", shape: [3] });
    assert.deepEqual([...float32Bytes(Float32Array.of(1).subarray(0))], [0, 0, 0x80, 0x3f]);
    assert.deepEqual([...float32Bytes(Float32Array.of(9, 1).subarray(1))], [0, 0, 0x80, 0x3f]);
  });

  test("modelSteps: dense with and without bias, activations, dropout, layer norm", () => {
    const model = seq(
      [
        { type: "dense", units: 2, activation: "relu" },
        { type: "activation", activation: "tanh" },
        { type: "dropout", rate: 0.25 },
        { type: "layerNorm", eps: 0.001 },
        { type: "dense", units: 1, useBias: false },
      ],
      3,
    );
    const p = model.parameters().map(([, t]) => t.data);
    const steps = modelSteps(model, "ONNX");
    assert.deepEqual(steps, [
      { op: "dense", units: 2, inputDim: 3, weight: p[0], bias: p[1], layer: 0 },
      { op: "act", activation: "relu", standalone: false, layer: 0 },
      { op: "act", activation: "tanh", standalone: true, layer: 1 },
      { op: "dropout", rate: 0.25, layer: 2 },
      { op: "layerNorm", eps: 0.001, weight: p[2], bias: p[3], layer: 3 },
      { op: "dense", units: 1, inputDim: 2, weight: p[4], bias: null, layer: 4 },
      { op: "act", activation: "identity", standalone: false, layer: 4 },
    ]);
  });

  test("modelSteps refuses an unbuilt model and a layer the format cannot express", () => {
    assert.throws(
      () => modelSteps(Sequential.fromLayerConfigs([{ type: "dense", units: 1 }] as never), "TF.js"),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          "TF.js export: the model has no weights yet; call build(inputDim, rng) or train it first",
    );
    const model = Sequential.fromLayerConfigs([
      { type: "dense", units: 4 },
      { type: "batchNorm" },
    ] as never).build(2, new Rng(0));
    assert.throws(
      () => modelSteps(model, "ONNX"),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message ===
          "layer 1 (batchNorm): ONNX export supports dense, activation, dropout and layerNorm layers (convolution and pooling: not yet)" &&
        e.location.layer === "1",
    );
  });

  test("modelFromSteps: an activation after its dense joins it; a standalone one stays a layer", () => {
    const steps = [
      dense(2, 3),
      act("relu", false),
      act("tanh", true, 1),
      { op: "dropout", rate: 0.5, layer: 2 } as Step,
      dense(1, 2, false, 3),
    ];
    const model = modelFromSteps(steps, 3, null, "m.onnx");
    assert.deepEqual(
      model.layers.map((l) => l.config()),
      seq(
        [
          { type: "dense", units: 2, activation: "relu" },
          { type: "activation", activation: "tanh" },
          { type: "dropout", rate: 0.5 },
          { type: "dense", units: 1, useBias: false },
        ],
        3,
      ).layers.map((l) => l.config()),
    );
    const [[, w0], [, b0], [, w1]] = model.parameters();
    assert.deepEqual([...w0!.data], [1, 2, 3, 4, 5, 6]);
    assert.deepEqual([...b0!.data], [-1, -2]);
    assert.deepEqual([...w1!.data], [1, 2]);
    // A standalone activation right after a dense stays its own layer (an ONNX Relu node of its own).
    const apart = modelFromSteps([dense(2, 3), act("tanh", true)], 3, null, "m");
    assert.deepEqual(
      apart.layers.map((l) => [l.type, l.config().activation]),
      [
        ["dense", "identity"],
        ["activation", "tanh"],
      ],
    );
    // An activation step after an activation is its own layer, even when not marked standalone.
    const two = modelFromSteps([dense(2, 3), act("relu", false), act("tanh", false)], 3, null, "m");
    assert.deepEqual(
      two.layers.map((l) => l.type),
      ["dense", "activation"],
    );
  });

  test("modelFromSteps: layer norm weights, an init hint, and no steps at all", () => {
    const ln: Step = {
      op: "layerNorm",
      eps: 0.01,
      weight: Float32Array.of(2, 3),
      bias: Float32Array.of(4, 5),
      layer: 1,
    };
    const model = modelFromSteps([{ ...dense(2, 2), init: "zeros" } as Step, ln], 2, null, "m");
    assert.equal(model.layers[0]!.config().init, "zeros");
    assert.equal(model.layers[1]!.config().eps, 0.01);
    const [, , [, g], [, b]] = model.parameters();
    assert.deepEqual([...g!.data], [2, 3]);
    assert.deepEqual([...b!.data], [4, 5]);
    const plain = seq([{ type: "dense", units: 2 }], 2).layers[0]!.config().init;
    assert.equal(modelFromSteps([dense(2, 2)], 2, null, "m").layers[0]!.config().init, plain);
    assert.notEqual(plain, "zeros");
    const identity = modelFromSteps([], 3, null, "m");
    assert.deepEqual(
      identity.layers.map((l) => l.config()),
      [{ type: "activation", activation: "identity" }],
    );
  });

  test("modelFromSteps refuses widths that do not chain", () => {
    assert.throws(
      () => modelFromSteps([dense(2, 3), dense(1, 3, true, 1)], 3, null, "m.onnx"),
      (e: unknown) =>
        e instanceof ModelFileError && e.message === "m.onnx: step 1 expects 3 features, gets 2",
    );
    const ln = (n: number, nb = n): Step => ({
      op: "layerNorm",
      eps: 1e-5,
      weight: new Float32Array(n),
      bias: new Float32Array(nb),
      layer: 2,
    });
    for (const bad of [ln(3), ln(2, 3), ln(3, 2)])
      assert.throws(
        () => modelFromSteps([dense(2, 3), bad], 3, null, "m.onnx"),
        (e: unknown) =>
          e instanceof ModelFileError &&
          e.message ===
            `m.onnx: step 2: layer norm over ${bad.op === "layerNorm" ? bad.weight.length : 0} features, gets 2`,
      );
  });

  test("a step the layer configs refuse is named with the file", () => {
    assert.throws(
      () => modelFromSteps([{ op: "dropout", rate: 2, layer: 0 }], 3, null, "m.onnx"),
      (e: unknown) => e instanceof ConfigError && e.message.startsWith("m.onnx: layers[0].rate: "),
    );
  });

  test("hints are taken only when they compute the same thing", () => {
    const steps = [dense(2, 3), act("relu", false), { op: "dropout", rate: 0.1, layer: 1 } as Step];
    const same = [
      { type: "dense", units: 2, activation: "relu", init: "heNormal" },
      { type: "dropout", rate: 0.3 }, // dropout does not compute at inference
    ];
    assert.deepEqual(
      modelFromSteps(steps, 3, same, "m").layers.map((l) => l.config().rate ?? l.config().init),
      ["heNormal", 0.3],
    );
    const taken0 = (st: Step[], hints: unknown): boolean =>
      modelFromSteps(st, 3, hints, "m").layers[0]!.config().init === "zeros";
    // Linear and identity are the same; an explicit useBias agrees with a bias.
    const linear = [{ type: "dense", units: 2, activation: "identity", useBias: true, init: "heNormal" }];
    assert.equal(
      modelFromSteps([dense(2, 3), act("linear", false)], 3, linear, "m").layers[0]!.config().init,
      "heNormal",
    );
    for (const other of [
      [{ type: "dense", units: 3, activation: "relu" }],
      [{ type: "dense", units: 2, activation: "tanh" }],
      [{ type: "dense", units: 2, activation: "relu", useBias: false }],
      [
        { type: "dense", units: 2, activation: "relu" },
        { type: "activation", activation: "relu" },
      ],
      [{ type: "dense", units: 2 }],
      [{ type: "nope" }],
      // A layer the steps do not have, though it adds no token of dense, activation or layer norm.
      [{ type: "dense", units: 2, activation: "relu" }, { type: "batchNorm" }],
      "not a list",
    ])
      assert.equal(modelFromSteps(steps, 3, other, "m").layers[1]!.config().rate, 0.1, JSON.stringify(other));
    // A dense without bias: the hint's useBias false agrees with a step whose bias is null.
    const noBias = [dense(2, 3, false), act("relu", false)];
    assert.equal(
      taken0(noBias, [{ type: "dense", units: 2, activation: "relu", useBias: false, init: "zeros" }]),
      true,
    );
    assert.equal(taken0(noBias, [{ type: "dense", units: 2, activation: "relu", init: "zeros" }]), false);
    // Layer norm: equal when eps agrees as float32, with 1e-5 for a hint that leaves it out.
    const lnSteps = (eps: number): Step[] => [
      dense(3, 3),
      { op: "layerNorm", eps, weight: new Float32Array(3), bias: new Float32Array(3), layer: 1 },
    ];
    const lnHint = (eps?: number) => [
      { type: "dense", units: 3, init: "heNormal" },
      { type: "layerNorm", ...(eps === undefined ? {} : { eps }) },
    ];
    const taken = (steps: Step[], hints: unknown): boolean =>
      modelFromSteps(steps, 3, hints, "m").layers[0]!.config().init === "heNormal";
    assert.equal(taken(lnSteps(Math.fround(0.001)), lnHint(0.001)), true);
    assert.equal(taken(lnSteps(0.001), lnHint(0.002)), false);
    assert.equal(taken(lnSteps(0.001), lnHint()), false);
    assert.equal(taken(lnSteps(1e-5), lnHint()), true);
  });
});
