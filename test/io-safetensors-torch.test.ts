/**
 * safetensors both ways against real PyTorch 1.13. Every reference value comes from
 * test/fixtures/safetensors/make_fixtures.py (run by hand; CI reads the committed files only):
 * a PyTorch-made state dict imported here must give PyTorch's outputs; a PyTorch run continued here
 * from its own weights and optimiser state must follow PyTorch's loss curve; and the files Homeostat
 * exports (rebuilt here byte for byte) were loaded by the generated .py in PyTorch, whose outputs and
 * continued training are compared with Homeostat's own.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeModel } from "../src/io/model.js";
import { decodeSafetensors, importSafetensors, type SavedOptimizer } from "../src/io/safetensors.js";
import type { Sequential } from "../src/nn/sequential.js";
import { optimizerFromConfig } from "../src/optim/optimizers.js";
import { Tensor } from "../src/tensor/tensor.js";
import { predict } from "../src/train/evaluate.js";
import { fit } from "../src/train/fit.js";
import { fixturePath, readJsonFixture } from "./helpers/fixtures.js";
import { BATCH, exportCases, exportOf, trajectoryData } from "./helpers/safetensors-exports.js";
import { tempDir } from "./helpers/tmp.js";
import { useBackend } from "../src/backend/index.js";

// The committed exports were trained on js, the reference backend (the library's default is wasm in Node).
useBackend("js");

const MLP = {
  layers: [
    { type: "dense", units: 16, activation: "relu" },
    { type: "dense", units: 8, activation: "tanh" },
    { type: "dense", units: 3, activation: "softmax" },
  ],
  source: "mlp",
};
const bytesOf = (...parts: string[]): Uint8Array =>
  new Uint8Array(readFileSync(fixturePath("safetensors", ...parts)));

/** The largest |a − b|, after checking that it is within `bound`. */
function maxAbsDiff(
  actual: ArrayLike<number>,
  expected: readonly number[],
  bound: number,
  what: string,
): number {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    assert.ok(d <= bound, `${what}[${i}]: ${actual[i]} vs PyTorch ${expected[i]} (|diff| ${d} > ${bound})`);
    worst = Math.max(worst, d);
  }
  return worst;
}

/**
 * Outputs of O(1): float32 spacing there is 1.2e-7, and the two libraries sum the products of a
 * row in different orders (Homeostat's js kernels in float64, rounded once; PyTorch in float32), so a
 * few spacings apart is float32 rounding. 2e-6 allows 16 of them; a wrong weight moves outputs by 1e-2.
 */
const OUTPUT_BOUND = 2e-6;

test("a PyTorch-made MLP (6-16-8-3, ReLU, tanh) imports and gives PyTorch's logits and probabilities", (t) => {
  const ref = readJsonFixture<{ x: number[]; rows: number; logits: number[]; probabilities: number[] }>(
    "safetensors",
    "torch_mlp.json",
  );
  const { model } = importSafetensors(bytesOf("torch_mlp.safetensors"), MLP, "torch_mlp.safetensors");
  const x = new Tensor(Float32Array.from(ref.x), [ref.rows, 6]);
  const logits = maxAbsDiff(model.forwardLinear(x).data, ref.logits, OUTPUT_BOUND, "logits");
  const probs = maxAbsDiff(predict(model, x).data, ref.probabilities, OUTPUT_BOUND, "probabilities");
  t.diagnostic(
    `max |Homeostat − PyTorch|: logits ${logits.toExponential(2)}, probabilities ${probs.toExponential(2)}`,
  );
});

const CNN = {
  inputShape: [8, 8, 1],
  layers: [
    { type: "conv2d", filters: 4, kernel: 3, padding: "same" },
    { type: "batchNorm" },
    { type: "activation", activation: "relu" },
    { type: "maxPool2d", pool: 2 },
    { type: "conv2d", filters: 6, kernel: 3, activation: "relu" },
    { type: "globalAvgPool" },
    { type: "dense", units: 3 },
  ],
  source: "cnn",
};

test("a PyTorch-made CNN (NCHW Conv2d, BatchNorm2d after 5 steps, pools) imports channels last with PyTorch's logits", (t) => {
  const ref = readJsonFixture<{ x: number[]; rows: number; logits: number[] }>(
    "safetensors",
    "torch_cnn.json",
  );
  const { model } = importSafetensors(bytesOf("torch_cnn.safetensors"), CNN, "torch_cnn.safetensors");
  const [, runningVar] = model.buffers()[1]!;
  assert.ok(
    runningVar.data.some((v) => Math.abs(v - 1) > 0.05),
    "the running variance moved in PyTorch and was read",
  );
  const x = new Tensor(Float32Array.from(ref.x), [ref.rows, 64]);
  const logits = maxAbsDiff(predict(model, x).data, ref.logits, OUTPUT_BOUND, "logits");
  t.diagnostic(`CNN: max |Homeostat − PyTorch| of logits ${logits.toExponential(2)}`);
});

/** Homeostat's loss at each step of `fit` from the given weights and optimiser state, on `data` in order. */
function continueTraining(
  model: Sequential,
  saved: SavedOptimizer,
  data: { x: Tensor; y: Tensor },
): number[] {
  const losses: number[] = [];
  fit(model, data, {
    epochs: 1,
    batchSize: BATCH,
    optimizer: optimizerFromConfig({ type: saved.type, lr: saved.lr, ...saved.options }),
    optimizerState: saved.state,
    loss: "crossEntropy",
    shuffle: false,
    observers: [{ onBatchEnd: (e) => void losses.push(e.loss) }],
  });
  return losses;
}

/** max over steps of |a − b| / |b|, after checking each is within `bound`. */
function maxRelDiff(
  actual: readonly number[],
  expected: readonly number[],
  bound: number,
  what: string,
): number {
  assert.equal(actual.length, expected.length, `${what}: steps`);
  let worst = 0;
  expected.forEach((b, i) => {
    const r = Math.abs(actual[i]! - b) / Math.abs(b);
    assert.ok(
      r <= bound,
      `${what}, step ${i + 1}: loss ${actual[i]} vs PyTorch ${b} (relative ${r} > ${bound})`,
    );
    worst = Math.max(worst, r);
  });
  return worst;
}

/**
 * Losses of about 0.3–1.1 over 100 steps. Each step's gradients differ from PyTorch's in their last
 * bits (summation order), and the optimiser carries that forward, so the curves drift apart slowly;
 * 1e-5 relative is far below what a wrong state gives (measured: Adam from fresh moments 0.15, with
 * the step count one off 0.056; SGD without its momentum buffers 0.42) and leaves room above the
 * drift seen (8e-7 to 2.3e-6, reported by each test).
 */
const LOSS_BOUND = 1e-5;

const TRAJECTORY = readJsonFixture<{ batchSize: number; steps: number; losses: Record<string, number[]> }>(
  "safetensors",
  "trajectory.json",
);

for (const opt of ["adam", "adamw", "sgd"]) {
  test(`trained 5 steps in PyTorch (${opt}), imported with its optimiser state, Homeostat continues on PyTorch's curve for 100 steps`, (t) => {
    assert.equal(TRAJECTORY.batchSize, BATCH);
    const { model, optimizer } = importSafetensors(
      bytesOf(`trajectory_${opt}.safetensors`),
      MLP,
      `trajectory_${opt}.safetensors`,
      {
        bytes: bytesOf(`trajectory_${opt}.optimizer.safetensors`),
        file: `trajectory_${opt}.optimizer.safetensors`,
      },
    );
    assert.equal(optimizer!.type, opt);
    const losses = continueTraining(model, optimizer!, trajectoryData(0, TRAJECTORY.steps));
    const worst = maxRelDiff(losses, TRAJECTORY.losses[opt]!, LOSS_BOUND, opt);
    t.diagnostic(
      `${opt}: max relative loss difference over ${losses.length} steps ${worst.toExponential(2)}`,
    );
  });
}

for (const c of exportCases()) {
  test(`export "${c.name}": the committed files are what Homeostat writes, and PyTorch loading them agrees`, (t) => {
    const files = exportOf(c);
    assert.deepEqual(files.weights, bytesOf("exports", `${c.name}.safetensors`));
    assert.equal(files.python, new TextDecoder().decode(bytesOf("exports", `${c.name}.py`)));
    assert.equal(files.optimizer !== null, c.optimizer !== undefined);
    if (files.optimizer)
      assert.deepEqual(files.optimizer, bytesOf("exports", `${c.name}.optimizer.safetensors`));
    const torch = readJsonFixture<{ outputs: number[]; losses?: number[] }>(
      "safetensors",
      "exports",
      `${c.name}.torch.json`,
    );
    const out = maxAbsDiff(predict(c.model, c.inputs).data, torch.outputs, OUTPUT_BOUND, c.name);
    t.diagnostic(`${c.name}: max |Homeostat − PyTorch| of outputs ${out.toExponential(2)}`);
    if (!c.optimizer) return;
    const losses = continueTraining(c.model, c.optimizer, trajectoryData(0, 20));
    const worst = maxRelDiff(losses, torch.losses!, LOSS_BOUND, c.name);
    t.diagnostic(
      `${c.name}: PyTorch continuing from Homeostat's state, max relative loss difference ${worst.toExponential(2)}`,
    );
  });
}

// ---------------------------------------------------------------------------------------------- CLI

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const dir = tempDir("safetensors-cli");
const cli = (args: string[]) =>
  spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 60_000 });

test("CLI: import --format safetensors --arch, export back; the weights survive bit for bit", () => {
  writeFileSync(join(dir, "run.json"), JSON.stringify({ model: { layers: MLP.layers } }));
  const imp = cli([
    "import",
    "--format",
    "safetensors",
    "--in",
    fixturePath("safetensors", "trajectory_adam.safetensors"),
    "--arch",
    "run.json",
    "--optimizer",
    fixturePath("safetensors", "trajectory_adam.optimizer.safetensors"),
    "--out",
    "m.hmst",
    "--json",
  ]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.equal(JSON.parse(imp.stdout.trim().split("\n").at(-1)!).optimizer, "adam");
  assert.equal(decodeModel(readFileSync(join(dir, "m.hmst"))).optimizer?.type, "adam");
  const exp = cli([
    "export",
    "--model",
    "m.hmst",
    "--format",
    "safetensors",
    "--out",
    "back/m.safetensors",
    "--quiet",
  ]);
  assert.equal(exp.status, 0, exp.stderr);
  for (const f of ["m.safetensors", "m.py", "m.optimizer.safetensors"])
    assert.ok(existsSync(join(dir, "back", f)), f);
  const again = importSafetensors(
    readFileSync(join(dir, "back", "m.safetensors")),
    null,
    "m.safetensors",
  ).model;
  const first = importSafetensors(bytesOf("trajectory_adam.safetensors"), MLP, "t").model;
  assert.deepEqual(
    again.parameters().map(([, p]) => Array.from(p.data)),
    first.parameters().map(([, p]) => Array.from(p.data)),
  );
  // The optimiser state too: the same tensors as PyTorch's, value for value (the metadata's JSON is spelt differently).
  const tensors = (b: Uint8Array) =>
    Object.fromEntries(decodeSafetensors(b).tensors.map((x) => [x.name, [x.shape, Array.from(x.data)]]));
  assert.deepEqual(
    tensors(readFileSync(join(dir, "back", "m.optimizer.safetensors"))),
    tensors(bytesOf("trajectory_adam.optimizer.safetensors")),
  );
});

test("CLI: a shape that does not match the architecture, or a lying header, is exit 2 and writes nothing", () => {
  writeFileSync(
    join(dir, "wrong.json"),
    JSON.stringify({
      layers: [
        { type: "dense", units: 4, activation: "relu" },
        { type: "dense", units: 3 },
      ],
    }),
  );
  const r = cli([
    "import",
    "-f",
    "safetensors",
    "--in",
    fixturePath("safetensors", "torch_mlp.safetensors"),
    "--arch",
    "wrong.json",
    "-o",
    "w.hmst",
  ]);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /torch_mlp\.safetensors: tensor "0\.weight" has shape \[16,6\], but layer 0 \(dense\) of the declared architecture needs \[4,6\]/,
  );
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
  assert.ok(!existsSync(join(dir, "w.hmst")));
  const lying = Uint8Array.from(bytesOf("torch_mlp.safetensors"));
  lying[4] = 1; // a length of 2^32 + n bytes
  writeFileSync(join(dir, "lying.safetensors"), lying);
  const l = cli([
    "import",
    "-f",
    "safetensors",
    "--in",
    "lying.safetensors",
    "--arch",
    "wrong.json",
    "-o",
    "l.hmst",
  ]);
  assert.equal(l.status, 2);
  assert.match(l.stderr, /lying\.safetensors: the header length says/);
  assert.ok(!existsSync(join(dir, "l.hmst")));
  const arch = cli(["import", "-f", "onnx", "--in", "x.onnx", "--arch", "wrong.json", "-o", "x.hmst"]);
  assert.equal(arch.status, 2);
  assert.match(arch.stderr, /--arch goes with --format safetensors only/);
});
