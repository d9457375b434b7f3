/**
 * The one interface every continual-learning strategy implements, and the helpers the built-in ones
 * share. A strategy acts through the training loop's observer hooks (`transformBatch`, `lossTerm`,
 * `onGradients`, `onBatchEnd`) and through three task-level hooks the runner calls; it never sees the
 * loop's internals.
 *
 * @example
 * // L2 towards the weights at the end of the previous task, in a few lines:
 * function l2(strength = 0.01): Strategy {
 *   let anchor: Map<string, Float32Array> | null = null;
 *   return {
 *     name: "l2",
 *     onTaskEnd: (ctx) => { anchor = snapshotParameters(ctx.model); },
 *     observer: () => anchor && { lossTerm: ({ parameters }) => quadraticPenalty(parameters, anchor!, null, strength) },
 *   };
 * }
 */
import * as F from "../autograd/functional.js";
import { grad } from "../autograd/backward.js";
import type { Loss } from "../losses/losses.js";
import { quadraticPenalty } from "../losses/penalties.js";
import { Sequential } from "../nn/sequential.js";
import { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";
import { type LabeledData, rowSlice } from "../train/evaluate.js";
import type { Observer } from "../train/events.js";
import type { Task, TaskStream } from "./streams.js";

/** What a strategy is told at each task boundary (in a task-free run: once, for the whole stream). */
export interface TaskContext {
  readonly model: Sequential;
  readonly stream: TaskStream;
  /** The task about to be (or just) trained, and its position. */
  readonly task: Task;
  readonly taskIndex: number;
  /** Tasks 0..taskIndex (the current one included): what a joint learner or a memory may draw on. */
  readonly seen: readonly Task[];
  /** The loss of this stage, with the scenario's head masking: use it for any gradient of the task loss. */
  readonly loss: Loss;
  readonly batchSize: number;
  /** The strategy's own seeded stream (replay sampling, Fisher subsets). */
  readonly rng: Rng;
  /** True in a task-free run: no boundaries are announced, `onTaskStart`/`onTaskEnd` are not called. */
  readonly taskFree: boolean;
}

/**
 * A continual-learning strategy: told when tasks start and end, it may add an observer to each task's
 * training (a penalty, replay, gradient projection) or choose its rows; its state is plain data.
 */
export interface Strategy {
  readonly name: string;
  /** Works without task boundaries (only these may run on a task-free stream). */
  readonly taskFree?: boolean;
  onTaskStart?(ctx: TaskContext): void;
  /** The observer added to this task's `fit` (penalties, replay, gradient projection), if any. */
  observer?(ctx: TaskContext): Observer | null | undefined;
  /** The rows to train this task on, when not the task's own (joint training: all tasks so far). */
  trainingData?(ctx: TaskContext): LabeledData;
  onTaskEnd?(ctx: TaskContext): void;
  /**
   * Everything the strategy keeps across steps and tasks (importances, anchors, memories), as plain data
   * and typed arrays: continual checkpoints store it, and `setState` on a fresh instance continues exactly.
   * State an observer keeps within one task goes in the observer's own `stateKey`/`getState`.
   */
  getState?(): unknown;
  setState?(state: unknown): void;
}

/** A map of typed arrays by parameter name as a plain object (for checkpoints), and back. */
export function mapToState<T>(m: ReadonlyMap<string, T> | null): Record<string, T> | null {
  return m && Object.fromEntries(m);
}
export function mapFromState<T>(o: unknown): Map<string, T> | null {
  return o ? new Map(Object.entries(o as Record<string, T>)) : null;
}

/** A copy of every parameter, by stable name. */
export function snapshotParameters(model: Sequential): Map<string, Float32Array> {
  return new Map(model.parameters().map(([name, t]) => [name, (t.data as Float32Array).slice()]));
}

/** A copy of every parameter and buffer (running statistics), by stable name: all a frozen model holds. */
export function snapshotModel(model: Sequential): Map<string, Float32Array> {
  const all = [...model.parameters(), ...model.buffers()];
  return new Map(all.map(([name, t]) => [name, (t.data as Float32Array).slice()]));
}

/** A frozen copy of `model` (same architecture, copied weights and running statistics), for distillation targets. */
export function cloneModel(model: Sequential): Sequential {
  const copy = Sequential.fromLayerConfigs(model.config().layers).build(
    model.inputShape,
    new Rng(0),
    model.dtype,
  );
  const src = [...model.parameters(), ...model.buffers()];
  [...copy.parameters(), ...copy.buffers()].forEach(([, t], i) => t.data.set(src[i][1].data));
  return copy;
}

/**
 * Call `visit` with each row's gradient of `objective(logits of that row, its target)` (batches of one
 * row), for up to `rows` rows of `data` drawn in a seeded random order; returns how many were visited.
 * Fisher information (EWC) and MAS importances need per-sample gradients: their squares and absolute
 * values do not add up over a batch.
 */
export function perSampleGradients(
  model: Sequential,
  data: LabeledData,
  rows: number,
  rng: Rng,
  objective: (logits: Tensor, target: Tensor) => Tensor,
  visit: (grads: Float32Array[]) => void,
): number {
  return forEachSampledRow(model, data, rows, rng, (logits, target, params) => {
    visit(grad(objective(logits, target), params).map((g) => g.data as Float32Array));
  });
}

/**
 * Call `fn` with the logits (in the graph of the model's parameters, `params`) and the target of each of
 * up to `rows` rows of `data`, one row at a time, drawn in a seeded random order; returns how many.
 */
export function forEachSampledRow(
  model: Sequential,
  data: LabeledData,
  rows: number,
  rng: Rng,
  fn: (logits: Tensor, target: Tensor, params: Tensor[]) => void,
): number {
  const order = rng.permutation(data.x.shape[0]).subarray(0, Math.min(rows, data.x.shape[0]));
  const params = model.parameters().map(([, t]) => t);
  for (const i of order)
    fn(
      model.forwardLinear(rowSlice(data.x, i, i + 1), { training: false }),
      rowSlice(data.y, i, i + 1),
      params,
    );
  return order.length;
}

/** The loss of a batch from its logits (the fused form when the loss has one, as the training loop does). */
export function lossFromLogits(loss: Loss, logits: Tensor, target: Tensor): Tensor {
  return loss.fused ? loss.fused.fromLogits(logits, target) : loss.fromOutputs(F.softmax(logits), target);
}

/** The observer of a quadratic-penalty strategy: no observer until a task has set importances and anchor. */
export function penaltyObserver(
  importance: ReadonlyMap<string, Float32Array> | null,
  anchor: ReadonlyMap<string, Float32Array> | null,
  strength: number,
): Observer | null {
  return importance && anchor
    ? {
        wantsGradients: () => false,
        lossTerm: ({ parameters }) => quadraticPenalty(parameters, anchor, importance, strength),
      }
    : null;
}

/**
 * The mean over up to `rows` rows of the task of `each(per-row gradient)`, element-wise, by parameter
 * name: squares give the empirical Fisher diagonal (EWC), absolute values MAS's importances.
 */
export function meanOfPerSample(
  ctx: TaskContext,
  rows: number,
  objective: (logits: Tensor, target: Tensor) => Tensor,
  each: (g: number) => number,
): Map<string, Float64Array> {
  const out = zerosLike(ctx.model);
  const acc = [...out.values()];
  const n = perSampleGradients(ctx.model, ctx.task, rows, ctx.rng, objective, (grads) => {
    grads.forEach((g, i) => {
      const a = acc[i];
      for (let j = 0; j < g.length; j++) a[j] += each(g[j]);
    });
  });
  for (const a of acc) for (let j = 0; j < a.length; j++) a[j] /= Math.max(n, 1);
  return out;
}

/** Float64 accumulators shaped like the model's parameters, by name. */
export function zerosLike(model: Sequential): Map<string, Float64Array> {
  return new Map(model.parameters().map(([name, t]) => [name, new Float64Array(t.size)]));
}

/** Float32 copies of float64 accumulators (what penalties multiply with). */
export function toFloat32(m: ReadonlyMap<string, Float64Array>): Map<string, Float32Array> {
  return new Map([...m].map(([k, v]) => [k, Float32Array.from(v)]));
}

/** Rows of `data` at `indices`, as a new batch. */
export function gather(data: LabeledData, indices: ArrayLike<number>): LabeledData {
  const d = data.x.shape[1];
  const k = data.y.shape[1];
  const x = new Float32Array(indices.length * d);
  const y = new Float32Array(indices.length * k);
  for (let r = 0; r < indices.length; r++) {
    const i = indices[r];
    x.set(data.x.data.subarray(i * d, (i + 1) * d), r * d);
    y.set(data.y.data.subarray(i * k, (i + 1) * k), r * k);
  }
  return { x: new Tensor(x, [indices.length, d]), y: new Tensor(y, [indices.length, k]) };
}

/** The rows of several data sets (same widths), one after another. */
export function concatData(parts: readonly LabeledData[]): LabeledData {
  const cat = (ts: Tensor[]): Tensor => {
    const rows = ts.reduce((s, t) => s + t.shape[0], 0);
    const out = new Float32Array(rows * ts[0].shape[1]);
    let at = 0;
    for (const t of ts) {
      out.set(t.data, at);
      at += t.size;
    }
    return new Tensor(out, [rows, ts[0].shape[1]]);
  };
  return { x: cat(parts.map((p) => p.x)), y: cat(parts.map((p) => p.y)) };
}
