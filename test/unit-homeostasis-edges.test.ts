/**
 * The regulators' edge cases, each against a value worked out by hand from the documented rule: steps
 * that carry no activations, layers without a bias, a set point or target spread of zero, the quiet-unit
 * threshold, ReDo's ε, continual backprop's choice among equal utilities and its bias transfer into a
 * consumer that reads a unit through several weights, state restored for another model, and the
 * denormal flush. Driven without a training loop, as in unit-homeostasis.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  continualBackprop,
  flushDenormals,
  intrinsicPlasticity,
  redo,
  synapticScaling,
} from "../src/homeostasis/index.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { BatchEvent } from "../src/train/events.js";
import { batchEvent, setDense, testControl } from "./helpers/control.js";
import { B0, close, drive, scaledRows, tiny } from "./helpers/homeostasis.js";

const f32 = (xs: number[]): number[] => xs.map(Math.fround);

test("a step without activations, or without the layer's, changes nothing and is not counted", () => {
  const noActivations = (step: number): BatchEvent => ({ ...batchEvent(step, {}), activations: undefined });
  const otherLayer = (step: number): BatchEvent => batchEvent(step, { outputs: { "1": [[1, 1]] } });
  const regs = {
    scaling: synapticScaling({ target: 1, rate: 1, warmup: 1, maxStep: 0.5 }),
    intrinsic: intrinsicPlasticity({ targetMean: 1, targetStd: 1, rate: 0.5, statsRate: 1, warmup: 1 }),
    redo: redo({ tau: 0.5, every: 1 }),
    cbp: continualBackprop({ replacementRate: 1, maturity: 0 }),
  };
  for (const [name, reg] of Object.entries(regs)) {
    const { model, control } = tiny();
    const before = model.parameters().map(([, t]) => Array.from(t.data));
    reg.onTrainBegin!(control);
    for (const step of [1, 2]) {
      reg.onBatchEnd!(noActivations(step), control);
      reg.onBatchEnd!(otherLayer(step), control);
    }
    assert.deepEqual(
      model.parameters().map(([, t]) => Array.from(t.data)),
      before,
      `${name}: no parameter moved`,
    );
    const state = reg.getState() as
      | { seen?: number }[]
      | { layers: { batches?: number; age?: Float64Array }[] };
    const layer = Array.isArray(state) ? state[0] : state.layers[0];
    if ("seen" in layer) assert.equal(layer.seen, 0, `${name}: no step counted`);
    if ("batches" in layer) assert.equal(layer.batches, 0, `${name}: no batch counted`);
    if ("age" in layer) assert.deepEqual(Array.from(layer.age!), [0, 0, 0, 0], `${name}: no unit aged`);
  }
});

test("intrinsic plasticity leaves a hidden layer without a bias alone: it has no threshold to tune", () => {
  const model = new Sequential([new Dense(4, { activation: "relu", useBias: false }), new Dense(2)]).build(
    2,
    new Rng(1),
  );
  const [hidden] = model.layers as Dense[];
  const w = Array.from(hidden.weight.data);
  const control = testControl(model);
  const reg = intrinsicPlasticity({ targetMean: 1, targetStd: 1.5, rate: 0.1, statsRate: 1, warmup: 1 });
  drive(reg, control, [
    [
      [1, 0, 0, 0.5],
      [3, 4, 0, 1.5],
    ],
  ]);
  assert.deepEqual(Array.from(hidden.weight.data), w);
});

test("intrinsic plasticity with a target spread of 0 (units constant through the warmup) moves biases only", () => {
  const { hidden, control } = tiny();
  const eta = 0.25;
  const reg = intrinsicPlasticity({ rate: eta, statsRate: 1, warmup: 1 });
  // Step 1: every unit constant, m = 1, 2, 0, 4: target mean 7/4, target spread 0. Step 2: same means,
  // spreads 1, 1, 0, 1 — yet no gain moves: g = 1 + η(σ/s − 1) needs σ > 0.
  drive(reg, control, [
    [
      [1, 2, 0, 4],
      [1, 2, 0, 4],
    ],
    [
      [0, 1, 0, 3],
      [2, 3, 0, 5],
    ],
  ]);
  const s = (reg.getState() as { targetMean: number; targetStd: number }[])[0];
  assert.deepEqual([s.targetMean, s.targetStd], [1.75, 0]);
  close(hidden.weight.data, scaledRows([1, 1, 1, 1]), "incoming rows");
  const m = [1, 2, 0, 4];
  close(
    hidden.bias!.data,
    B0.map((b, u) => b + 2 * eta * (1.75 - m[u])),
    "biases: two pushes of η(μ − m)",
  );
});

test("synaptic scaling with a set point of 0 (a layer silent through the warmup) scales nothing, then or later", () => {
  const { hidden, control } = tiny();
  const reg = synapticScaling({ alpha: 1, rate: 1, warmup: 1, maxStep: 0.5 });
  drive(reg, control, [[[0, 0, 0, 0]], [[1, 2, 0.5, 4]], [[1, 2, 0.5, 4]]]);
  assert.equal((reg.getState() as { target: number }[])[0].target, 0);
  assert.deepEqual(Array.from(hidden.weight.data), scaledRows([1, 1, 1, 1]).map(Math.fround));
});

test("synaptic scaling: 'quiet' is r̂ ≤ r/10 of the set point r itself (r = 10 here), not of 1", () => {
  const { hidden, control } = tiny();
  const reg = synapticScaling({ target: 10, alpha: 1, rate: 1, warmup: 1, maxStep: 0.5, maxGain: 2 });
  // r̂ = 0.5 and 1 are quiet (≤ 1 = r/10): left alone. r̂ = 2: 10/2 = 5, capped at 1.5. r̂ = 20: 0.5.
  drive(reg, control, [[[0.5, 1, 2, 20]]]);
  close(hidden.weight.data, scaledRows([1, 1, 1.5, 0.5]), "incoming rows");
});

test("ReDo: a unit at exactly τ × the layer's mean |h| is dormant, its score a/(mean + ε) just under τ", () => {
  const { hidden, control } = tiny();
  const reg = redo({ tau: 0.25, every: 1 });
  // Mean |h| 5, 5, 5, 1: the layer's mean is 4, and 1 / (4 + 1e-9) < 0.25.
  drive(reg, control, [[[5, 5, 5, 1]]]);
  assert.equal(reg.recycled(), 1);
  assert.equal(reg.unitsReplaced!(), 1);
  assert.deepEqual(Array.from(hidden.bias!.data), f32([0.1, 0.2, 0.3, 0]));
});

test("ReDo: ε counts once per batch summed, so a layer with |h| of ε's order scores alike over 1 or 2 batches", () => {
  // Every unit at c ≈ 1e-9: score c / (c + 1e-9) ≈ 0.5 per batch; over two batches 2c / (2c + 2·1e-9),
  // the same. With ε counted once it would be 2/3 — above τ = 0.6.
  const c = 1e-9;
  for (const every of [1, 2]) {
    const { control } = tiny();
    const reg = redo({ tau: 0.6, every });
    drive(
      reg,
      control,
      Array.from({ length: every }, () => [[c, c, c, c]]),
    );
    assert.equal(reg.recycled(), 4, `window of ${every} batches`);
  }
});

/** Two ReLU units → two outputs (weights [[2, −1], [−4, 1]], biases 0.1, −0.2 unless left out). */
function twoUnits(opts: { nextBias?: boolean } = {}) {
  const model = new Sequential([
    new Dense(2, { activation: "relu" }),
    new Dense(2, { useBias: opts.nextBias ?? true }),
  ]).build(2, new Rng(1));
  const [hidden, out] = model.layers as Dense[];
  setDense(
    hidden,
    [
      [1, -3],
      [0.5, 0.5],
    ],
    [0.3, -0.1],
  );
  out.weight.data.set([2, -1, -4, 1]);
  out.bias?.data.set([0.1, -0.2]);
  return { model, hidden, out, control: testControl(model) };
}

test("continual backprop: among equal utilities the first unit goes, and the count is what unitsReplaced reports", () => {
  const { hidden, out, control } = twoUnits();
  const reg = continualBackprop({ decay: 0.5, replacementRate: 0.5, maturity: 1 });
  // Both units constant: |h − ĥ| = 0, utilities 0 and 0. Step 2: both mature, ρ·2 = 1 replacement.
  drive(reg, control, [[[1, 2]], [[1, 2]]]);
  assert.equal(reg.replaced(), 1);
  assert.equal(reg.unitsReplaced!(), 1);
  assert.deepEqual(Array.from((reg.getState() as { layers: { age: Float64Array }[] }).layers[0].age), [0, 2]);
  assert.deepEqual(Array.from(hidden.bias!.data), f32([0, -0.1]), "unit 0's bias zeroed");
  assert.deepEqual(Array.from(out.weight.data), [0, -1, 0, 1], "unit 0's outgoing column zeroed");
  // ĥ = 1 (the constant; bias-corrected 0.75 / (1 − 0.5²)): each output's bias gains ĥ · its weight from unit 0.
  close(out.bias!.data, [0.1 + 2, -0.2 - 4], "next layer's biases");
});

test("continual backprop replaces a unit feeding a layer without a bias: no mean to transfer, column zeroed", () => {
  const { out, control } = twoUnits({ nextBias: false });
  const reg = continualBackprop({ decay: 0.5, replacementRate: 0.5, maturity: 1 });
  drive(reg, control, [
    [
      [1, 2],
      [3, 2],
    ],
    [
      [1, 2],
      [3, 2],
    ],
  ]);
  assert.equal(reg.replaced(), 1);
  // Unit 1 is constant (utility 0), unit 0 varies: unit 1 goes.
  assert.deepEqual(Array.from(out.weight.data), [2, 0, -4, 0]);
  assert.equal(out.bias, null);
});

test("continual backprop owing more replacements than it has mature units replaces each at most once", () => {
  const { hidden, control } = twoUnits();
  const reg = continualBackprop({ decay: 0.5, replacementRate: 0.5, maturity: 1 });
  drive(reg, control, [[[1, 2]]]);
  // A restored state owing 3 replacements, unit 1 just replaced (age 0): only unit 0 may go this step.
  const state = reg.getState() as { layers: { owed: number; age: Float64Array }[] };
  state.layers[0].owed = 3;
  state.layers[0].age.set([1, 0]);
  reg.setState(state);
  drive(reg, control, [[[1, 2]]]);
  assert.equal(reg.replaced(), 1);
  assert.deepEqual(Array.from(hidden.weight.data.subarray(2)), [0.5, 0.5], "unit 1 kept its weights");
  assert.deepEqual(Array.from(state.layers[0].age), [0, 1]);
});

/**
 * A consumer that reads each of 2 input units through 2 weights (as a convolution reads a channel through
 * its taps): its input j is unit j mod 2, so unit u's weights are columns u and u + 2 of each row.
 */
function pairedConsumer(weight: number[][], bias: number[]) {
  const w = new Tensor(Float32Array.from(weight.flat()), [2, 4]);
  const b = new Tensor(Float32Array.from(bias), [2]);
  const indices = (u: number) => Int32Array.of(u, u + 2, 4 + u, 4 + u + 2);
  return {
    units: 2,
    fanIn: 4,
    activation: "identity",
    init: "zeros",
    weight: w,
    bias: b,
    incomingWeights: (u: number) => w.data.subarray(4 * u, 4 * u + 4),
    freshIncomingWeights: () => new Float32Array(4),
    unitEntries: (u: number) => [
      { tensor: w, indices: Int32Array.of(4 * u, 4 * u + 1, 4 * u + 2, 4 * u + 3) },
    ],
    inputWeightIndices: indices,
    inputEntries: (u: number) => [{ tensor: w, indices: indices(u) }],
  };
}

test("continual backprop moves ĥ times the sum of every weight that reads the unit into each consumer's bias", () => {
  const hidden = new Sequential([new Dense(2, { activation: "relu" })]).build(2, new Rng(1))
    .layers[0] as Dense;
  const consumer = pairedConsumer(
    [
      [1, 2, 3, 4],
      [5, 6, 7, 8],
    ],
    [0.5, -0.5],
  );
  const model = {
    layers: [hidden, consumer],
    parameters: () => [
      ["0.weight", hidden.weight],
      ["0.bias", hidden.bias!],
      ["1.weight", consumer.weight],
      ["1.bias", consumer.bias],
    ],
  } as unknown as Sequential;
  const control = testControl(model);
  const reg = continualBackprop({ decay: 0.5, replacementRate: 0.5, maturity: 1 });
  // Unit 1 is constant at 2 (utility 0, ĥ = 1.5 / (1 − 0.5²) = 2 at step 2); unit 0 varies.
  const batch = [
    [1, 2],
    [3, 2],
  ];
  drive(reg, control, [batch, batch]);
  assert.equal(reg.replaced(), 1);
  // Row r reads unit 1 through columns 1 and 3: bias_r += 2 · (w_r1 + w_r3).
  close(consumer.bias.data, [0.5 + 2 * (2 + 4), -0.5 + 2 * (6 + 8)], "consumer biases");
  assert.deepEqual(Array.from(consumer.weight.data), [1, 0, 3, 0, 5, 0, 7, 0]);
});

test("regulator state restored for a model with another number of hidden layers starts afresh", () => {
  const { control } = tiny();
  const first = synapticScaling({ rate: 1, warmup: 5 });
  drive(first, control, [[[1, 2, 3, 4]]]);
  const deeper = new Sequential([
    new Dense(4, { activation: "relu" }),
    new Dense(3, { activation: "relu" }),
    new Dense(2),
  ]).build(2, new Rng(1));
  const reg = synapticScaling({ rate: 1, warmup: 5 });
  reg.setState(first.getState());
  reg.onTrainBegin!(testControl(deeper));
  const state = reg.getState() as { seen: number; rHat: Float64Array }[];
  assert.deepEqual(
    state.map((s) => [s.seen, s.rHat.length]),
    [
      [0, 4],
      [0, 3],
    ],
  );
});

test("flushDenormals zeroes |w| < 1e-30 only; every other value keeps its exact bits, −0 included", () => {
  const a = Float64Array.of(1e-30, -1e-30, 9.99e-31, -9.99e-31, -0, 0, 3, 1e-45);
  flushDenormals(a);
  assert.deepEqual(Array.from(a), [1e-30, -1e-30, 0, 0, -0, 0, 3, 0]);
  assert.ok(Object.is(a[4], -0), "−0 stays −0");
  assert.ok(Object.is(a[3], 0), "a flushed negative becomes +0");
  const b = Float32Array.of(1e-31, 1e-29);
  flushDenormals(b);
  assert.deepEqual(Array.from(b), [0, Math.fround(1e-29)]);
});

test("flushDenormals on float32 equals the double compare |x| < 1e-30 bit for bit, around the threshold too", () => {
  // Every float32 within 2^12 ulps either side of ±1e-30, the denormals' ends, ±0, ±∞, NaN and a few normals.
  const edge = new Int32Array(Float32Array.of(1e-30).buffer)[0];
  const bits: number[] = [0, 1, 2, 0x7fffff, 0x800000, 0x7f800000, 0x7fc00000, 0x3f800000, 0x0da24260];
  for (let d = -4096; d <= 4096; d++) bits.push(edge + d);
  const all = Int32Array.from([...bits, ...bits.map((b) => b | 0x80000000)]);
  const got = new Float32Array(all.slice().buffer);
  flushDenormals(got);
  const want = new Float32Array(all.slice().buffer);
  for (let i = 0; i < want.length; i++) if (want[i] !== 0 && Math.abs(want[i]) < 1e-30) want[i] = 0;
  assert.deepEqual(new Int32Array(got.buffer), new Int32Array(want.buffer));
  // A view into the middle of a buffer is flushed there and nowhere else.
  const whole = Float32Array.of(1e-31, 1e-31, 1e-31);
  flushDenormals(whole.subarray(1, 2));
  assert.deepEqual(Array.from(whole), [Math.fround(1e-31), 0, Math.fround(1e-31)]);
});
