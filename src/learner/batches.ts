/**
 * What goes in and out of the learner's network: its training batches (new rows and remembered ones,
 * normalised with the statistics of now) and what `predict` and `observe` return.
 */
import { RunningNormalizer, type RunningTargetScaler } from "../data/running-normalizer.js";
import type { Sequential } from "../nn/sequential.js";
import { allocateOutput, Tensor } from "../tensor/tensor.js";
import type { ReplayMemory } from "./memory.js";
import type { Label } from "./rows.js";

/** What `predict` and `observe` return for a classification learner. */
export interface ClassPrediction {
  /** The most probable known label (null before the first label). */
  label: Label | null;
  probability: number;
  /** Every label known when the prediction was made, in output-unit order. */
  labels: Label[];
}
/** A regression learner's prediction, in the target's own units. */
export interface ValuePrediction {
  value: number;
}
/** What `Learner.observe` and `predict` return: a label with its probability, or a value. */
export type Prediction = ClassPrediction | ValuePrediction;

/** A prediction inside the learner: the unit, the outputs and how many labels were known then. */
export interface Inner {
  value: number;
  unit: number;
  probs: Float32Array | null;
  known: number;
}

/**
 * The model's output for a raw row, normalised with the statistics of now: the most probable of the
 * `known` labels' units, or the value in target units (`target` set: regression). Its arrays come from
 * `allocate`, so a caller that runs it in an `ArrayPool` reuses them from one prediction to the next.
 *
 * @example
 * inferRow(raw, 3, model, normalizer, null); // { unit: 1, probs: Float32Array [...], known: 3, value: 0 }
 */
export function inferRow(
  raw: Float64Array,
  known: number,
  model: Sequential,
  normalizer: RunningNormalizer | null,
  target: RunningTargetScaler | null,
): Inner {
  const x = allocateOutput("float32", raw.length) as Float32Array; // every element written below
  if (normalizer) normalizer.normalize(raw, x);
  else x.set(raw);
  const out = model.forward(new Tensor(x, [1, x.length]), { training: false }).data as Float32Array;
  if (target) return { value: target.unscale(out[0]), unit: -1, probs: null, known: 0 };
  let best = -1;
  for (let u = 0; u < known; u++) if (best < 0 || out[u] > out[best]) best = u;
  return { value: 0, unit: best, probs: out, known };
}

/** Probabilities below this count as this in the prequential loss (a label the head did not have yet). */
const MIN_PROBABILITY = 1e-7;

/**
 * How the prediction made before learning scores against the truth: a hit, the loss (cross-entropy on
 * the true unit, or the squared error), and the drift detector's signal — the 0/1 error for labels
 * (bounded, as ADWIN's bound assumes), the squared error in training units for numbers.
 *
 * @example
 * scoreBefore({ value: 0, unit: 1, probs: Float32Array.of(0.2, 0.8), known: 2 }, 1, 0, null); // hit, loss −ln 0.8, signal 0
 */
export function scoreBefore(
  before: Inner,
  unit: number,
  y: number,
  target: RunningTargetScaler | null,
): { hit: boolean; loss: number; signal: number } {
  if (target) {
    const signal = (target.scale(before.value) - target.scale(y)) ** 2;
    return { hit: false, loss: (before.value - y) ** 2, signal };
  }
  const hit = before.unit === unit;
  const p = before.probs && unit < before.known ? before.probs[unit] : 0;
  // 0 −, not −: a sure hit scores 0, not −0.
  return { hit, loss: 0 - Math.log(Math.max(p, MIN_PROBABILITY)), signal: hit ? 0 : 1 };
}

/** What the user gets for an inner prediction; `labels` null for regression. */
export function answerOf(p: Inner, labels: readonly Label[] | null): Prediction {
  if (!labels) return { value: p.value };
  const known = labels.slice(0, p.known);
  return {
    label: p.unit >= 0 ? known[p.unit] : null,
    probability: p.probs && p.unit >= 0 ? p.probs[p.unit] : 0,
    labels: known,
  };
}

/**
 * The learner's input normaliser, or null when its config turns normalisation off.
 *
 * @example
 * inputNormalizer({ normalize: true, normalizeDecay: 0, normalizeClip: 5 }, 784); // ±5 std at most
 */
export function inputNormalizer(
  c: { normalize: boolean; normalizeDecay: number; normalizeClip: number; normalizeCenter?: number },
  inputs: number,
): RunningNormalizer | null {
  if (!c.normalize) return null;
  const center = c.normalizeCenter ?? 1;
  return new RunningNormalizer(inputs, { decay: c.normalizeDecay, limit: c.normalizeClip, center });
}

/** A raw row with its output unit (classification) or raw target (regression). */
export interface BatchRow {
  x: ArrayLike<number>;
  unit: number;
  target: number;
}

/** The parts a batch is made from; `target` is null for classification. */
export interface BatchParts {
  model: Sequential;
  memory: ReplayMemory;
  normalizer: RunningNormalizer | null;
  target: RunningTargetScaler | null;
}

/**
 * `rows` then the memory's `slots` as one batch: inputs normalised (when the learner normalises), targets
 * one-hot over the output units, or scaled by the running target scale.
 *
 * @example
 * trainingBatch([{ x: raw, unit: 2, target: 0 }], memory.sample(4), parts); // 5 rows
 */
export function trainingBatch(
  rows: readonly BatchRow[],
  slots: readonly number[],
  { model, memory, normalizer, target }: BatchParts,
): { x: Tensor; y: Tensor } {
  const d = model.inputDim;
  const k = model.outputDim;
  const n = rows.length + slots.length;
  const x = new Float32Array(n * d);
  const y = new Float32Array(n * k);
  const put = (i: number, raw: ArrayLike<number>, unit: number, value: number) => {
    const xi = x.subarray(i * d, (i + 1) * d);
    if (normalizer) normalizer.normalize(raw, xi);
    else xi.set(raw);
    if (target) y[i] = target.scale(value);
    else y[i * k + unit] = 1;
  };
  rows.forEach((r, i) => put(i, r.x, r.unit, r.target));
  slots.forEach((s, j) => put(rows.length + j, memory.row(s), memory.label(s), memory.target(s)));
  return { x: new Tensor(x, [n, d]), y: new Tensor(y, [n, k]) };
}

/**
 * Accuracy on up to `rows` remembered rows, evenly spaced through the memory (no random draw, so it
 * leaves every random stream as it was); null when the memory is empty.
 *
 * @example
 * retentionOn(parts); // 0.93
 */
export function retentionOn(parts: BatchParts, rows = 256): number | null {
  const size = parts.memory.size;
  if (size === 0) return null;
  const n = Math.min(rows, size);
  const slots = Array.from({ length: n }, (_, i) => Math.floor((i * size) / n));
  const { x, y } = trainingBatch([], slots, parts);
  return accuracyOf(parts.model.forward(x).data, y.data, n, parts.model.outputDim);
}

/**
 * Share of the `n` rows whose largest output is at the unit their one-hot target marks.
 *
 * @example
 * accuracyOf([0.9, 0.1, 0.2, 0.8], [1, 0, 1, 0], 2, 2); // 0.5
 */
export function accuracyOf(out: ArrayLike<number>, y: ArrayLike<number>, n: number, k: number): number {
  let hits = 0;
  for (let i = 0; i < n; i++) {
    let best = 0;
    let truth = 0;
    for (let u = 1; u < k; u++) {
      if (out[i * k + u] > out[i * k + best]) best = u;
      if (y[i * k + u] > y[i * k + truth]) truth = u;
    }
    if (best === truth) hits++;
  }
  return hits / n;
}
