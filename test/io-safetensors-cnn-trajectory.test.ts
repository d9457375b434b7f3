/**
 * A conv net with BatchNorm trained in PyTorch, imported with its Adam state from a state dict that
 * PyTorch's own dtypes fill (num_batches_tracked is I64), continues in Homeostat on PyTorch's loss
 * curve for 100 steps; docs/models.md carries the table (scripts/trajectory-doc.mjs writes it).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { importSafetensors } from "../src/io/safetensors.js";
import { encodeSafetensors } from "../src/io/safetensors-format.js";
import { ModelFileError } from "../src/tensor/errors.js";
import {
  cnnTrajectory,
  TRAJECTORY_CNN,
  trajectoryFixture,
  trajectoryMarkdown,
} from "./helpers/cnn-trajectory.js";
import { fixturePath } from "./helpers/fixtures.js";
import { useBackend } from "../src/backend/index.js";

// docs/models.md's table was measured on js (scripts/trajectory-doc.mjs pins it too).
useBackend("js");

/**
 * Losses of 0.3–1.1. Each step's gradients differ from PyTorch's in the last bits (summation order;
 * BatchNorm's batch statistics feed every gradient), and Adam carries that forward. Measured: 6.6e-7
 * relative at worst over the 100 steps; Adam restarted from fresh moments instead of the imported
 * ones: 0.18. 1e-5 (the MLP trajectories' bound) sits between.
 */
const LOSS_BOUND = 1e-5;

const losses = cnnTrajectory();

test("a CNN with BatchNorm trained 5 Adam steps in PyTorch continues in Homeostat on PyTorch's curve for 100 steps", (t) => {
  assert.equal(losses.ours.length, 100);
  let worst = 0;
  losses.torch.forEach((b, i) => {
    const r = Math.abs(losses.ours[i]! - b) / Math.abs(b);
    assert.ok(r <= LOSS_BOUND, `step ${i + 1}: loss ${losses.ours[i]} vs PyTorch ${b} (relative ${r})`);
    worst = Math.max(worst, r);
  });
  assert.ok(losses.torch.at(-1)! < 0.7 * losses.torch[0]!, "the net learns, so the steps matter");
  t.diagnostic(`CNN trajectory: max relative loss difference over 100 steps ${worst.toExponential(2)}`);
});

test("docs/models.md holds the trajectory table as scripts/trajectory-doc.mjs writes it", () => {
  const doc = readFileSync(fixturePath("..", "..", "docs", "models.md"), "utf8");
  assert.ok(
    doc.includes(trajectoryMarkdown(losses.torch, losses.ours)),
    "docs/models.md is out of date: run npm run build && node scripts/trajectory-doc.mjs",
  );
});

test("a real PyTorch state dict carries num_batches_tracked as an I64 scalar; import checks it and leaves it out", () => {
  const bytes = new Uint8Array(readFileSync(fixturePath("safetensors", "trajectory_cnn.safetensors")));
  const header = new TextDecoder().decode(
    bytes.subarray(8, 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true))),
  );
  assert.match(header, /"1\.num_batches_tracked":\{"dtype":"I64","shape":\[\]/);
  assert.equal(trajectoryFixture().numBatchesTracked, 5);
  const { model } = importSafetensors(bytes, TRAJECTORY_CNN, "t.safetensors");
  assert.deepEqual(
    model.buffers().map(([name]) => name),
    ["1.runningMean", "1.runningVar"],
  );
});

/** A BatchNorm-only state dict whose counter is `counter` (I64 values, shape) or a stray I64 tensor. */
function withCounter(values: bigint[], shape: number[], name = "0.num_batches_tracked"): Uint8Array {
  const floats = ["0.weight", "0.bias", "0.running_mean", "0.running_var"].map((n) => ({
    name: n,
    dtype: "F32" as const,
    shape: [2],
    data: Float32Array.of(1, 2),
  }));
  const plain = encodeSafetensors(floats);
  // Append an I64 tensor by hand: Homeostat never writes one.
  const headerLength = Number(new DataView(plain.buffer).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(plain.subarray(8, 8 + headerLength))) as Record<
    string,
    unknown
  >;
  const data = plain.subarray(8 + headerLength);
  header[name] = { dtype: "I64", shape, data_offsets: [data.length, data.length + 8 * values.length] };
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + data.length + 8 * values.length);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(data, 8 + text.length);
  values.forEach((v, i) => view.setBigInt64(8 + text.length + data.length + 8 * i, v, true));
  return out;
}

const BN = { layers: [{ type: "batchNorm" }], inputDim: 2, source: "bn" };

test("an I64 counter that is not one count, is negative, or is another I64 tensor is refused by name", () => {
  assert.equal(importSafetensors(withCounter([7n], []), BN, "bn.safetensors").model.buffers().length, 2);
  const refuses = (bytes: Uint8Array, ...fragments: string[]) =>
    assert.throws(
      () => importSafetensors(bytes, BN, "bn.safetensors"),
      (e: unknown) => e instanceof ModelFileError && fragments.every((f) => e.message.includes(f)),
    );
  refuses(withCounter([-1n], []), `"0.num_batches_tracked"`, "at least 0", "[-1]");
  refuses(withCounter([1n, 2n], [2]), `"0.num_batches_tracked"`, "shape [2]");
  refuses(withCounter([3n], [], "0.steps"), `tensor "0.steps" is I64`);
  refuses(
    withCounter([3n], [], "5.num_batches_tracked"),
    `"5.num_batches_tracked" not in the declared architecture`,
  );
});
