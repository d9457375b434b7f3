/**
 * Optimiser moments of a conv weight through safetensors: written in PyTorch's [filters, c, kh, kw]
 * order, read back into Homeostat's, and a moment of any other shape refused by name — including one
 * in Homeostat's own [filters, kh·kw·c] shape, which the optimiser reader alone would take unpermuted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeSafetensors,
  encodeSafetensors,
  exportSafetensors,
  importSafetensors,
} from "../src/io/safetensors.js";
import { Sequential } from "../src/nn/sequential.js";
import { ModelFileError } from "../src/tensor/errors.js";
import { Rng } from "../src/tensor/rng.js";

const model = Sequential.fromLayerConfigs([
  { type: "conv2d", filters: 1, kernel: [2, 2], activation: "identity" },
  { type: "flatten" },
] as never).build([3, 3, 2], new Rng(5));
// Homeostat's row holds taps (ky, kx, c) at (ky·2 + kx)·2 + c: the buffer holds 0..7 in that order.
const optimizer = {
  type: "sgd",
  lr: 0.1,
  options: { momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false },
  state: [{ step: 1, momentumBuffer: [Float32Array.of(0, 1, 2, 3, 4, 5, 6, 7), Float32Array.of(9)] }],
};
const out = exportSafetensors(model, { weightsFile: "c.safetensors", optimizer });

test("a conv moment is written in PyTorch's order and read back in Homeostat's", () => {
  const moment = decodeSafetensors(out.optimizer!).tensors.find((t) => t.name === "state.0.momentum_buffer")!;
  assert.deepEqual(moment.shape, [1, 2, 2, 2]);
  assert.deepEqual([...moment.data], [0, 2, 4, 6, 1, 3, 5, 7]); // index c·4 + ky·2 + kx
  const back = importSafetensors(out.weights, null, "c.safetensors", {
    bytes: out.optimizer!,
    file: "o.safetensors",
  });
  const trace = (back.optimizer!.state as { momentumBuffer?: Float32Array[] }[]).find(
    (s) => s.momentumBuffer,
  )!;
  assert.deepEqual([...trace.momentumBuffer![0]!], [0, 1, 2, 3, 4, 5, 6, 7]);
});

test("a conv moment of another shape is refused by name, Homeostat's own shape included", () => {
  const st = decodeSafetensors(out.optimizer!);
  for (const shape of [[1, 8], [8], [2, 2, 2]]) {
    const bad = encodeSafetensors(
      st.tensors.map((t) => (t.name === "state.0.momentum_buffer" ? { ...t, shape } : t)),
      st.metadata,
    );
    assert.throws(
      () => importSafetensors(out.weights, null, "c.safetensors", { bytes: bad, file: "o.safetensors" }),
      (e: unknown) =>
        e instanceof ModelFileError &&
        e.message ===
          `o.safetensors: tensor "state.0.momentum_buffer" has shape ${JSON.stringify(shape)}; parameter 0 (0.weight) needs [1,2,2,2]` &&
        e.location.layer === "state.0.momentum_buffer" &&
        e.location.file === "o.safetensors",
    );
  }
});
