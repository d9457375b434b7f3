/**
 * Unit tests of observers (regulators, the health monitor) without a training loop: a model with
 * weights written by hand, a training control that records what the observer asked of it, and batch
 * events whose activations, gradients and loss are chosen by the test. The observer sees exactly the
 * numbers the test's hand-computed reference starts from.
 */
import assert from "node:assert/strict";
import type { Dense } from "../../src/nn/layers.js";
import type { Sequential } from "../../src/nn/sequential.js";
import { adam } from "../../src/optim/optimizers.js";
import { Tensor } from "../../src/tensor/tensor.js";
import type { BatchEvent, LayerActivation, TrainingControl } from "../../src/train/events.js";

export interface TestControl extends TrainingControl {
  step: number;
  clipNorm: number | null;
  failed: string | null;
  /** Adam's first and second moments, one array per parameter (the live state, after any setOptimizerState). */
  moments(): { mu: Float32Array[]; nu: Float32Array[] };
}

/**
 * A control over `model` holding a fresh Adam state whose moments are filled with distinct non-zero
 * values (m = 1 + i + 100k, v = 0.5 + i + 100k for entry i of parameter k), so that any reset shows.
 */
export function testControl(model: Sequential): TestControl {
  const parameters = model.parameters();
  let state: unknown = adam().init(parameters.map(([, t]) => t.data as Float32Array));
  let lrScale = 1;
  const control: TestControl = {
    model,
    parameters,
    step: 0,
    clipNorm: null,
    failed: null,
    stop: () => {},
    fail: (reason) => {
      control.failed ??= reason;
    },
    scaleLearningRate: (f) => {
      lrScale *= f;
    },
    get learningRateScale() {
      return lrScale;
    },
    setClipNorm: (n) => {
      control.clipNorm = n;
    },
    getOptimizerState: () => state,
    setOptimizerState: (s) => {
      state = s;
    },
    moments: () =>
      (state as unknown[]).find((s) => s && typeof s === "object" && "mu" in s) as {
        mu: Float32Array[];
        nu: Float32Array[];
      },
  };
  const { mu, nu } = control.moments();
  mu.forEach((a, k) =>
    a.forEach((_, i) => {
      a[i] = 1 + i + 100 * k;
    }),
  );
  nu.forEach((a, k) =>
    a.forEach((_, i) => {
      a[i] = 0.5 + i + 100 * k;
    }),
  );
  return control;
}

/** Write a Dense layer's weights (rows = units) and bias. */
export function setDense(layer: Dense, weight: number[][], bias: number[]): void {
  layer.weight.data.set(weight.flat());
  layer.bias!.data.set(bias);
}

/** A [rows, columns] tensor from nested rows. */
export const rows = (r: number[][]): Tensor =>
  new Tensor(Float32Array.from(r.flat()), [r.length, r[0].length]);

/**
 * A batch event at `step`: each named layer's output given as rows, gradients by parameter name (zero
 * where not given), the loss, and the batch (x, y) the repairs may look at.
 */
export function batchEvent(
  step: number,
  parts: {
    outputs?: Record<string, number[][]>;
    grads?: Record<string, number[]>;
    loss?: number;
    x?: number[][];
    y?: number[][];
    control?: TrainingControl;
  },
): BatchEvent {
  const activations = new Map<string, LayerActivation>(
    Object.entries(parts.outputs ?? {}).map(([name, r]) => [name, { output: rows(r), preActivation: null }]),
  );
  const grads = new Map<string, Float32Array>(
    (parts.control?.parameters ?? []).map(([name, t]) => [name, new Float32Array(t.size)]),
  );
  for (const [name, g] of Object.entries(parts.grads ?? {})) grads.get(name)!.set(g);
  const x = rows(parts.x ?? [[0]]);
  return {
    step,
    epoch: 0,
    batchIndex: step - 1,
    batchSize: x.shape[0],
    partial: false,
    loss: parts.loss ?? 1,
    lr: 1,
    grads,
    penalty: 0,
    activations,
    batch: { x, y: rows(parts.y ?? [[0.5]]) },
  };
}

type Moments = { mu: Float32Array[]; nu: Float32Array[] };

/** A copy of the control's Adam moments, to compare with after a replacement. */
export const copyMoments = (c: TestControl): Moments => ({
  mu: c.moments().mu.map((a) => a.slice()),
  nu: c.moments().nu.map((a) => a.slice()),
});

/**
 * Assert that Adam's moments are `before` with exactly the entries of the replaced `units` of layer
 * `layer` zeroed: their rows of `layer`.weight, entries of `layer`.bias and columns of `next`.weight.
 */
export function assertMomentsZeroedFor(
  control: TestControl,
  before: Moments,
  units: number[],
  layer = "0",
  next = "1",
): void {
  const expected = (b: Float32Array[]): number[][] =>
    control.parameters.map(([name, t], k) =>
      Array.from(b[k], (v, i) => {
        const cols = t.shape[1] ?? 1;
        const hit =
          (name === `${layer}.weight` && units.includes(Math.floor(i / cols))) ||
          (name === `${layer}.bias` && units.includes(i)) ||
          (name === `${next}.weight` && units.includes(i % cols));
        return hit ? 0 : v;
      }),
    );
  assert.deepEqual(
    control.moments().mu.map((a) => Array.from(a)),
    expected(before.mu),
    `Adam m after replacing units ${units} of layer ${layer}`,
  );
  assert.deepEqual(
    control.moments().nu.map((a) => Array.from(a)),
    expected(before.nu),
    `Adam v after replacing units ${units} of layer ${layer}`,
  );
}
