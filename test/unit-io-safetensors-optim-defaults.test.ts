/**
 * An Adam param group without `betas` (PyTorch's state dicts always carry them; a hand-written group
 * may not) reads as Homeostat's defaults, which are PyTorch's (0.9, 0.999), not as a refusal.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { optimizerFromTensors } from "../src/io/safetensors-optim.js";

test("an Adam group without betas takes the default betas (0.9, 0.999)", () => {
  for (const betas of ["", ',"betas":null']) {
    const got = optimizerFromTensors(
      {
        tensors: [],
        metadata: { optimizer: "Adam", param_groups: `[{"lr":0.01,"eps":1e-8${betas},"params":[0]}]` },
      },
      [{ name: "0.weight", shape: [2] }],
      [new Float32Array(2)],
      "opt.safetensors",
    );
    assert.deepEqual([got.options.beta1, got.options.beta2], [0.9, 0.999], betas);
  }
});
