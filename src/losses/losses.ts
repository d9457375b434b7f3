import * as F from "../autograd/functional.js";
import * as op from "../autograd/ops.js";
import { softmaxCrossEntropy } from "../autograd/fused.js";
import { defineKind, type Kind, Registry } from "../config/registry.js";
import { ShapeError } from "../tensor/errors.js";
import { fmt, sameShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";

/** The built-in losses' names, as a run config or `fit` names them. */
export type LossName = "mse" | "mae" | "huber" | "binaryCrossEntropy" | "crossEntropy";
export const LOSS_NAMES: readonly LossName[] = ["mse", "mae", "huber", "binaryCrossEntropy", "crossEntropy"];

/**
 * A loss compares a batch of model outputs with targets of the same shape and returns a scalar mean.
 * Cross-entropies are written the Keras way (a softmax or sigmoid output layer), but `fused` computes
 * them from the logits, before that activation: the only form that stays finite for logits of ±1e4 and
 * whose gradient is exactly `(p − y)/batch`. The training loop uses `fused` whenever the model's output
 * activation matches.
 */
export interface Loss {
  /** A built-in loss's name, or the name a user registered theirs under. */
  readonly name: LossName | (string & {});
  /** The loss of outputs after the model's output activation. */
  fromOutputs(output: Tensor, target: Tensor): Tensor;
  readonly fused?: { activation: "softmax" | "sigmoid"; fromLogits(logits: Tensor, target: Tensor): Tensor };
}

/** Probabilities are kept in [ε, 1 − ε] before a log when no fused form applies (Keras' ε for float32). */
const EPS = 1e-7;

/** Mean squared error, mean over every element of (y − t)². */
export const mse: Loss = checked({
  name: "mse",
  fromOutputs: (y, t) => F.mean(F.square(op.sub(y, t))),
});

/** Mean absolute error, mean over every element of |y − t|. */
export const mae: Loss = checked({
  name: "mae",
  fromOutputs: (y, t) => F.mean(op.abs(op.sub(y, t))),
});

/**
 * Huber loss (PyTorch's HuberLoss): ½d² where |d| < δ, δ(|d| − ½δ) beyond. Written branch-free as
 * ½q² + δ(|d| − q) with q = min(|d|, δ), so the gradient is continuous.
 */
export function huber(delta = 1): Loss {
  return checked({
    name: "huber",
    fromOutputs: (y, t) => {
      const a = op.abs(op.sub(y, t));
      const q = F.minimum(a, delta);
      return F.mean(op.add(op.mul(F.square(q), 0.5), op.mul(op.sub(a, q), delta)));
    },
  });
}

/**
 * Binary cross-entropy for a sigmoid output (one or more independent 0/1 targets); computed from the logits
 * when the model's last activation is a sigmoid.
 */
export const binaryCrossEntropy: Loss = checked({
  name: "binaryCrossEntropy",
  fromOutputs: (p, t) => {
    const pc = F.clamp(p, EPS, 1 - EPS);
    return op.neg(F.mean(op.add(op.mul(t, op.log(pc)), op.mul(op.sub(1, t), op.log(op.sub(1, pc))))));
  },
  // −[t·log σ(z) + (1−t)·log(1−σ(z))] = softplus(z) − t·z, gradient σ(z) − t.
  fused: { activation: "sigmoid", fromLogits: (z, t) => F.mean(op.sub(F.softplus(z), op.mul(t, z))) },
});

function rowMean(perRow: Tensor, like: Tensor): Tensor {
  const rows = like.rank > 1 ? like.size / like.shape[like.rank - 1] : 1;
  return op.div(op.sum(perRow), rows);
}

/**
 * Categorical cross-entropy for a softmax output and one-hot targets, averaged over rows; computed from
 * the logits when the model's last activation is a softmax.
 *
 * @example
 * crossEntropy.fromOutputs(Tensor.from([[0.5, 0.5]]), Tensor.from([[1, 0]])); // ln 2
 */
export const crossEntropy: Loss = checked({
  name: "crossEntropy",
  fromOutputs: (p, t) => op.neg(rowMean(op.mul(t, op.log(F.clamp(p, EPS, 1))), p)),
  // −Σ t·log softmax(z), averaged over rows (a composite the backend fuses, the same bits as
  // neg(rowMean(mul(t, logSoftmax(z))))); gradient (softmax(z) − t)/rows when each row of t sums to 1.
  fused: { activation: "softmax", fromLogits: (z, t) => softmaxCrossEntropy(z, t) },
});

/**
 * Outputs and targets must have the same shape. Broadcasting them silently is a classic bug (the
 * seed article's: predictions [4,1] against targets [4] broadcast to a 4×4 matrix of differences).
 */
export function checkLossShapes(name: string, output: Tensor, target: Tensor): void {
  if (!sameShape(output.shape, target.shape)) {
    throw new ShapeError(
      `${name}: model output ${fmt(output.shape)} and target ${fmt(target.shape)} differ in shape; they must match exactly (broadcasting them would compare every output with every target)`,
    );
  }
}

function checked(loss: Loss): Loss {
  const fused = loss.fused;
  return {
    name: loss.name,
    fromOutputs: (y, t) => {
      checkLossShapes(loss.name, y, t);
      return loss.fromOutputs(y, t);
    },
    fused: fused && {
      activation: fused.activation,
      fromLogits: (z, t) => {
        checkLossShapes(loss.name, z, t);
        return fused.fromLogits(z, t);
      },
    },
  };
}

const plain = (loss: Loss, doc: string): Kind<Loss> => ({
  name: loss.name,
  doc,
  options: {},
  create: () => loss,
});

/** The built-in losses, typed so that a name without an entry fails to compile. */
const BUILTIN = {
  mse: plain(mse, "Mean squared error."),
  mae: plain(mae, "Mean absolute error."),
  huber: defineKind({
    name: "huber",
    doc: "½d² where |d| < delta, delta·(|d| − ½delta) beyond (PyTorch HuberLoss).",
    options: {
      delta: { kind: "number", min: 0, minExclusive: true, default: 1, doc: "Where it turns linear." },
    },
    create: (o) => huber(o.delta),
  }),
  binaryCrossEntropy: plain(
    binaryCrossEntropy,
    "For sigmoid outputs and 0/1 targets; fused from the logits.",
  ),
  crossEntropy: plain(crossEntropy, "For softmax outputs and one-hot targets; fused from the logits."),
} satisfies Record<LossName, Kind<Loss>>;

/**
 * Every loss a run config may name (`"loss": "mse"` or `{"type": "huber", "delta": 2}`), the user's
 * included. A user's loss is a `Loss` whose `fromOutputs` returns a scalar tensor.
 *
 * @example
 * losses.register({ name: "sse", doc: "Sum of squares.", options: {}, create: () => ({ name: "sse", fromOutputs: (y, t) => sum(square(sub(y, t))) }) });
 */
export const losses = new Registry<Loss>("loss", "loss", Object.values(BUILTIN));

/**
 * The loss a run config names: a name, or `{"type": name, ...options}`; unknown names and bad options
 * are ConfigErrors naming `field`.
 *
 * @example
 * lossByName("huber").name; // "huber" (delta 1)
 */
export function lossByName(name: unknown, field = "loss"): Loss {
  return losses.build(name, undefined, field);
}

/**
 * The loss of a batch for a model whose output passes through `outputActivation`: the fused form
 * from `logits()` when the activation matches the loss, else the plain form on `outputs()`.
 */
export function computeLoss(
  loss: Loss,
  outputActivation: string,
  logits: () => Tensor,
  outputs: () => Tensor,
  target: Tensor,
): Tensor {
  if (loss.fused && loss.fused.activation === outputActivation)
    return loss.fused.fromLogits(logits(), target);
  return loss.fromOutputs(outputs(), target);
}
