import { argmaxRows } from "../autograd/functional.js";
import { type Loss, lossByName, type LossName } from "../losses/losses.js";
import { activationFn } from "../nn/activations.js";
import type { ForwardContext } from "../nn/layer.js";
import type { Sequential } from "../nn/sequential.js";
import { ShapeError } from "../tensor/errors.js";
import { Tensor } from "../tensor/tensor.js";
import type { Metrics } from "./events.js";

/** Inputs and targets of a supervised data set, as [n, features] and [n, outputs] tensors. */
export interface LabeledData {
  x: Tensor;
  y: Tensor;
}

/** Metrics `fit` and `evaluate` can report beside the loss. */
export type MetricName = "accuracy" | "mse" | "mae";

/** Rows [start, end) of a matrix, copied into a tensor (or into `into` when it has the right size). */
export function rowSlice(t: Tensor, start: number, end: number): Tensor {
  const cols = t.shape[1];
  return new Tensor(t.data.slice(start * cols, end * cols), [end - start, cols]);
}

/** Accumulates metric sums over batches so that the final values are exact means over all rows. */
export class MetricAccumulator {
  private lossSum = 0;
  private correct = 0;
  private sqErr = 0;
  private absErr = 0;
  private rows = 0;
  private cells = 0;
  constructor(private readonly metrics: readonly MetricName[]) {}

  add(loss: number, output: Tensor, target: Tensor): void {
    const rows = output.shape[0];
    this.lossSum += loss * rows;
    this.rows += rows;
    if (this.metrics.includes("accuracy")) {
      if (output.shape[1] === 1) {
        // One output (a sigmoid with binary cross-entropy): Keras' binary accuracy, the output thresholded at 0.5.
        for (let i = 0; i < rows; i++) if (output.data[i] > 0.5 === target.data[i] > 0.5) this.correct++;
      } else {
        const p = argmaxRows(output);
        const t = argmaxRows(target);
        for (let i = 0; i < rows; i++) if (p[i] === t[i]) this.correct++;
      }
    }
    if (this.metrics.includes("mse") || this.metrics.includes("mae")) {
      for (let i = 0; i < output.size; i++) {
        const d = output.data[i] - target.data[i];
        this.sqErr += d * d;
        this.absErr += Math.abs(d);
      }
      this.cells += output.size;
    }
  }

  /** The running sums, for checkpoints. */
  getState(): number[] {
    return [this.lossSum, this.correct, this.sqErr, this.absErr, this.rows, this.cells];
  }

  setState(state: unknown): void {
    const s = state as number[];
    [this.lossSum, this.correct, this.sqErr, this.absErr, this.rows, this.cells] = s;
  }

  result(): Metrics {
    const m: Metrics = { loss: this.lossSum / Math.max(this.rows, 1) };
    if (this.metrics.includes("accuracy")) m.accuracy = this.correct / Math.max(this.rows, 1);
    if (this.metrics.includes("mse")) m.mse = this.sqErr / Math.max(this.cells, 1);
    if (this.metrics.includes("mae")) m.mae = this.absErr / Math.max(this.cells, 1);
    return m;
  }
}

/**
 * The batch loss and the model's outputs. When the loss fuses with the model's output activation
 * (softmax + crossEntropy, sigmoid + binaryCrossEntropy) the loss is computed from the logits and the
 * outputs from the same logits, so the forward pass runs once.
 */
export function lossAndOutput(
  model: Sequential,
  loss: Loss,
  x: Tensor,
  y: Tensor,
  ctx: ForwardContext,
): { loss: Tensor; output: Tensor; logits: Tensor } {
  const act = model.outputActivation();
  const logits = model.forwardLinear(x, ctx);
  if (loss.fused && loss.fused.activation === act) {
    return { loss: loss.fused.fromLogits(logits, y), output: activationFn(act)(logits.detach()), logits };
  }
  const output = activationFn(act)(logits);
  return { loss: loss.fromOutputs(output, y), output, logits };
}

function checkData(model: Sequential, data: LabeledData): void {
  if (data.x.rank !== 2 || data.y.rank !== 2 || data.x.shape[0] !== data.y.shape[0]) {
    throw new ShapeError(
      `data: expected x [n, features] and y [n, outputs] with the same n, got x ${JSON.stringify(data.x.shape)} and y ${JSON.stringify(data.y.shape)}`,
    );
  }
  if (data.y.shape[1] !== model.outputDim) {
    throw new ShapeError(
      `data: targets have ${data.y.shape[1]} columns but the model has ${model.outputDim} outputs`,
      { layer: "output" },
    );
  }
}

/**
 * Loss and metrics of `model` on `data`, in inference mode (no dropout), computed in batches.
 *
 * @example
 * const { loss, accuracy } = evaluate(model, data, { loss: "crossEntropy", metrics: ["accuracy"] });
 */
export function evaluate(
  model: Sequential,
  data: LabeledData,
  opts: { loss: Loss | LossName; metrics?: readonly MetricName[]; batchSize?: number },
): Metrics {
  checkData(model, data);
  const loss = typeof opts.loss === "string" ? lossByName(opts.loss) : opts.loss;
  // Stryker disable next-line ArrayDeclaration: metrics no MetricName matches are not computed
  const acc = new MetricAccumulator(opts.metrics ?? []);
  const n = data.x.shape[0];
  const bs = opts.batchSize ?? 256;
  for (let start = 0; start < n; start += bs) {
    const end = Math.min(n, start + bs);
    const x = rowSlice(data.x, start, end);
    const y = rowSlice(data.y, start, end);
    // Stryker disable next-line ObjectLiteral: layers read an absent ctx.training as false
    const r = lossAndOutput(model, loss, x, y, { training: false });
    acc.add(r.loss.item(), r.output, y);
  }
  return acc.result();
}

/**
 * The model's outputs (after its output activation) for each row of `x`, in inference mode.
 *
 * @example
 * const probs = predict(model, Tensor.from([[0.1, 0.2]]));
 */
export function predict(model: Sequential, x: Tensor, batchSize = 256): Tensor {
  const n = x.shape[0];
  const out = new Tensor(new (x.data.constructor as { new (n: number): Float32Array })(n * model.outputDim), [
    n,
    model.outputDim,
  ]);
  // Stryker disable next-line EqualityOperator: start = n forwards an empty batch and writes nothing
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    out.data.set(model.forward(rowSlice(x, start, end)).data, start * model.outputDim);
  }
  return out;
}

export { checkData };
