/**
 * The conv-net trajectory of test/fixtures/safetensors/make_fixtures.py (part 2b): PyTorch trained a
 * CNN with BatchNorm 5 Adam steps and saved its state dict (num_batches_tracked as I64) and optimiser;
 * Homeostat imports both and runs the same 100 batches. `cnnTrajectory()` gives both loss curves,
 * `trajectoryMarkdown()` the table that scripts/trajectory-doc.mjs writes into docs/models.md (and
 * that test/io-safetensors-cnn-trajectory.test.ts requires to be there, unchanged).
 */
import { readFileSync } from "node:fs";
import { importSafetensors } from "../../src/io/safetensors.js";
import { decodeSafetensors } from "../../src/io/safetensors-format.js";
import { optimizerFromConfig } from "../../src/optim/optimizers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import { fit } from "../../src/train/fit.js";
import { fixturePath } from "./fixtures.js";

/** PyTorch's nn.Sequential(Conv2d, BatchNorm2d, ReLU, MaxPool2d, Conv2d, ReLU, Mean, Linear), channels last. */
export const TRAJECTORY_CNN = {
  inputShape: [8, 8, 1],
  layers: [
    { type: "conv2d", filters: 4, kernel: 3, padding: "same" },
    { type: "batchNorm" },
    { type: "activation", activation: "relu" },
    { type: "maxPool2d", pool: 2 },
    { type: "conv2d", filters: 6, kernel: 3, activation: "relu" },
    { type: "globalAvgPool" },
    { type: "dense", units: 3, activation: "softmax" },
  ],
  source: "trajectory cnn",
};

export interface TrajectoryFixture {
  batchSize: number;
  steps: number;
  optimizer: string;
  lr: number;
  losses: number[];
  numBatchesTracked: number;
}

const read = (name: string): Uint8Array => new Uint8Array(readFileSync(fixturePath("safetensors", name)));

export function trajectoryFixture(): TrajectoryFixture {
  return JSON.parse(new TextDecoder().decode(read("trajectory_cnn.json"))) as TrajectoryFixture;
}

/** PyTorch's and Homeostat's loss at each of the 100 steps after the import. */
export function cnnTrajectory(): { torch: number[]; ours: number[] } {
  const fixture = trajectoryFixture();
  const { model, optimizer } = importSafetensors(
    read("trajectory_cnn.safetensors"),
    TRAJECTORY_CNN,
    "trajectory_cnn.safetensors",
    { bytes: read("trajectory_cnn.optimizer.safetensors"), file: "trajectory_cnn.optimizer.safetensors" },
  );
  const data = decodeSafetensors(read("trajectory_cnn_data.safetensors"), "trajectory_cnn_data.safetensors");
  const [x, y] = data.tensors.map((t) => new Tensor(Float32Array.from(t.data), t.shape));
  const ours: number[] = [];
  fit(
    model,
    { x: x!, y: y! },
    {
      epochs: 1,
      batchSize: fixture.batchSize,
      optimizer: optimizerFromConfig({ type: optimizer!.type, lr: optimizer!.lr, ...optimizer!.options }),
      optimizerState: optimizer!.state,
      loss: "crossEntropy",
      shuffle: false,
      observers: [{ onBatchEnd: (e) => void ours.push(e.loss) }],
    },
  );
  return { torch: fixture.losses, ours };
}

/** The comparison as a Markdown table: step, PyTorch's loss, Homeostat's, their difference. */
export function trajectoryMarkdown(torch: readonly number[], ours: readonly number[]): string {
  const rows = torch.map(
    (t, i) => `| ${i + 1} | ${t.toFixed(7)} | ${ours[i]!.toFixed(7)} | ${(ours[i]! - t).toExponential(2)} |`,
  );
  const worst = Math.max(...torch.map((t, i) => Math.abs(ours[i]! - t) / Math.abs(t)));
  return [
    `Largest relative difference over ${torch.length} steps: ${worst.toExponential(2)}.`,
    "",
    "| step | PyTorch loss | Homeostat loss | Homeostat − PyTorch |",
    "| ---: | ---: | ---: | ---: |",
    ...rows,
  ].join("\n");
}
