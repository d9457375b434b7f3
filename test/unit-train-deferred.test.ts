/**
 * Dense layers' weight gradients left as factors for Adam's fused pass (batches of at most 3 rows):
 * clipping, `onGradients` hooks and the gradients handed to observers must still see the computed
 * gradient. Checked against a float64 reference run written out here: a linear 3→2 layer under MSE
 * (gradient in closed form), clipped as PyTorch clips, then plain Adam.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { mse } from "../src/losses/losses.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/fit.js";
import { TrainingRun } from "../src/train/run.js";

// Weights become resident update buffers (where deferral happens) from 1024 entries: a 64→16 layer.
const INPUTS = 64;
const UNITS = 16;
const ROWS = 4;
/** Entries spread over about [−1, 1], fixed by formula so that the reference needs no generator. */
const spread = (i: number, salt: number) => Math.sin(1.7 * i + salt) * Math.cos(0.3 * i);
const X = Array.from({ length: ROWS }, (_, r) =>
  Array.from({ length: INPUTS }, (_, i) => spread(r * INPUTS + i, 1)),
);
const T = Array.from({ length: ROWS }, (_, r) =>
  Array.from({ length: UNITS }, (_, u) => 2 * spread(r * UNITS + u, 2)),
);
const W0 = Array.from({ length: UNITS * INPUTS }, (_, j) => 0.1 * spread(j, 3)); // [units, inputs], row by row
const B0 = Array.from({ length: UNITS }, (_, u) => 0.2 * spread(u, 4));
const LR = 0.1;
const EPS = 0.01; // large, so that Adam's steps still show the gradient's size, not only its sign

/** The 64→16 linear layer set to W0 and B0. */
function layer(): Sequential {
  const m = new Sequential([new Dense(UNITS)]).build(INPUTS, new Rng(0));
  const [[, w], [, b]] = m.parameters();
  w.data.set(W0);
  b.data.set(B0);
  return m;
}

/** Gradients of mean((xWᵀ + b − t)²) over the rows given, in float64: [dW, db]. */
function referenceGradient(w: number[], b: number[], rows: number[]): number[][] {
  const dw = new Array(UNITS * INPUTS).fill(0);
  const db = new Array(UNITS).fill(0);
  const scale = 2 / (rows.length * UNITS);
  for (const r of rows)
    for (let u = 0; u < UNITS; u++) {
      let y = b[u];
      for (let i = 0; i < INPUTS; i++) y += w[u * INPUTS + i] * X[r][i];
      const dz = scale * (y - T[r][u]);
      db[u] += dz;
      for (let i = 0; i < INPUTS; i++) dw[u * INPUTS + i] += dz * X[r][i];
    }
  return [dw, db];
}

interface Reference {
  /** Each step's gradient as the hook and observers see it (before clipping), then the weights at the end. */
  grads: number[][][];
  weights: number[];
}

/** Two Adam steps on batches [0, 1] and [2, 3], with `edit` (a hook's change) then clipping applied. */
function referenceRun(
  edit: (g: number[][]) => void,
  clip: { norm?: number; value?: number } = {},
): Reference {
  const p = [W0.slice(), B0.slice()];
  const m = p.map((a) => a.map(() => 0));
  const v = p.map((a) => a.map(() => 0));
  const grads: number[][][] = [];
  [
    [0, 1],
    [2, 3],
  ].forEach((rows, s) => {
    const g = referenceGradient(p[0], p[1], rows);
    edit(g);
    grads.push(g.map((a) => a.slice()));
    if (clip.norm !== undefined) {
      const total = Math.sqrt(g.flat().reduce((acc, x) => acc + x * x, 0));
      const coef = clip.norm / (total + 1e-6);
      if (coef < 1) for (const a of g) a.forEach((x, j) => (a[j] = x * coef));
    }
    const c = clip.value;
    if (c !== undefined) for (const a of g) a.forEach((x, j) => (a[j] = Math.min(c, Math.max(-c, x))));
    const t = s + 1;
    g.forEach((a, k) =>
      a.forEach((x, j) => {
        m[k][j] = 0.9 * m[k][j] + 0.1 * x;
        v[k][j] = 0.999 * v[k][j] + 0.001 * x * x;
        const mHat = m[k][j] / (1 - 0.9 ** t);
        const vHat = v[k][j] / (1 - 0.999 ** t);
        p[k][j] -= (LR * mHat) / (Math.sqrt(vHat) + EPS);
      }),
    );
  });
  return { grads, weights: p.flat() };
}

/** Two steps of the library's loop: batches of 2 rows (deferred), Adam, the given options. */
function libraryRun(observers: Observer[], clip?: { norm?: number; value?: number }): number[] {
  const model = layer();
  fit(
    model,
    { x: Tensor.from(X), y: Tensor.from(T) },
    {
      epochs: 1,
      batchSize: 2,
      shuffle: false,
      loss: mse,
      optimizer: adam({ lr: LR, eps: EPS }),
      seed: 0,
      observers,
      clip,
    },
  );
  return model.parameters().flatMap(([, t]) => Array.from(t.data));
}

function assertClose(got: number[], want: number[], where: string): void {
  assert.equal(got.length, want.length, where);
  got.forEach((x, i) => assert.ok(Math.abs(x - want[i]) <= 2e-6, `${where}, entry ${i}: ${x} vs ${want[i]}`));
}

/** An observer that keeps each step's gradients from `onGradients`, and may change them there. */
function hook(change: (g: Float32Array) => void = () => {}): Observer & { seen: number[][] } {
  const seen: number[][] = [];
  return {
    seen,
    onGradients: (grads) => {
      seen.push([...grads.values()].flatMap((g) => Array.from(g)));
      for (const g of grads.values()) change(g);
    },
  };
}

test("with no observer and no clipping, the fused step applies Adam to the closed-form gradient", () => {
  const want = referenceRun(() => {});
  assertClose(libraryRun([]), want.weights, "weights");
  // The gradients are not small next to eps: Adam's steps move the weights by more than the tolerance.
  assert.ok(want.grads[0][0].some((g) => Math.abs(g) > EPS));
  assert.ok(want.weights.some((w, i) => Math.abs(w - [...W0, ...B0][i]) > 0.05));
});

test("clipping by norm and by value reads the computed weight gradients", () => {
  assertClose(libraryRun([], { norm: 0.5 }), referenceRun(() => {}, { norm: 0.5 }).weights, "clip norm 0.5");
  assertClose(
    libraryRun([], { value: 0.2 }),
    referenceRun(() => {}, { value: 0.2 }).weights,
    "clip value 0.2",
  );
  // Both clip this run's gradients: the clipped runs end elsewhere than the plain one.
  const plain = referenceRun(() => {}).weights;
  for (const clip of [{ norm: 0.5 }, { value: 0.2 }])
    assert.ok(
      referenceRun(() => {}, clip).weights.some((w, i) => Math.abs(w - plain[i]) > 1e-3),
      JSON.stringify(clip),
    );
});

test("a control that turns clipping on mid-run clips the deferred gradients from then on", () => {
  const on: Observer = {
    readsGradients: () => false,
    onGradients: () => {},
    onTrainBegin: (c) => c.setClipNorm(0.5),
  };
  assertClose(libraryRun([on]), referenceRun(() => {}, { norm: 0.5 }).weights, "setClipNorm(0.5)");
});

test("onGradients sees the computed gradients, and its changes reach the fused step", () => {
  const reader = hook();
  const want = referenceRun(() => {});
  assertClose(libraryRun([reader]), want.weights, "read only");
  reader.seen.forEach((g, s) => assertClose(g, want.grads[s].flat(), `step ${s + 1} gradients`));

  const doubled = referenceRun((g) => g.forEach((a) => a.forEach((x, j) => (a[j] = 2 * x))));
  assertClose(libraryRun([hook((g) => g.forEach((x, j) => (g[j] = 2 * x)))]), doubled.weights, "doubled");
  assert.ok(doubled.weights.some((w, i) => Math.abs(w - want.weights[i]) > 1e-3));

  // Beside observers without a hook (one reader is enough to compute the gradients first).
  const second = hook();
  assertClose(libraryRun([{}, second, { onBatchEnd: () => {} }]), want.weights, "reader among others");
  second.seen.forEach((g, s) => assertClose(g, want.grads[s].flat(), `step ${s + 1}, among others`));

  // Zeroed gradients: Adam's first step moves nothing (m = v = 0).
  const zeroed = libraryRun([hook((g) => g.fill(0))]);
  assert.deepEqual(zeroed, [...W0, ...B0].map(Math.fround));
});

test("a hook that says it reads no gradient leaves the fused step as it was", () => {
  let calls = 0;
  const blind: Observer = { readsGradients: () => false, onGradients: () => void calls++ };
  assertClose(libraryRun([blind]), referenceRun(() => {}).weights, "blind hook");
  assert.equal(calls, 2);
});

test("the gradients handed to onBatchEnd are each step's computed ones, not the buffers' stale bits", () => {
  const seen: number[][] = [];
  const keeper: Observer = {
    onBatchEnd: (e) => seen.push([...e.grads.values()].flatMap((g) => Array.from(g))),
  };
  const want = referenceRun(() => {});
  assertClose(libraryRun([keeper]), want.weights, "weights");
  assert.equal(seen.length, 2);
  seen.forEach((g, s) => assertClose(g, want.grads[s].flat(), `step ${s + 1}`));
});

test("a step that threw leaves no deferred gradient behind for the next step", () => {
  // A lifelong learner keeps its run after a step throws. Here a hook that reads no gradient throws after
  // backward deferred the 2-row step's weight gradient; the next step, on 4 rows, defers none, and must
  // move the weights as the same step does in a run that never failed (the failed step reached no optimiser).
  const rows = (from: number, n: number) => ({
    x: Tensor.from([...X, ...X].slice(from, from + n)),
    y: Tensor.from([...T, ...T].slice(from, from + n)),
  });
  const after = (fail: boolean) => {
    const model = layer();
    let throwing = fail;
    const hook: Observer = {
      readsGradients: () => false,
      onGradients: () => {
        if (throwing) throw new Error("hook failed");
      },
    };
    const opts = {
      epochs: 1,
      batchSize: 1,
      optimizer: adam({ lr: LR, eps: EPS }),
      loss: mse,
      observers: [hook],
    };
    const rngs = { shuffle: new Rng(1), dropout: new Rng(2), augment: new Rng(3) };
    const run = new TrainingRun(model, rows(0, 1), mse, opts, rngs);
    if (fail) assert.throws(() => run.trainOn(rows(0, 2)), /hook failed/);
    throwing = false;
    run.trainOn(rows(1, 4));
    return model.parameters().flatMap(([, t]) => Array.from(t.data));
  };
  const clean = after(false);
  assert.deepEqual(after(true), clean);
  // One Adam step from W0 on rows 1..4: the reference's first step on those rows.
  const p = [W0.slice(), B0.slice()];
  const g = referenceGradient(p[0], p[1], [1, 2, 3, 0]);
  const want = g.flatMap((a, k) => a.map((x, j) => p[k][j] - (LR * x) / (Math.abs(x) + EPS)));
  assertClose(clean, want, "one step on 4 rows");
});
