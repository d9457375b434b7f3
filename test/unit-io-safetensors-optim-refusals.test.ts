/**
 * The optimiser file's edges (src/io/safetensors-optim.ts): which saved states write no file, and each
 * refusal of a file that does not map one to one, with its exact message and field or tensor. The
 * expected messages are the module's, written out by hand; the layout is PyTorch 1.13's
 * `optimizer.state_dict()` (`state.<i>.<key>`, one param group whose params are 0, …, n − 1).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SafeTensor, SafetensorsFile } from "../src/io/safetensors-format.js";
import { optimizerFromTensors, optimizerTensors, type SavedOptimizer } from "../src/io/safetensors-optim.js";
import { ModelFileError } from "../src/tensor/errors.js";

const FILE = "opt.safetensors";
const PARAMS = [
  { name: "0.weight", shape: [2, 2] },
  { name: "0.bias", shape: [2] },
];
const zeros = () => [new Float32Array(4), new Float32Array(2)];
const ADAM_GROUP = '[{"lr":0.01,"betas":[0.9,0.999],"eps":1e-8,"params":[0,1]}]';

const f32 = (name: string, shape: number[], data: number[]): SafeTensor => ({
  name,
  dtype: "F32",
  shape,
  data: Float32Array.from(data),
});
const sgdFile = (tensors: SafeTensor[], group = '[{"lr":0.1,"momentum":0.9,"params":[0,1]}]') => ({
  tensors,
  metadata: { optimizer: "SGD", param_groups: group },
});
const adamFile = (tensors: SafeTensor[], group = ADAM_GROUP): SafetensorsFile => ({
  tensors,
  metadata: { optimizer: "Adam", param_groups: group },
});
const buffers = () => [
  f32("state.0.momentum_buffer", [2, 2], [1, 2, 3, 4]),
  f32("state.1.momentum_buffer", [2], [5, 6]),
];
/** Adam's tensors for both parameters, each with the given step count. */
const adamTensors = (steps: [number, number]) =>
  [0, 1].flatMap((i) => [
    f32(`state.${i}.step`, [], [steps[i]!]),
    f32(`state.${i}.exp_avg`, [...PARAMS[i]!.shape], Array(4 / (i + 1)).fill(0.5)),
    f32(`state.${i}.exp_avg_sq`, [...PARAMS[i]!.shape], Array(4 / (i + 1)).fill(2)),
  ]);

/** The refusal's message and location. */
function refused(st: SafetensorsFile, message: string, location: Record<string, string>, params = PARAMS) {
  assert.throws(
    () => optimizerFromTensors(st, params, zeros(), FILE),
    (e: unknown) => {
      assert.ok(e instanceof ModelFileError, String(e));
      assert.equal(e.message, message);
      assert.deepEqual(e.location, { file: FILE, ...location });
      return true;
    },
  );
}

const adamStage = {
  step: 1,
  mu: [Float32Array.of(1, 1, 1, 1), Float32Array.of(2, 2)],
  nu: [Float32Array.of(3, 3, 3, 3), Float32Array.of(4, 4)],
  nuMax: [],
};
const adamSaved = (state: unknown, type = "adam"): SavedOptimizer => ({
  type,
  lr: 0.01,
  options: { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false },
  state,
});

test("a state with null or primitive stages writes no file; its object stage is still found", () => {
  for (const stage of [null, 1, "mu", "momentumBuffer"]) {
    assert.equal(optimizerTensors(adamSaved([stage]), PARAMS), null, String(stage));
    assert.equal(optimizerTensors({ ...adamSaved([stage]), type: "sgd" }, PARAMS), null, String(stage));
  }
  const st = optimizerTensors(adamSaved([null, 7, adamStage]), PARAMS)!;
  assert.deepEqual(
    st.tensors.map((t) => t.name),
    [
      "state.0.step",
      "state.0.exp_avg",
      "state.0.exp_avg_sq",
      "state.1.step",
      "state.1.exp_avg",
      "state.1.exp_avg_sq",
    ],
  );
});

test("an optimiser PyTorch has no class for writes no file, even with Adam's moments in its state", () => {
  assert.equal(optimizerTensors(adamSaved([adamStage], "lion"), PARAMS), null);
});

test("Adam before its first step writes no tensors, only its param group", () => {
  const st = optimizerTensors(adamSaved([{ ...adamStage, step: 0 }]), PARAMS)!;
  assert.deepEqual(st.tensors, []);
  assert.equal(
    st.metadata.param_groups,
    '[{"lr":0.01,"betas":[0.9,0.999],"eps":1e-8,"weight_decay":0,"amsgrad":false,"maximize":false,"foreach":null,"capturable":false,"params":[0,1]}]',
  );
});

test("param_groups that are not one object are refused", () => {
  const one = '{"lr":0.1,"params":[0,1]}';
  for (const groups of [one, `[${one},${one}]`, "[5]", '["x"]', "[null]"])
    refused(sgdFile([], groups), `${FILE}: expected exactly one parameter group in param_groups`, {
      field: "param_groups",
    });
});

test("param_groups[0].params must be exactly 0, …, n − 1: not longer, shorter, partly right or absent", () => {
  for (const [params, got] of [
    [',"params":[0,1,2]', "[0,1,2]"],
    [',"params":[0]', "[0]"],
    [',"params":[0,5]', "[0,5]"],
    ["", "undefined"],
  ])
    refused(
      sgdFile([], `[{"lr":0.1${params}}]`),
      `${FILE}: param_groups[0].params should be [0, …, 1] (the model's 2 parameters in order), got ${got}`,
      { field: "param_groups" },
    );
});

test("an option the optimiser refuses is named as param_groups[0]'s", () => {
  refused(sgdFile([], '[{"lr":-1,"params":[0,1]}]'), `${FILE}: param_groups[0].lr: must be ≥ 0, got -1`, {
    field: "param_groups",
  });
});

test("a tensor name must be the whole of state.<i>.<key>, i without leading zeros or other characters", () => {
  for (const name of [
    "xstate.0.momentum_buffer",
    "state.0.momentum_buffer.extra",
    "state.01.momentum_buffer",
    "state.1x.momentum_buffer",
  ])
    refused(
      sgdFile([{ ...buffers()[0]!, name }, buffers()[1]!]),
      `${FILE}: unexpected tensor "${name}"; expected state.<i>.<key> with i < 2 and key one of momentum_buffer`,
      { layer: name },
    );
});

test("an unexpected Adam tensor is refused with Adam's keys, the maximum only with AMSGrad", () => {
  const bad = f32("state.0.momentum_buffer", [2, 2], [0, 0, 0, 0]);
  refused(
    adamFile([bad]),
    `${FILE}: unexpected tensor "state.0.momentum_buffer"; expected state.<i>.<key> with i < 2 and key one of step, exp_avg, exp_avg_sq`,
    { layer: "state.0.momentum_buffer" },
  );
  refused(
    adamFile([bad], '[{"lr":0.01,"betas":[0.9,0.999],"eps":1e-8,"amsgrad":true,"params":[0,1]}]'),
    `${FILE}: unexpected tensor "state.0.momentum_buffer"; expected state.<i>.<key> with i < 2 and key one of step, exp_avg, exp_avg_sq, max_exp_avg_sq`,
    { layer: "state.0.momentum_buffer" },
  );
});

test("a parameter index of two digits is read as that index", () => {
  const params = Array.from({ length: 11 }, (_, i) => ({ name: `${i}.weight`, shape: [1] }));
  const tensors = params.map((_, i) => f32(`state.${i}.momentum_buffer`, [1], [i + 0.5]));
  const group = `[{"lr":0.1,"momentum":0.9,"params":[${params.map((_, i) => i).join(",")}]}]`;
  const data = params.map(() => new Float32Array(1));
  const got = optimizerFromTensors(sgdFile(tensors, group), params, data, FILE);
  const trace = (got.state as { momentumBuffer?: Float32Array[] }[]).find((s) => "momentumBuffer" in s)!;
  assert.deepEqual(
    trace.momentumBuffer!.map((b) => b[0]),
    params.map((_, i) => i + 0.5),
  );
});

test("a tensor whose shape is a prefix of the parameter's, or of its rank with other sizes, is refused", () => {
  for (const shape of [[2], [1, 4], []])
    refused(
      sgdFile([{ ...buffers()[0]!, shape }, buffers()[1]!]),
      `${FILE}: tensor "state.0.momentum_buffer" has shape ${JSON.stringify(shape)}; parameter 0 (0.weight) needs [2,2]`,
      { layer: "state.0.momentum_buffer" },
    );
});

test("Adam's step counts must be one whole, non-negative number for all parameters", () => {
  for (const [steps, listed] of [
    [[1, 2], "1, 2"],
    [[1.5, 1.5], "1.5"],
    [[-1, -1], "-1"],
  ] as const)
    refused(
      adamFile(adamTensors([...steps])),
      `${FILE}: the parameters' step counts are ${listed}; Homeostat needs one whole step count for all`,
      { field: "step" },
    );
});

test("Adam without tensors (before its first step) reads back at step 0", () => {
  const got = optimizerFromTensors(adamFile([]), PARAMS, zeros(), FILE);
  const s = (got.state as { mu?: Float32Array[]; step: number }[]).find((x) => "mu" in x)!;
  assert.equal(s.step, 0);
});

test("an optimiser named like an Object method is no PyTorch class, in either direction", () => {
  for (const name of ["constructor", "toString", "__proto__"]) {
    refused(
      { tensors: [], metadata: { optimizer: name, param_groups: ADAM_GROUP } },
      `${FILE}: __metadata__.optimizer is ${JSON.stringify(name)}; expected "Adam", "AdamW" or "SGD"`,
      { field: "optimizer" },
    );
    assert.equal(optimizerTensors(adamSaved([adamStage], name), PARAMS), null, name);
  }
});
