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
import { Activation, Dense, Dropout, LayerNorm } from "../../src/nn/layers.js";
import type { Sequential } from "../../src/nn/sequential.js";
import { optimizerFromConfig } from "../../src/optim/optimizers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { fit } from "../../src/train/fit.js";
import { fixturePath } from "./fixtures.js";
import { built, randomInputs } from "./models.js";

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
