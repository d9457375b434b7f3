/**
 * The training loop's glue, against plain SGD worked by hand (p ← p − lr·g, so each step's change of
 * the weights shows the rate and the gradient the loop used): what observers may change through the
 * control (the rate, clipping, the optimiser's state), which gradients and activations they are handed,
 * and custom optimisers with and without a fused step.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { type Optimizer, sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { BatchEvent, Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import {
  flatWeights as flat,
  loopOptions as base,
  loopData as data,
  loopModel as model,
} from "./helpers/train-loop.js";

/** Each step's rate, gradients (copied) and the weights before and after it. */
function steps(): Observer & { seen: { lr: number; grads: number[]; before: number[]; after: number[] }[] } {
  const seen: { lr: number; grads: number[]; before: number[]; after: number[] }[] = [];
  let before: number[] = [];
  return {
    seen,
    onTrainBegin: (c) => {
      before = flat(c);
    },
    onBatchEnd: (e, c) => {
      const after = flat(c);
      seen.push({ lr: e.lr, grads: [...e.grads.values()].flatMap((g) => Array.from(g)), before, after });
      before = after;
    },
  };
}

/** |Δp − (−lr·g)| within float32 rounding of p, for every entry. */
function assertSgdStep(
  s: { lr: number; before: number[]; after: number[] },
  g: number[],
  where: string,
): void {
  assert.equal(g.length, s.before.length);
  s.before.forEach((p, i) => {
    const want = p - s.lr * g[i];
    assert.ok(
      Math.abs(s.after[i] - want) <= 1e-6 * Math.max(1, Math.abs(p)),
      `${where}, entry ${i}: ${s.after[i]} vs ${want}`,
    );
  });
}

test("scaleLearningRate multiplies every later step's rate, and the step applies that rate", () => {
  const rec = steps();
  const scale: number[] = [];
  const cut: Observer = {
    onBatchEnd: (e, c) => {
      if (e.step === 1) [0.5, 0.5].forEach((f) => c.scaleLearningRate(f));
      scale.push(c.learningRateScale);
    },
  };
  fit(model(), data, base({ observers: [rec, cut] }));
  assert.deepEqual(
    rec.seen.map((s) => s.lr),
    [0.1, 0.025, 0.025],
  );
  assert.deepEqual(scale, [0.25, 0.25, 0.25]);
  rec.seen.forEach((s, i) => assertSgdStep(s, s.grads, `step ${i + 1}`));
});

test("setClipNorm turns global-norm clipping on and off; clip.value bounds each entry", () => {
  const norm = (g: number[]) => Math.sqrt(g.reduce((s, v) => s + v * v, 0));
  const on = steps();
  fit(model(), data, base({ observers: [on, { onTrainBegin: (c) => c.setClipNorm(1e-3) }] }));
  for (const s of on.seen) {
    assert.ok(Math.abs(norm(s.grads) - 1e-3) < 1e-8, `norm ${norm(s.grads)}`);
    assertSgdStep(s, s.grads, "clipped");
  }
  const off = steps();
  fit(
    model(),
    data,
    base({ clip: { norm: 1e-3 }, observers: [off, { onTrainBegin: (c) => c.setClipNorm(null) }] }),
  );
  assert.ok(norm(off.seen[0].grads) > 1e-2, `unclipped norm ${norm(off.seen[0].grads)}`);
  const value = steps();
  fit(model(), data, base({ clip: { value: 1e-3 }, observers: [value] }));
  for (const s of value.seen) {
    assert.equal(Math.max(...s.grads.map(Math.abs)), Math.fround(1e-3));
    assertSgdStep(s, s.grads, "clipped by value");
  }
});

test("observers see the gradient before the optimiser turns it into an update", () => {
  // SGD with weight decay 0.5: the update is g + 0.5·p, the gradient observers see is g alone.
  const rec = steps();
  fit(model(), data, base({ optimizer: sgd({ lr: 0.1, weightDecay: 0.5 }), observers: [rec] }));
  for (const s of rec.seen)
    assertSgdStep(
      s,
      s.grads.map((g, i) => g + 0.5 * s.before[i]),
      "decayed",
    );
});

test("setOptimizerState replaces the state the next step uses (a momentum buffer reset)", () => {
  // Momentum 0.9: step 2 moves by lr·(0.9·g₁ + g₂) — or by lr·g₂ after a fresh state.
  const optimizer = sgd({ lr: 0.1, momentum: 0.9 });
  const run = (reset: boolean) => {
    const rec = steps();
    const resetter: Observer = {
      onBatchEnd: (e, c) => {
        if (reset && e.step === 1)
          c.setOptimizerState(optimizer.init(c.parameters.map(([, t]) => t.data as Float32Array)));
      },
    };
    let live: unknown;
    const h = fit(
      model(),
      data,
      base({
        optimizer,
        observers: [rec, resetter, { onTrainEnd: (_h, c) => (live = c.getOptimizerState()) }],
      }),
    );
    assert.equal(live, h.optimizerState);
    return rec.seen;
  };
  const kept = run(false);
  assertSgdStep(
    kept[1],
    kept[1].grads.map((g, i) => g + 0.9 * kept[0].grads[i]),
    "momentum kept",
  );
  const fresh = run(true);
  assertSgdStep(fresh[1], fresh[1].grads, "momentum reset");
});

test("gradients are copied only when some observer wants them; activations when any observer asks", () => {
  const sizes = (observers: Observer[]) => {
    const n: number[] = [];
    fit(
      model(),
      data,
      base({
        observers: [...observers, { wantsGradients: () => false, onBatchEnd: (e) => n.push(e.grads.size) }],
      }),
    );
    return n;
  };
  assert.deepEqual(sizes([]), [0, 0, 0]);
  assert.deepEqual(sizes([{}]), [4, 4, 4]);
  assert.deepEqual(sizes([{ wantsGradients: (loss) => loss > 100 }]), [0, 0, 0]);
  // Wanted on the first step only: the later steps hand out no gradients, not the first step's stale copies.
  let asked = 0;
  assert.deepEqual(sizes([{ wantsGradients: () => asked++ === 0 }]), [4, 0, 0]);

  const m = new Sequential([
    new Dense(2, { activation: "relu" }),
    new Dense(3, { activation: "softmax" }),
  ]).build(2, new Rng(0));
  m.parameters()[0][1].data.set([1, -1, 2, 0]); // unit 0: x₀ − x₁, unit 1: 2x₀ − 1
  m.parameters()[1][1].data.set([0, -1]);
  const x = Tensor.from([
    [1, 2],
    [3, 1],
  ]);
  const y = Tensor.from([
    [1, 0, 0],
    [0, 1, 0],
  ]);
  const seen: BatchEvent["activations"][] = [];
  fit(
    m,
    { x, y },
    base({
      epochs: 1,
      batchSize: 2,
      shuffle: false,
      observers: [{}, { wantsActivations: true, onBatchEnd: (e) => seen.push(e.activations) }],
    }),
  );
  const hidden = seen[0]!.get("0")!;
  assert.deepEqual(Array.from(hidden.preActivation!.data), [-1, 1, 2, 5]);
  assert.deepEqual(Array.from(hidden.output.data), [0, 1, 2, 5]);
  assert.deepEqual(hidden.output.shape, [2, 2]);
  const none: unknown[] = [];
  fit(model(), data, base({ observers: [{ onBatchEnd: (e) => none.push(e.activations) }] }));
  assert.deepEqual(none, [undefined, undefined, undefined]);
});

/** SGD without momentum as a custom optimiser; `fused` adds the one-pass `step`. Records which ran. */
function plainSgd(lr: number, fused: boolean): Optimizer & { calls: string[] } {
  const calls: string[] = [];
  return {
    type: "plain",
    lr,
    options: {},
    calls,
    init: () => null,
    update(updates, _state, _params, rate) {
      calls.push("update");
      for (const u of updates) for (let j = 0; j < u.length; j++) u[j] *= rate;
    },
    ...(fused && {
      step(params: Float32Array[], updates: Float32Array[], _state: unknown, rate: number) {
        calls.push("step");
        params.forEach((p, i) => {
          for (let j = 0; j < p.length; j++) p[j] -= rate * updates[i][j];
        });
      },
    }),
  };
}

test("a custom optimiser's fused step is used when it has one, else update and p −= u", () => {
  for (const fused of [true, false]) {
    const optimizer = plainSgd(0.2, fused);
    const rec = steps();
    fit(model(), data, base({ optimizer, observers: [rec] }));
    assert.deepEqual(optimizer.calls, Array(3).fill(fused ? "step" : "update"));
    rec.seen.forEach((s, i) => assertSgdStep(s, s.grads, `fused ${fused}, step ${i + 1}`));
  }
});

test("one observer asking for every activation outweighs one asking for outputs only, in either order", () => {
  // Unit 0: x₀ − x₁, unit 1: 2x₀ − 1; on rows (1, 2) and (3, 1) the pre-activations are [−1, 1; 2, 5].
  const hiddenOf = (asks: (boolean | "outputs")[]) => {
    const m = new Sequential([
      new Dense(2, { activation: "relu" }),
      new Dense(3, { activation: "softmax" }),
    ]).build(2, new Rng(0));
    m.parameters()[0][1].data.set([1, -1, 2, 0]);
    m.parameters()[1][1].data.set([0, -1]);
    const seen: BatchEvent["activations"][] = [];
    const observers: Observer[] = asks.map((wantsActivations, i) => ({
      wantsActivations,
      onBatchEnd: (e) => {
        if (i === 0) seen.push(e.activations);
      },
    }));
    const x = Tensor.from([
      [1, 2],
      [3, 1],
    ]);
    const y = Tensor.from([
      [1, 0, 0],
      [0, 1, 0],
    ]);
    fit(m, { x, y }, base({ epochs: 1, batchSize: 2, shuffle: false, observers }));
    const hidden = seen[0]!.get("0")!;
    assert.deepEqual(Array.from(hidden.output.data), [0, 1, 2, 5]);
    return hidden.preActivation && Array.from(hidden.preActivation.data);
  };
  assert.deepEqual(hiddenOf([true, "outputs"]), [-1, 1, 2, 5]);
  assert.deepEqual(hiddenOf(["outputs", true]), [-1, 1, 2, 5]);
  assert.deepEqual(hiddenOf([false, true, false]), [-1, 1, 2, 5]);
  assert.equal(hiddenOf(["outputs", false]), null);
});
