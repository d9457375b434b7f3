/**
 * The optimiser file as PyTorch's `optimizer.state_dict()`: the tensors and metadata written for SGD
 * and Adam, read back into Homeostat's options and state, and every refusal with its field. Expected
 * names, shapes and `param_groups` JSON are written out by hand from PyTorch 1.13's layout (the
 * module's doc): `state.<i>.<key>`, `step` a float32 scalar, SGD's group keys in its order.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { SafetensorsFile } from "../src/io/safetensors-format.js";
import { optimizerFromTensors, optimizerTensors, type SavedOptimizer } from "../src/io/safetensors-optim.js";
import { ModelFileError } from "../src/tensor/errors.js";

const FILE = "opt.safetensors";
const PARAMS = [
  { name: "0.weight", shape: [2, 2] },
  { name: "0.bias", shape: [2] },
];
const zeros = () => [new Float32Array(4), new Float32Array(2)];
const SGD_GROUP =
  '[{"lr":0.1,"momentum":0.9,"dampening":0.25,"weight_decay":0.01,"nesterov":false,"maximize":false,"foreach":null,"differentiable":false,"params":[0,1]}]';

const sgdSaved = (step: number): SavedOptimizer => ({
  type: "sgd",
  lr: 0.1,
  options: { momentum: 0.9, dampening: 0.25, weightDecay: 0.01, nesterov: false },
  state: [{ step, momentumBuffer: [Float32Array.of(1, 2, 3, 4), Float32Array.of(5, 6)] }],
});

/** Name, shape and values of each tensor, in file order. */
const listed = (st: SafetensorsFile) => st.tensors.map((t) => [t.name, t.shape, [...t.data]]);

/** The momentum buffers stage of a Homeostat SGD state. */
const traceOf = (state: unknown) =>
  (state as { step?: number; momentumBuffer?: Float32Array[] }[]).find((s) => "momentumBuffer" in s)!;

function sgdFile(tensors: SafetensorsFile["tensors"], group = SGD_GROUP): SafetensorsFile {
  return { tensors, metadata: { optimizer: "SGD", param_groups: group } };
}
const buffer = (i: number, data: number[]) => ({
  name: `state.${i}.momentum_buffer`,
  dtype: "F32" as const,
  shape: [...PARAMS[i]!.shape],
  data: Float32Array.from(data),
});

test("SGD's momentum buffers are written as state.<i>.momentum_buffer with PyTorch's param group", () => {
  const saved = sgdSaved(3);
  const st = optimizerTensors(saved, PARAMS)!;
  assert.deepEqual(listed(st), [
    ["state.0.momentum_buffer", [2, 2], [1, 2, 3, 4]],
    ["state.1.momentum_buffer", [2], [5, 6]],
  ]);
  assert.deepEqual(st.metadata, { optimizer: "SGD", param_groups: SGD_GROUP });
  // The file holds copies: a later step must not change what was written.
  traceOf(saved.state).momentumBuffer![0]![0] = 99;
  assert.equal(st.tensors[0]!.data[0], 1);
});

test("before SGD's first step there are no buffers to write, only the param group", () => {
  const st = optimizerTensors(sgdSaved(0), PARAMS)!;
  assert.deepEqual(st.tensors, []);
  assert.equal(st.metadata.param_groups, SGD_GROUP);
});

test("an optimiser without a one-to-one PyTorch counterpart writes no file", () => {
  assert.equal(optimizerTensors({ ...sgdSaved(1), type: "rmsprop" }, PARAMS), null);
  assert.equal(optimizerTensors({ ...sgdSaved(1), state: [{ step: 1 }] }, PARAMS), null);
  assert.equal(optimizerTensors({ ...sgdSaved(1), state: "not a chain" }, PARAMS), null);
  assert.equal(optimizerTensors({ ...sgdSaved(1), type: "adam", state: [{ step: 1 }] }, PARAMS), null);
});

test("Adam's step, moments and AMSGrad maximum are written per parameter", () => {
  const saved: SavedOptimizer = {
    type: "adamw",
    lr: 0.001,
    options: { beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.5, amsgrad: true },
    state: [
      {
        step: 2,
        mu: [Float32Array.of(1, 1, 1, 1), Float32Array.of(2, 2)],
        nu: [Float32Array.of(3, 3, 3, 3), Float32Array.of(4, 4)],
        nuMax: [Float32Array.of(5, 5, 5, 5), Float32Array.of(6, 6)],
      },
    ],
  };
  const st = optimizerTensors(saved, PARAMS)!;
  assert.deepEqual(listed(st), [
    ["state.0.step", [], [2]],
    ["state.0.exp_avg", [2, 2], [1, 1, 1, 1]],
    ["state.0.exp_avg_sq", [2, 2], [3, 3, 3, 3]],
    ["state.0.max_exp_avg_sq", [2, 2], [5, 5, 5, 5]],
    ["state.1.step", [], [2]],
    ["state.1.exp_avg", [2], [2, 2]],
    ["state.1.exp_avg_sq", [2], [4, 4]],
    ["state.1.max_exp_avg_sq", [2], [6, 6]],
  ]);
  assert.deepEqual(st.metadata, {
    optimizer: "AdamW",
    param_groups:
      '[{"lr":0.001,"betas":[0.8,0.99],"eps":0.000001,"weight_decay":0.5,"amsgrad":true,"maximize":false,"foreach":null,"capturable":false,"params":[0,1]}]',
  });
});

test("SGD read back: PyTorch's group keys become Homeostat's options, the buffers its state", () => {
  const got = optimizerFromTensors(
    sgdFile([buffer(0, [1, 2, 3, 4]), buffer(1, [5, 6])]),
    PARAMS,
    zeros(),
    FILE,
  );
  assert.equal(got.type, "sgd");
  assert.equal(got.lr, 0.1);
  assert.deepEqual(
    [got.options.momentum, got.options.dampening, got.options.nesterov, got.options.weightDecay],
    [0.9, 0.25, false, 0.01],
  );
  const s = traceOf(got.state);
  assert.equal(s.step, 1); // PyTorch keeps no SGD step; 1 says "the buffers exist"
  assert.deepEqual(
    s.momentumBuffer!.map((b) => [...b]),
    [
      [1, 2, 3, 4],
      [5, 6],
    ],
  );
});

test("SGD read back: Nesterov kept, missing keys take PyTorch's defaults, no buffers is step 0", () => {
  const nesterov =
    '[{"lr":0.5,"momentum":0.5,"dampening":0,"nesterov":true,"weight_decay":0,"params":[0,1]}]';
  const got = optimizerFromTensors(sgdFile([], nesterov), PARAMS, zeros(), FILE);
  assert.equal(got.options.nesterov, true);
  assert.equal(traceOf(got.state).step, 0);
  const bare = optimizerFromTensors(sgdFile([], '[{"lr":0.5,"params":[0,1]}]'), PARAMS, zeros(), FILE);
  assert.deepEqual(
    [bare.options.momentum, bare.options.dampening, bare.options.nesterov, bare.options.weightDecay],
    [0, 0, false, 0],
  );
});

/** The refusal's message and location. */
function refused(st: SafetensorsFile, message: string, location: Record<string, string>, data = zeros()) {
  assert.throws(
    () => optimizerFromTensors(st, PARAMS, data, FILE),
    (e: unknown) => {
      assert.ok(e instanceof ModelFileError);
      assert.equal(e.message, message);
      assert.deepEqual(e.location, { file: FILE, ...location });
      return true;
    },
  );
}

test("SGD refusals name the field: maximize, momentum 0 with buffers, bad options", () => {
  const group = (extra: string) => `[{"lr":0.1,"momentum":0,${extra}"params":[0,1]}]`;
  refused(
    sgdFile([], group('"maximize":true,')),
    `${FILE}: param_groups[0].maximize is true; Homeostat optimisers minimise`,
    { field: "param_groups" },
  );
  refused(
    sgdFile([buffer(0, [1, 2, 3, 4]), buffer(1, [5, 6])], group("")),
    `${FILE}: momentum buffers given, but momentum is 0`,
    {
      field: "param_groups",
    },
  );
  assert.throws(
    () => optimizerFromTensors(sgdFile([], '[{"lr":-1,"params":[0,1]}]'), PARAMS, zeros(), FILE),
    (e: unknown) =>
      e instanceof ModelFileError &&
      e.message.startsWith(`${FILE}: `) &&
      e.message.includes("lr") &&
      e.location.field === "param_groups",
  );
});

test("param_groups must be one group over the parameters in order", () => {
  refused(sgdFile([], "[]"), `${FILE}: expected exactly one parameter group in param_groups`, {
    field: "param_groups",
  });
  refused(
    sgdFile([], '[{"lr":0.1,"params":[1,0]}]'),
    `${FILE}: param_groups[0].params should be [0, …, 1] (the model's 2 parameters in order), got [1,0]`,
    { field: "param_groups" },
  );
});

test("state must cover every parameter or none, with each key it needs", () => {
  refused(
    sgdFile([buffer(0, [1, 2, 3, 4])], SGD_GROUP),
    `${FILE}: parameter 1 (0.bias) has no state while others have some; Homeostat steps all parameters together`,
    { layer: "state.1" },
  );
  const adam = (tensors: SafetensorsFile["tensors"]): SafetensorsFile => ({
    tensors,
    metadata: {
      optimizer: "Adam",
      param_groups: '[{"lr":0.01,"betas":[0.9,0.999],"eps":1e-8,"params":[0,1]}]',
    },
  });
  const step = (i: number) => ({
    name: `state.${i}.step`,
    dtype: "F32" as const,
    shape: [],
    data: Float32Array.of(1),
  });
  const moment = (i: number, key: string) => ({
    ...buffer(i, [0, 0, 0, 0].slice(0, 4 / (i + 1))),
    name: `state.${i}.${key}`,
  });
  refused(
    adam([step(0), moment(0, "exp_avg"), moment(0, "exp_avg_sq"), step(1), moment(1, "exp_avg")]),
    `${FILE}: missing tensor "state.1.exp_avg_sq"`,
    { layer: "state.1.exp_avg_sq" },
  );
});

test("Adam read back with AMSGrad: step, both moments and the running maximum per parameter", () => {
  const f32 = (name: string, shape: number[], data: number[]) => ({
    name,
    dtype: "F32" as const,
    shape,
    data: Float32Array.from(data),
  });
  const tensors = [0, 1].flatMap((i) => {
    const shape = [...PARAMS[i]!.shape];
    const n = i === 0 ? 4 : 2;
    return [
      f32(`state.${i}.step`, [], [7]),
      f32(`state.${i}.exp_avg`, shape, Array(n).fill(i + 0.5)),
      f32(`state.${i}.exp_avg_sq`, shape, Array(n).fill(i + 2)),
      f32(`state.${i}.max_exp_avg_sq`, shape, Array(n).fill(i + 3)),
    ];
  });
  const group = '[{"lr":0.01,"betas":[0.8,0.9],"eps":1e-7,"weight_decay":0.1,"amsgrad":true,"params":[0,1]}]';
  const got = optimizerFromTensors(
    { tensors, metadata: { optimizer: "AdamW", param_groups: group } },
    PARAMS,
    zeros(),
    FILE,
  );
  assert.equal(got.type, "adamw");
  assert.deepEqual(
    [got.options.beta1, got.options.beta2, got.options.eps, got.options.weightDecay, got.options.amsgrad],
    [0.8, 0.9, 1e-7, 0.1, true],
  );
  const s = (
    got.state as { mu?: Float32Array[]; nu: Float32Array[]; nuMax: Float32Array[]; step: number }[]
  ).find((x) => "mu" in x)!;
  assert.equal(s.step, 7);
  assert.deepEqual(
    [s.mu!, s.nu, s.nuMax].map((list) => list.map((a) => [...a])),
    [
      [
        [0.5, 0.5, 0.5, 0.5],
        [1.5, 1.5],
      ],
      [
        [2, 2, 2, 2],
        [3, 3],
      ],
      [
        [3, 3, 3, 3],
        [4, 4],
      ],
    ],
  );
});

test("tensors outside the layout, of the wrong shape, or without param_groups are refused", () => {
  refused(
    sgdFile([{ ...buffer(0, [1, 2, 3, 4]), name: "state.2.momentum_buffer" }]),
    `${FILE}: unexpected tensor "state.2.momentum_buffer"; expected state.<i>.<key> with i < 2 and key one of momentum_buffer`,
    { layer: "state.2.momentum_buffer" },
  );
  refused(
    sgdFile([{ ...buffer(0, [1, 2, 3, 4]), shape: [4] }, buffer(1, [5, 6])]),
    `${FILE}: tensor "state.0.momentum_buffer" has shape [4]; parameter 0 (0.weight) needs [2,2]`,
    { layer: "state.0.momentum_buffer" },
  );
  refused(
    { tensors: [], metadata: { optimizer: "SGD" } },
    `${FILE}: __metadata__.param_groups should be PyTorch's param_groups as JSON`,
    { field: "param_groups" },
  );
  refused(
    { tensors: [], metadata: { optimizer: "RMSprop", param_groups: SGD_GROUP } },
    `${FILE}: __metadata__.optimizer is "RMSprop"; expected "Adam", "AdamW" or "SGD"`,
    { field: "optimizer" },
  );
});
