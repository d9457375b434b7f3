/**
 * What fit's observers see and may do: batch events with the loss and gradients (against autograd on
 * the same batch), the rate a schedule sets and the norm clipping leaves, and the hooks (a loss term,
 * a batch transform, gradient edits, activations, failure).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { grad } from "../src/autograd/backward.js";
import * as op from "../src/autograd/ops.js";
import { crossEntropy } from "../src/losses/losses.js";
import { sgd } from "../src/optim/optimizers.js";
import { stepDecay } from "../src/optim/schedules.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { BatchEvent } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { threeBlobs as blobs, blobsMlp as mlp, parameterValues as weights } from "./helpers/models.js";

test("batch events carry the loss and each parameter's gradient, equal to autograd on the same batch", () => {
  const data = blobs(32, 4);
  const m = mlp(2);
  const ref = mlp(2); // same initial weights
  const events: { loss: number; grads: Map<string, Float32Array>; step: number; lr: number }[] = [];
  fit(m, data, {
    epochs: 2,
    batchSize: 8,
    optimizer: sgd({ lr: 0.1 }),
    loss: crossEntropy,
    seed: 0,
    shuffle: false,
    observers: [
      {
        onBatchEnd: (e: BatchEvent) =>
          events.push({
            loss: e.loss,
            step: e.step,
            lr: e.lr,
            grads: new Map([...e.grads].map(([k, v]) => [k, Float32Array.from(v)])),
          }),
      },
    ],
  });
  assert.equal(events.length, 8);
  assert.deepEqual(
    events.map((e) => e.step),
    [1, 2, 3, 4, 5, 6, 7, 8],
  );
  // First batch: rows 0..7, computed independently.
  const xb = new Tensor(data.x.data.slice(0, 16), [8, 2]);
  const yb = new Tensor(data.y.data.slice(0, 24), [8, 3]);
  const loss = crossEntropy.fused!.fromLogits(ref.forwardLinear(xb), yb);
  const gs = grad(
    loss,
    ref.parameters().map(([, t]) => t),
  );
  assert.equal(events[0].loss, loss.item());
  ref
    .parameters()
    .forEach(([name], i) => assert.deepEqual(Array.from(events[0].grads.get(name)!), Array.from(gs[i].data)));
  assert.deepEqual([...events[0].grads.keys()], ["0.weight", "0.bias", "1.weight", "1.bias"]);
});

test("a schedule scales the learning rate; clipping bounds the gradient norm observers see", () => {
  const data = blobs(40, 5);
  const lrs: number[] = [];
  let maxNorm = 0;
  fit(mlp(1), data, {
    epochs: 4,
    batchSize: 20,
    optimizer: sgd({ lr: 1 }),
    loss: crossEntropy,
    seed: 0,
    schedule: stepDecay({ stepSize: 2, gamma: 0.5 }),
    clip: { norm: 0.05 },
    observers: [
      {
        onBatchEnd: (e) => {
          lrs.push(e.lr);
          let s = 0;
          for (const g of e.grads.values()) for (const v of g) s += v * v;
          maxNorm = Math.max(maxNorm, Math.sqrt(s));
        },
      },
    ],
  });
  assert.deepEqual(lrs, [1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5]);
  assert.ok(maxNorm <= 0.05 * (1 + 1e-5), `norm ${maxNorm}`);
});

test("observer hooks: a loss term, a batch transform, gradient edits, activations and failure", () => {
  const data = blobs(24, 8);
  // An L2 penalty λ/2‖θ‖² as a loss term moves SGD exactly as weight decay λ does.
  const lambda = 0.1;
  const a = mlp(1);
  const b = mlp(1);
  const l2 = {
    lossTerm: (ctx: { parameters: readonly [string, Tensor][] }) =>
      ctx.parameters.map(([, p]) => op.mul(op.sum(op.mul(p, p)), lambda / 2)).reduce((s, t) => op.add(s, t)),
  };
  const h = fit(a, data, {
    epochs: 2,
    batchSize: 8,
    optimizer: sgd({ lr: 0.1 }),
    loss: crossEntropy,
    seed: 0,
    observers: [l2],
  });
  fit(b, data, {
    epochs: 2,
    batchSize: 8,
    optimizer: sgd({ lr: 0.1, weightDecay: lambda }),
    loss: crossEntropy,
    seed: 0,
  });
  weights(a).forEach((w, i) => w.forEach((v, j) => assert.ok(Math.abs(v - weights(b)[i][j]) < 1e-6)));
  assert.equal(h.steps, 6);

  // transformBatch doubles each batch; onGradients zeroes the output layer's gradient (freezing it);
  // activations arrive per layer with the batch's shape.
  const m = mlp(2);
  const frozen = weights(m)[2];
  const seen: { size: number; layers: string[]; hidden: number[] }[] = [];
  fit(m, data, {
    epochs: 1,
    batchSize: 8,
    optimizer: sgd({ lr: 0.5 }),
    loss: crossEntropy,
    seed: 0,
    observers: [
      {
        wantsActivations: true,
        transformBatch: (batch) => ({
          x: op.reshape(op.expand(op.reshape(batch.x, [1, 8, 2]), [2, 8, 2]), [16, 2]),
          y: op.reshape(op.expand(op.reshape(batch.y, [1, 8, 3]), [2, 8, 3]), [16, 3]),
        }),
        onGradients: (grads) => grads.get("1.weight")!.fill(0),
        onBatchEnd: (e) =>
          seen.push({
            size: e.batchSize,
            layers: [...e.activations!.keys()],
            hidden: [...e.activations!.get("0")!.output.shape],
          }),
      },
    ],
  });
  assert.deepEqual(seen[0], { size: 16, layers: ["0", "1"], hidden: [16, 16] });
  assert.deepEqual(weights(m)[2], frozen);

  const f = fit(mlp(1), data, {
    epochs: 5,
    batchSize: 8,
    optimizer: sgd({ lr: 0.1 }),
    loss: crossEntropy,
    observers: [
      {
        onBatchEnd: (e, c) => {
          if (e.step === 2) c.fail("gave up");
        },
      },
    ],
  });
  assert.equal(f.failed, "gave up");
  assert.equal(f.steps, 2);
});
