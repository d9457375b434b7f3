import * as F from "../../autograd/functional.js";
import * as op from "../../autograd/ops.js";
import type { Sequential } from "../../nn/sequential.js";
import { Tensor } from "../../tensor/tensor.js";
import type { Batch } from "../../train/events.js";
import { lossFromLogits, type Strategy, type TaskContext } from "../strategy.js";
import { ReservoirBuffer } from "./replay.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

export interface DerppOptions {
  /** Rows the memory holds (each with its label and the logits it had when stored). */
  bufferSize?: number;
  /** Memory rows per replay term (two draws per step: one for the logits, one for the labels); 0 = the batch size. */
  replayBatch?: number;
  /** Weight α of the mean squared error between the logits now and the stored ones. */
  alpha?: number;
  /** Weight β of the cross-entropy on stored rows and their labels. */
  beta?: number;
}

/** A reservoir memory as a checkpoint keeps it. */
export interface MemoryState {
  x: Float32Array;
  y: Float32Array;
  size: number;
  offered: number;
}

/** The memory's state for `getState` (null before the first task). */
export function memoryState(buffer: ReservoirBuffer | null): MemoryState | null {
  return buffer && { x: buffer.x, y: buffer.y, size: buffer.size, offered: buffer.offered };
}

/** A reservoir of `capacity` rows of `inputDim` inputs and `rowDim` targets, filled from `restored` if given. */
export function restoreMemory(
  capacity: number,
  inputDim: number,
  rowDim: number,
  ctx: TaskContext,
  restored: MemoryState | null,
): ReservoirBuffer {
  const buffer = new ReservoirBuffer(capacity, inputDim, rowDim, ctx.rng);
  if (restored) {
    buffer.x.set(restored.x);
    buffer.y.set(restored.y);
    [buffer.size, buffer.offered] = [restored.size, restored.offered];
  }
  return buffer;
}

/** Columns [from, from + width) of a [rows, C] matrix, as a new tensor. */
function columns(m: Tensor, from: number, width: number): Tensor {
  const [rows, stride] = m.shape;
  const data = m.data;
  const out = new Float32Array(rows * width);
  for (let r = 0; r < rows; r++)
    out.set(data.subarray(r * stride + from, r * stride + from + width), r * width);
  return new Tensor(out, [rows, width]);
}

/** [a | b] row by row: labels and logits stored side by side in one memory row. */
function sideBySide(a: Tensor, b: Tensor): Tensor {
  const [rows, ka, kb] = [a.shape[0], a.shape[1], b.shape[1]];
  const out = new Float32Array(rows * (ka + kb));
  for (let r = 0; r < rows; r++) {
    out.set(a.data.subarray(r * ka, (r + 1) * ka), r * (ka + kb));
    out.set(b.data.subarray(r * kb, (r + 1) * kb), r * (ka + kb) + ka);
  }
  return new Tensor(out, [rows, ka + kb]);
}

/**
 * DER++'s extra terms on memory draws `a` (rows, labels, stored logits z) and `b`:
 * α · mean((f(a.x) − a.z)²) + β · CE(f(b.x), b.y), the cross-entropy with the stage's head (`loss`).
 * The mean is over rows and units, as PyTorch's `mse_loss` (the authors' code).
 *
 * @example
 * derppTerm(model, crossEntropy, { x, y, z }, { x, y, z }, 1, 0.5).item();
 */
export function derppTerm(
  model: Sequential,
  loss: TaskContext["loss"],
  a: { x: Tensor; z: Tensor },
  b: Batch,
  alpha: number,
  beta: number,
): Tensor {
  const distill = F.mean(F.square(op.sub(model.forwardLinear(a.x, { training: false }), a.z)));
  const labels = lossFromLogits(loss, model.forwardLinear(b.x, { training: false }), b.y);
  return op.add(op.mul(distill, alpha), op.mul(labels, beta));
}

/**
 * Dark experience replay++ (Buzzega, Boschini, Porrello, Abati & Calderara 2020, "Dark Experience for
 * General Continual Learning: a Strong, Simple Baseline"). A reservoir memory keeps each row with its
 * label and the logits the network gave it when it was stored; each step adds to the batch's loss
 * α · MSE(logits now, stored logits) on one memory draw and β · cross-entropy on another's labels. Every
 * step offers its rows, in every epoch, as in the authors' code (`replay` offers a task's first epoch only).
 * Matching logits along the optimisation trajectory keeps the old function, not just its argmax; needs no task
 * boundaries, so it also runs on task-free streams. Stored rows are forwarded in inference mode (no
 * dropout) and keep their own head (heads.ts).
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: { type: "derpp", bufferSize: 500, alpha: 1, beta: 0.5 } }));
 */
export function derpp(opts: DerppOptions = {}): Strategy {
  const capacity = opts.bufferSize ?? OPTIONS.bufferSize.default;
  const alpha = opts.alpha ?? OPTIONS.alpha.default;
  const beta = opts.beta ?? OPTIONS.beta.default;
  let buffer: ReservoirBuffer | null = null;
  let restored: MemoryState | null = null;
  return {
    name: "derpp",
    taskFree: true,
    getState: () => memoryState(buffer),
    setState: (s) => {
      [buffer, restored] = [null, s as MemoryState | null];
    },
    observer: (ctx) => {
      const c = ctx.stream.outputDim;
      // Labels and logits side by side: one memory row is [x | y | z], sampled together.
      buffer ??= restoreMemory(capacity, ctx.stream.inputDim, 2 * c, ctx, restored);
      restored = null;
      const memory = buffer;
      const rows = opts.replayBatch || ctx.batchSize;
      const draw = () => {
        const s = memory.sample(rows);
        return { x: s.x, y: columns(s.y, 0, c), z: columns(s.y, c, c) };
      };
      return {
        wantsGradients: () => false,
        lossTerm: ({ batch, logits }) => {
          const term = memory.size > 0 ? derppTerm(ctx.model, ctx.loss, draw(), draw(), alpha, beta) : null;
          // Every step's rows are offered, in every epoch (the authors' code): the memory samples the
          // optimisation trajectory, so later epochs' better logits replace earlier ones. Stored after the
          // draws: a row is not replayed in the step that stores it.
          memory.offer({ x: batch.x, y: sideBySide(batch.y, logits.detach()) });
          return term;
        },
      };
    },
  };
}

const OPTIONS = {
  bufferSize: {
    kind: "number",
    default: 500,
    min: 1,
    integer: true,
    doc: "rows in memory, each with its label and stored logits (500, as replay)",
  },
  replayBatch: {
    kind: "number",
    default: 0,
    min: 0,
    integer: true,
    doc: "memory rows per replay term; 0 = the batch size (the authors' Split MNIST setting)",
  },
  alpha: {
    kind: "number",
    default: 1,
    min: 0,
    doc: "weight of the MSE on stored logits (1, the authors' Split MNIST value at 500 rows)",
  },
  beta: {
    kind: "number",
    default: 0.5,
    min: 0,
    doc: "weight of the cross-entropy on stored labels (0.5, the authors' Split MNIST value at 500 rows)",
  },
} as const satisfies OptionSchema;

/** `{"type": "derpp", …}` as a run config's continual strategy. */
export const derppKind = defineKind({
  name: "derpp",
  doc: "DER++ (Buzzega et al. 2020): replay of stored logits (MSE) and labels (cross-entropy), reservoir memory.",
  options: OPTIONS,
  create: (o) => derpp(o),
});
