/**
 * Heads without special layers: every scenario uses one output layer, and a scenario decides which of
 * its units a row may be classified into. Task-incremental: the units of the row's own task (a
 * multi-headed network whose heads share nothing but their index range). Class-incremental: the units
 * of every class seen so far. Domain-incremental: all units. Masking is done on the logits, in a loss
 * and in the accuracy below, so the training loop knows nothing about it.
 */
import { argmaxRows } from "../autograd/functional.js";
import * as op from "../autograd/ops.js";
import { crossEntropy, type Loss } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import { Tensor } from "../tensor/tensor.js";
import { rowSlice } from "../train/evaluate.js";
import type { Task, TaskStream } from "./streams.js";

/** A logit this low has probability exactly 0 after a float32 softmax, and its gradient is blocked by `where`. */
const MASKED_LOGIT = -1e9;

/**
 * The output units a prediction for a row of `task` may choose from once tasks 0..stage are trained.
 * Class-incremental: the units of tasks 0..max(stage, task) — a task not yet trained is judged among the
 * classes seen so far plus its own, so its accuracy before training (FWT, the baseline b) is not zero by
 * construction.
 */
export function activeUnits(stream: TaskStream, stage: number, task: Task): readonly number[] {
  if (stream.scenario === "task") return task.classes;
  if (stream.scenario === "class")
    return stream.tasks.slice(0, Math.max(stage, task.index) + 1).flatMap((t) => t.classes);
  return range(stream.outputDim);
}

/**
 * Softmax cross-entropy restricted to the units each row may use at training stage `stage`: for a row
 * labelled with a unit of task t, task t's units (task-incremental); the units of tasks 0..stage
 * (class-incremental); all of them (domain-incremental, the plain loss). Replayed rows of earlier tasks
 * thus keep their own head.
 *
 * @example
 * const { train } = continualStreams(parseContinualConfig({ stream: "split", scenario: "class", strategy: "naive" }));
 * fit(model, train.tasks[2], { ...opts, loss: headLoss(train, 2) }); // task 2, the head masked as "class" says
 */
export function headLoss(stream: TaskStream, stage: number): Loss {
  if (stream.scenario === "domain") return crossEntropy;
  const mask = rowMasker(stream, stage);
  const fused = crossEntropy.fused!;
  return {
    name: "crossEntropy",
    // Probabilities renormalised over the allowed units; only used by models without a softmax output.
    fromOutputs: (p, t) => {
      const kept = op.mul(p, mask(t));
      // Stryker disable next-line UnaryOperator: the outputs are 2-D, so axes -1 and +1 are the same
      return crossEntropy.fromOutputs(op.div(kept, op.sum(kept, -1, true)), t);
    },
    fused: { activation: "softmax", fromLogits: (z, t) => fused.fromLogits(maskLogits(z, mask(t)), t) },
  };
}

/** Logits with the units where `mask` is 0 pushed to −1e9 (no probability, no gradient). */
export function maskLogits(z: Tensor, mask: Tensor): Tensor {
  return op.where(mask, z, MASKED_LOGIT);
}

/** A function from a batch's one-hot targets to its mask ([1, C] when every row shares it, else [rows, C]). */
function rowMasker(stream: TaskStream, stage: number): (target: Tensor) => Tensor {
  const c = stream.outputDim;
  if (stream.scenario === "class") {
    const m = unitMask(
      c,
      stream.tasks.slice(0, stage + 1).flatMap((t) => t.classes),
    );
    const shared = new Tensor(m, [1, c]);
    return () => shared;
  }
  const perTask = stream.tasks.map((t) => unitMask(c, t.classes));
  return (target) => {
    const labels = argmaxRows(target);
    const out = new Float32Array(labels.length * c);
    labels.forEach((u, r) => out.set(perTask[stream.unitTask[u]], r * c));
    return new Tensor(out, [labels.length, c]);
  };
}

function unitMask(c: number, units: readonly number[]): Float32Array {
  const m = new Float32Array(c);
  for (const u of units) m[u] = 1;
  return m;
}

/** Columns `units` of a [rows, C] matrix, differentiably (a product with a 0/1 selection matrix). */
export function selectUnits(z: Tensor, units: readonly number[]): Tensor {
  const c = z.shape[1];
  if (units.length === c) return z;
  const s = new Float32Array(c * units.length);
  units.forEach((u, j) => {
    s[u * units.length + j] = 1;
  });
  return op.matmul(z, new Tensor(s, [c, units.length]));
}

/**
 * Fraction of `task`'s rows the model classifies correctly among `activeUnits(stream, stage, task)`,
 * in inference mode.
 *
 * @example
 * const { test } = continualStreams(parseContinualConfig({ stream: "split", scenario: "task", strategy: "naive" }));
 * headAccuracy(model, test, 4, test.tasks[0]); // accuracy on task 0 after training task 4
 */
export function headAccuracy(
  model: Sequential,
  stream: TaskStream,
  stage: number,
  task: Task,
  batchSize = 500,
): number {
  const units = activeUnits(stream, stage, task);
  const n = task.labels.length;
  if (n === 0) return 0;
  let correct = 0;
  // Stryker disable next-line EqualityOperator: start = n adds an empty batch, which counts nothing
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    // Stryker disable next-line ObjectLiteral: a forward without `training` is an inference forward
    const z = model.forwardLinear(rowSlice(task.x, start, end), { training: false }).data;
    const c = stream.outputDim;
    for (let r = 0; r < end - start; r++) {
      let best = units[0];
      for (const u of units) if (z[r * c + u] > z[r * c + best]) best = u;
      if (best === task.labels[start + r]) correct++;
    }
  }
  return correct / n;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
