/**
 * The Homeostat models whose safetensors exports PyTorch checks (test/fixtures/safetensors/exports/).
 * `node dist/test/helpers/safetensors-exports.js` writes each export (NAME.safetensors, NAME.py and,
 * for the trained ones, NAME.optimizer.safetensors) and inputs.json there; then
 * test/fixtures/safetensors/make_fixtures.py runs every NAME.py in PyTorch and records the outputs
 * (and, with an optimiser, 20 further training steps). The test rebuilds each export and requires
 * the committed bytes, so the files PyTorch checked are the files this code writes.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  decodeSafetensors,
  exportSafetensors,
  type SafetensorsExport,
  type SavedOptimizer,
} from "../../src/io/safetensors.js";
import { Concat, Residual } from "../../src/nn/blocks.js";
import { Conv1D, Conv2D } from "../../src/nn/conv.js";
import { Activation, Dense, Dropout, LayerNorm } from "../../src/nn/layers.js";
import { BatchNorm, Embedding, GroupNorm } from "../../src/nn/norm-layers.js";
import { AvgPool2D, GlobalAvgPool, MaxPool2D } from "../../src/nn/pooling.js";
import { Flatten } from "../../src/nn/reshape.js";
import { Sequential } from "../../src/nn/sequential.js";
import { Rng } from "../../src/tensor/rng.js";
import { optimizerFromConfig } from "../../src/optim/optimizers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { fit } from "../../src/train/fit.js";
import { fixturePath } from "./fixtures.js";
import { built, randomInputs } from "./models.js";
import { useBackend } from "../../src/backend/index.js";

export const BATCH = 16;

/** The first `batches` batches of trajectory_data.safetensors (rows after PyTorch's 5 warm-up steps). */
export function trajectoryData(from: number, batches: number): { x: Tensor; y: Tensor } {
  const file = fixturePath("safetensors", "trajectory_data.safetensors");
  const t = new Map(decodeSafetensors(readFileSync(file), file).tensors.map((x) => [x.name, x]));
  const rows = (name: string, width: number): Tensor =>
    new Tensor(
      Float32Array.from(t.get(name)!.data.subarray(from * BATCH * width, (from + batches) * BATCH * width)),
      [batches * BATCH, width],
    );
  return { x: rows("x", 6), y: rows("y", 3) };
}

export interface ExportCase {
  name: string;
  model: Sequential;
  optimizer?: SavedOptimizer;
  inputs: Tensor;
}

/** The MLP of the PyTorch fixtures, trained 5 steps by Homeostat on batches 80–84 of the trajectory data. */
function trained(
  type: "adam" | "sgd",
  options: Record<string, unknown>,
): { model: Sequential; optimizer: SavedOptimizer } {
  const model = built(
    [
      new Dense(16, { activation: "relu" }),
      new Dense(8, { activation: "tanh" }),
      new Dense(3, { activation: "softmax" }),
    ],
    6,
    4,
  );
  for (const [, t] of model.parameters()) for (let i = 0; i < t.size; i++) t.data[i] = t.data[i]! * 0.5;
  const opt = optimizerFromConfig({ type, ...options });
  const history = fit(model, trajectoryData(80, 5), {
    epochs: 1,
    batchSize: BATCH,
    optimizer: opt,
    loss: "crossEntropy",
    shuffle: false,
  });
  return { model, optimizer: { type, lr: opt.lr, options: opt.options, state: history.optimizerState } };
}

/**
 * A shaped model with seeded weights and BatchNorm running statistics away from (0, 1), so that a
 * transposed conv tap or a swapped mean and variance shows in the outputs; weights scaled by their
 * fan-in keep the outputs of O(1), where the comparison's bound is float32 rounding.
 */
export function shaped(
  layers: ConstructorParameters<typeof Sequential>[0],
  shape: number[],
  seed: number,
): Sequential {
  const model = new Sequential(layers).build(shape, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (const [name, t] of [...model.parameters(), ...model.buffers()])
    for (let i = 0; i < t.size; i++)
      t.data[i] = name.endsWith("Var")
        ? 0.5 + rng.next()
        : name.endsWith("weight") && t.rank === 1
          ? 1 + 0.3 * rng.normal()
          : t.rank === 2
            ? rng.normal() / Math.sqrt(t.shape[1]!) // outputs of O(1), where float32 spacing is 1.2e-7
            : 0.5 * rng.normal();
  return model;
}

/** Rows of `width` ids in 0…vocabulary−1, as floats. */
export function idInputs(width: number, vocabulary: number, rows: number, seed: number): Tensor {
  const rng = new Rng(seed);
  return new Tensor(
    Float32Array.from({ length: rows * width }, () => Math.floor(rng.next() * vocabulary)),
    [rows, width],
  );
}

/** Convolutions with "same" padding that is uneven (stride 2, even windows), groups, every pool. */
function shapedCases(): ExportCase[] {
  const cnn = shaped(
    [
      new Conv2D(4, { kernel: 3, padding: "same", activation: "relu" }),
      new BatchNorm(),
      new MaxPool2D({ pool: 2 }),
      new Conv2D(6, { kernel: 2, stride: 2, padding: "same", groups: 2 }),
      new AvgPool2D({ pool: 2, stride: 1, padding: "same" }),
      new Flatten(),
      new Dense(3, { activation: "softmax" }),
    ],
    [6, 6, 2],
    21,
  );
  const sequence = shaped(
    [
      new Embedding(7, 3),
      new Conv1D(4, { kernel: 3, padding: "same", dilation: 2, activation: "tanh" }),
      new GroupNorm(2),
      new GlobalAvgPool(),
      new Dense(2),
    ],
    [5],
    22,
  );
  // Residuals with and without projections (1×1 conv with stride, bias-free dense), a concat of branches.
  const blocks = shaped(
    [
      new Conv2D(4, { padding: "same", activation: "relu" }),
      new Residual([
        new Conv2D(4, { padding: "same", activation: "relu" }),
        new BatchNorm(),
        new Conv2D(4, { padding: "same" }),
      ]),
      new Residual([new Conv2D(6, { stride: 2, padding: "same" })]),
      new Concat([
        [new Conv2D(2, { kernel: 1 })],
        [new MaxPool2D({ pool: 3, stride: 1, padding: "same" }), new Conv2D(3, { kernel: 1 })],
      ]),
      new GlobalAvgPool(),
      new Residual([new Dense(4, { activation: "relu" })]),
      new Dense(3),
    ],
    [5, 5, 3],
    23,
  );
  return [
    { name: "blocks", model: blocks, inputs: randomInputs(75, 8, 17) },
    { name: "cnn", model: cnn, inputs: randomInputs(72, 8, 15) },
    { name: "sequence", model: sequence, inputs: idInputs(5, 7, 8, 16) },
  ];
}

/** A conv net with BatchNorm on the trajectory rows read as [1, 3, 2] images, trained 5 Adam steps. */
function trainedCnn(): { model: Sequential; optimizer: SavedOptimizer } {
  const model = new Sequential([
    new Conv2D(4, { kernel: 2, padding: "same", activation: "relu" }),
    new BatchNorm(),
    new Flatten(),
    new Dense(3, { activation: "softmax" }),
  ]).build([1, 3, 2], new Rng(5)); // two channels: the moments' transpose is not the identity
  const opt = optimizerFromConfig({ type: "adam", lr: 0.01 });
  const history = fit(model, trajectoryData(80, 5), {
    epochs: 1,
    batchSize: BATCH,
    optimizer: opt,
    loss: "crossEntropy",
    shuffle: false,
  });
  return {
    model,
    optimizer: { type: "adam", lr: opt.lr, options: opt.options, state: history.optimizerState },
  };
}

/** Every export case, rebuilt deterministically. */
export function exportCases(): ExportCase[] {
  const mixed = built(
    [
      new Dense(5, { activation: "gelu" }),
      new LayerNorm(),
      new Dropout(0.2),
      new Dense(4, { activation: "leakyRelu" }),
      new Activation("tanh"),
      new Dense(3, { activation: "softmax" }),
    ],
    6,
    2,
  );
  const activations = built(
    [
      new Dense(5, { activation: "elu" }),
      new Dense(5, { activation: "selu" }),
      new Dense(4, { activation: "softplus" }),
      new Dense(4, { activation: "sigmoid" }),
      new Dense(2, { useBias: false }),
    ],
    6,
    3,
  );
  return [
    { name: "mixed", model: mixed, inputs: randomInputs(6, 8, 11) },
    { name: "activations", model: activations, inputs: randomInputs(6, 8, 12) },
    { name: "adam", ...trained("adam", { lr: 0.01 }), inputs: randomInputs(6, 8, 13) },
    { name: "sgd", ...trained("sgd", { lr: 0.05, momentum: 0.9 }), inputs: randomInputs(6, 8, 14) },
    ...shapedCases(),
    { name: "cnnAdam", ...trainedCnn(), inputs: randomInputs(6, 8, 18) },
  ];
}

/** A case's export, as the CLI would make it for `--out NAME.safetensors`. */
export function exportOf(c: ExportCase): SafetensorsExport {
  return exportSafetensors(c.model, {
    weightsFile: `${c.name}.safetensors`,
    description: `Homeostat test export "${c.name}".`,
    ...(c.optimizer ? { optimizer: c.optimizer } : {}),
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  useBackend("js"); // the committed exports are trained on the reference backend (their test pins it too)
  const dir = join(fixturePath("safetensors"), "exports");
  mkdirSync(dir, { recursive: true });
  const inputs: Record<string, unknown> = {};
  for (const c of exportCases()) {
    const files = exportOf(c);
    writeFileSync(join(dir, `${c.name}.safetensors`), files.weights);
    writeFileSync(join(dir, `${c.name}.py`), files.python);
    if (files.optimizer) writeFileSync(join(dir, `${c.name}.optimizer.safetensors`), files.optimizer);
    inputs[c.name] = { x: Array.from(c.inputs.data), inputDim: c.model.inputDim };
  }
  writeFileSync(join(dir, "inputs.json"), `${JSON.stringify(inputs)}\n`);
  console.log(`wrote ${Object.keys(inputs).length} exports to ${dir}`);
}
