/**
 * Checks before training, on the data and the model: problems that no amount of training fixes, found
 * in milliseconds instead of after a wasted run.
 */
import type { Dataset } from "../data/dataset.js";
import { designRank } from "../data/linalg.js";
import type { LossName } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import type { HealthEvent } from "./detectors.js";

/** What the checks read of a data set: the training split's arrays, shape and task. */
export type DataToCheck = Pick<Dataset, "x" | "y" | "n" | "inputDim" | "outputDim" | "task" | "featureNames">;

/** Thresholds of the checks before training. */
export const CHECK_LIMITS = {
  /** A feature whose largest |value| exceeds this is unscaled (networks train best on inputs of order 1). */
  inputRange: 10,
  /** The rank of the design is computed when there are at most this many features (its cost is d² · n + d³). */
  maxRankFeatures: 64,
  /** Rows used for the rank (evenly spaced). */
  maxRankRows: 2000,
  /** Non-finite cells listed by position in one event. */
  listedCells: 5,
};

/**
 * Everything wrong with this data, model and loss that can be seen before the first step.
 *
 * @example
 * checkBeforeTraining({ x, y, n: 4, inputDim: 2, outputDim: 1, task: "regression" }, model, "mse");
 * // [{ kind: "collinearFeatures", diagnosis: "x2 = x1 + 1 …", … }]
 */
export function checkBeforeTraining(data: DataToCheck, model: Sequential, loss: LossName): HealthEvent[] {
  const name = (c: number): string => data.featureNames?.[c] ?? `column ${c}`;
  const events: HealthEvent[] = [];
  const badCells = nonFiniteCells(data.x, data.n, data.inputDim);
  const badTargets = nonFiniteCells(data.y, data.n, data.outputDim);
  if (badCells.length + badTargets.length > 0) {
    const shown = [...badCells.map(([r, c]) => `row ${r + 1}, ${name(c)}`), ...badTargets.map(([r, c]) => `row ${r + 1}, target ${c}`)];
    const first = badCells[0] ?? badTargets[0];
    events.push({
      step: 0, kind: "nonFiniteData", layer: "input",
      evidence: { cells: badCells.length, targetCells: badTargets.length, row: first[0] + 1, column: first[1] },
      diagnosis: `${badCells.length + badTargets.length} cell(s) of the data are NaN or infinite (${shown.slice(0, CHECK_LIMITS.listedCells).join("; ")}${shown.length > CHECK_LIMITS.listedCells ? "; …" : ""}): any batch holding one makes the loss NaN`,
      action: "fix or impute those cells, or drop their rows",
    });
  }
  const stats = columnStats(data.x, data.n, data.inputDim);
  const worst = stats.reduce((w, s, c) => (s.maxAbs > stats[w].maxAbs ? c : w), 0);
  if (stats.length && stats[worst].maxAbs > CHECK_LIMITS.inputRange) {
    const unscaled = stats.filter((s) => s.maxAbs > CHECK_LIMITS.inputRange).length;
    events.push({
      step: 0, kind: "unscaledInputs", layer: "input",
      evidence: { column: worst, maxAbs: stats[worst].maxAbs, columns: unscaled },
      diagnosis: `${unscaled} input feature(s) reach values far outside [-1, 1] (largest: ${name(worst)}, |x| up to ${stats[worst].maxAbs.toPrecision(3)}): pre-activations start huge, so units saturate or die and gradients are badly scaled`,
      action: 'normalise the inputs ("normalize": "standardize" or "scale01" in the run config)',
    });
  }
  events.push(...outputChecks(data, model, loss));
  events.push(...featureChecks(data, stats, name));
  if (data.task === "classification") events.push(...classChecks(data));
  return events;
}

function nonFiniteCells(a: Float32Array, n: number, d: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n * d; i++) if (!Number.isFinite(a[i])) out.push([Math.floor(i / d), i % d]);
  return out;
}

interface ColumnStats { min: number; max: number; maxAbs: number }

function columnStats(x: Float32Array, n: number, d: number): ColumnStats[] {
  const s = Array.from({ length: d }, () => ({ min: Infinity, max: -Infinity, maxAbs: 0 }));
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) {
      const v = x[r * d + c];
      if (!Number.isFinite(v)) continue;
      const cs = s[c];
      if (v < cs.min) cs.min = v;
      if (v > cs.max) cs.max = v;
      if (Math.abs(v) > cs.maxAbs) cs.maxAbs = Math.abs(v);
    }
  }
  return s;
}

/** The output activation must be able to produce the targets, and must suit the loss. */
function outputChecks(data: DataToCheck, model: Sequential, loss: LossName): HealthEvent[] {
  const act = model.outputActivation();
  const { min, max } = columnStats(data.y, data.n * data.outputDim, 1)[0] ?? { min: 0, max: 0 };
  const oneHot = data.outputDim > 1 && isOneHot(data.y, data.n, data.outputDim);
  const events: HealthEvent[] = [];
  const range: Record<string, [number, number, string]> = {
    sigmoid: [0, 1, "(0, 1)"], softmax: [0, 1, "(0, 1), each row summing to 1"], tanh: [-1, 1, "(-1, 1)"],
    relu: [0, Infinity, "[0, ∞)"], softplus: [0, Infinity, "(0, ∞)"],
  };
  const r = range[act];
  if (r && (min < r[0] || max > r[1])) {
    events.push({
      step: 0, kind: "labelsOutOfRange", layer: "output",
      evidence: { targetMin: min, targetMax: max, outputMin: r[0], outputMax: r[1] },
      diagnosis: `the targets span ${min.toPrecision(3)} to ${max.toPrecision(3)} but a ${act} output can only produce ${r[2]}: no weights can fit them, and the output saturates while trying (the seed article's sigmoid-on-regression mistake)`,
      action: act === "sigmoid" || act === "tanh" ? `use an identity output for regression, or scale the targets into ${r[2]}` : `use an output activation whose range covers the targets`,
    });
  }
  const regressionLoss = loss === "mse" || loss === "mae" || loss === "huber";
  if (act === "softmax" && regressionLoss && oneHot) {
    events.push({
      step: 0, kind: "lossMismatch", layer: "output", evidence: { classes: data.outputDim },
      diagnosis: `a softmax output trained with ${loss} on one-hot targets: the gradient through the softmax shrinks as predictions get confidently wrong, so learning is slow and can stall`,
      action: 'use "crossEntropy" with the softmax output',
    });
  } else if ((loss === "crossEntropy" || loss === "binaryCrossEntropy") && act !== "softmax" && act !== "sigmoid") {
    events.push({
      step: 0, kind: "lossMismatch", layer: "output", evidence: {},
      diagnosis: `${loss} expects probabilities but the output activation is ${act}: outputs outside (0, 1) make the log undefined and the loss meaningless`,
      action: loss === "crossEntropy" ? "end the model with a softmax output" : "end the model with a sigmoid output",
    });
  } else if (loss === "binaryCrossEntropy" && act === "softmax" && data.outputDim > 1) {
    events.push({
      step: 0, kind: "lossMismatch", layer: "output", evidence: { classes: data.outputDim },
      diagnosis: "binaryCrossEntropy on a softmax output treats each class as an independent yes/no question while the softmax ties them together",
      action: 'use "crossEntropy" with a softmax output (one class per row), or sigmoid outputs (several labels per row)',
    });
  }
  return events;
}

function isOneHot(y: Float32Array, n: number, k: number): boolean {
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < k; c++) {
      const v = y[r * k + c];
      if (v !== 0 && v !== 1) return false;
      s += v;
    }
    if (s !== 1) return false;
  }
  return true;
}

/**
 * Constant and collinear features. All-zero columns (image borders) are left alone: they carry no
 * signal but do no harm. A non-zero constant is collinear with the bias; beyond that the design's rank
 * (with an intercept) says whether some features are exact combinations of others.
 */
function featureChecks(data: DataToCheck, stats: ColumnStats[], name: (c: number) => string): HealthEvent[] {
  const events: HealthEvent[] = [];
  const constant = stats.flatMap((s, c) => (s.min === s.max && s.max !== 0 ? [c] : []));
  if (constant.length > 0) {
    events.push({
      step: 0, kind: "constantFeature", layer: "input", evidence: { columns: constant.length, column: constant[0], value: stats[constant[0]].min },
      diagnosis: `${constant.length} feature(s) never change (${constant.slice(0, 5).map(name).join(", ")}): each is a copy of the bias, so its weight is not identifiable and it carries no information`,
      action: "drop the constant columns",
    });
  }
  const varying = stats.flatMap((s, c) => (s.min !== s.max && Number.isFinite(s.min) ? [c] : []));
  if (varying.length < 2 || varying.length > CHECK_LIMITS.maxRankFeatures) return events;
  const step = Math.max(1, Math.floor(data.n / CHECK_LIMITS.maxRankRows));
  const rowsUsed: number[] = [];
  for (let r = 0; r < data.n; r += step) {
    if (varying.every((c) => Number.isFinite(data.x[r * data.inputDim + c]))) rowsUsed.push(r);
  }
  const m = rowsUsed.length;
  const sub = new Float64Array(m * varying.length);
  rowsUsed.forEach((r, i) => varying.forEach((c, j) => { sub[i * varying.length + j] = data.x[r * data.inputDim + c]; }));
  const { rank, columns, nullDirections } = designRank(sub, m, varying.length, { intercept: true });
  if (rank >= columns) return events;
  const dir = nullDirections[0];
  const terms = dir.flatMap((w, j) => (Math.abs(w) > 1e-6 ? [`${w.toPrecision(3)}·${j < varying.length ? name(varying[j]) : "1"}`] : []));
  events.push({
    step: 0, kind: "collinearFeatures", layer: "input", evidence: { rank, columns, redundant: columns - rank },
    diagnosis: `the features (with the bias) have rank ${rank} of ${columns}: ${terms.join(" + ")} = 0 on every row, so some weights are not identifiable (infinitely many exact fits; the seed article's data)`,
    action: "drop or combine the redundant features; only their combinations can be learned",
  });
  return events;
}

/** Classes no row belongs to, and classes whose target column duplicates another's. */
function classChecks(data: DataToCheck): HealthEvent[] {
  const { y, n, outputDim: k } = data;
  if (k < 2) return [];
  const events: HealthEvent[] = [];
  const counts = new Float64Array(k);
  for (let r = 0; r < n; r++) for (let c = 0; c < k; c++) counts[c] += y[r * k + c];
  const empty = [...counts.keys()].filter((c) => counts[c] === 0);
  if (empty.length > 0) {
    events.push({
      step: 0, kind: "emptyClass", layer: "output", evidence: { classes: empty.length, class: empty[0] },
      diagnosis: `${empty.length} class(es) have no training rows (class ${empty.slice(0, 5).join(", ")}): the model can never learn to predict them`,
      action: "collect rows for those classes or remove them from the output",
    });
  }
  for (let a = 0; a < k; a++) {
    if (counts[a] === 0) continue;
    for (let b = a + 1; b < k; b++) {
      if (counts[b] !== counts[a]) continue;
      let same = true;
      for (let r = 0; r < n && same; r++) same = y[r * k + a] === y[r * k + b];
      if (same) {
        events.push({
          step: 0, kind: "duplicateClass", layer: "output", evidence: { class: a, duplicate: b },
          diagnosis: `classes ${a} and ${b} are the same label on every row: one class was encoded twice, so the model cannot tell them apart`,
          action: "merge the duplicated class columns",
        });
        return events;
      }
    }
  }
  return events;
}
