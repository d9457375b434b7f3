/**
 * Checks before training, on the data and the model: problems that no amount of training fixes, found
 * in milliseconds instead of after a wasted run.
 */
import type { Dataset } from "../data/dataset.js";
import { designRank } from "../data/linalg.js";
import type { LossName } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import { allocate, Tensor } from "../tensor/tensor.js";
import { unitSites } from "../units/layer.js";
import type { HealthEvent } from "./findings.js";

/** What the checks read of a data set: the training split's arrays, shape and task. */
export type DataToCheck = Pick<Dataset, "x" | "y" | "n" | "inputDim" | "outputDim" | "task" | "featureNames">;

/** Thresholds of the checks before training. */
export const CHECK_LIMITS = {
  /**
   * Inputs are unscaled when the first layer's pre-activations start this many times larger, averaged over its
   * units, than its initialiser intends (inputScale). From bench/input-scale.ts: up to 5 (features with standard
   * deviations up to 5; issue 14's healthy set measures 3.4) Adam loses at most 1.8 points of accuracy; from 8.5 on
   * every data set there loses clearly with both Adam and SGD (Adam 4–7 points or 22× the MSE, SGD at chance or
   * diverged). SGD already fails from about 3, but as a learning rate too high, which the monitor reports in training.
   */
  inputScale: 8,
  /** Training rows (evenly spaced) the first layer is run on to measure that. */
  inputScaleRows: 256,
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
 * checkBeforeTraining({ ...ds, task: "regression" }, model, "mse");
 * // [{ kind: "collinearFeatures", diagnosis: "x2 = x1 + 1 …", … }]
 */
export function checkBeforeTraining(data: DataToCheck, model: Sequential, loss: LossName): HealthEvent[] {
  const name = (c: number): string => data.featureNames?.[c] ?? `column ${c}`;
  const events: HealthEvent[] = [];
  const badCells = nonFiniteCells(data.x, data.n, data.inputDim);
  const badTargets = nonFiniteCells(data.y, data.n, data.outputDim);
  if (badCells.length + badTargets.length > 0) {
    const shown = [
      ...badCells.map(([r, c]) => `row ${r + 1}, ${name(c)}`),
      ...badTargets.map(([r, c]) => `row ${r + 1}, target ${c}`),
    ];
    const first = badCells[0] ?? badTargets[0];
    events.push({
      step: 0,
      kind: "nonFiniteData",
      layer: "input",
      evidence: {
        cells: badCells.length,
        targetCells: badTargets.length,
        row: first[0] + 1,
        column: first[1],
      },
      diagnosis: `${badCells.length + badTargets.length} cell(s) of the data are NaN or infinite (${shown.slice(0, CHECK_LIMITS.listedCells).join("; ")}${shown.length > CHECK_LIMITS.listedCells ? "; …" : ""}): any batch holding one makes the loss NaN`,
      action: "fix or impute those cells, or drop their rows",
    });
  }
  const stats = columnStats(data.x, data.n, data.inputDim);
  const scale = inputScale(data, model);
  if (scale && scale.mean > CHECK_LIMITS.inputScale) {
    const largest = stats.reduce((w, s, c) => (s.maxAbs > stats[w].maxAbs ? c : w), 0);
    events.push({
      step: 0,
      kind: "unscaledInputs",
      layer: "input",
      evidence: {
        scale: scale.mean,
        worstUnitScale: scale.worst,
        rows: scale.rows,
        column: largest,
        maxAbs: stats[largest].maxAbs,
      },
      diagnosis:
        `layer ${scale.layer}'s pre-activations start ${round3(scale.mean)}× (worst unit ${round3(scale.worst)}×) the scale its ${scale.init} initialiser assumes, ` +
        `measured on ${scale.rows} training rows: the inputs are far from zero mean and unit variance (largest: ${name(largest)}, |x| up to ${round3(stats[largest].maxAbs)}), ` +
        "so units saturate or die and gradients are badly scaled",
      action: 'normalise the inputs ("normalize": "standardize" or "scale01" in the run config)',
    });
  }
  events.push(...outputChecks(data, model, loss));
  events.push(...featureChecks(data, stats, name));
  if (data.task === "classification") events.push(...classChecks(data));
  return events;
}

/** What inputScale measured: the first unit layer, its initialiser, and the per-unit scale ratios. */
export interface InputScale {
  layer: string;
  init: string;
  /** Mean over units, and the largest, of measured over intended pre-activation scale. */
  mean: number;
  worst: number;
  rows: number;
}

/**
 * How many times larger than its initialiser intends the first unit layer's pre-activations start on this data.
 * He, Glorot and LeCun initialisation choose the weights' variance for inputs of zero mean and unit variance, on
 * which unit u's pre-activation w_u·x has root mean square ‖w_u‖ (whatever the initialiser's scale). So each unit's
 * ratio is the root mean square of w_u·x over a sample of training rows, divided by ‖w_u‖: about 1 for standardised
 * inputs, the features' typical magnitude otherwise. The bias is left out (this is about the inputs), as is each
 * unit's largest 1% of rows (a few outlying rows are not the data's scale). Root mean square rather than standard
 * deviation: a feature like a year (2,000 ± 10) spreads little but shifts every pre-activation by thousands, which
 * saturates or silences units just the same. Null when the model has no unit layer or no row is finite.
 *
 * @example
 * inputScale({ ...data, x: data.x.map((v) => 1000 * v) }, model)?.mean; // ≈ 1000 for standardised data × 1000
 */
export function inputScale(data: DataToCheck, model: Sequential): InputScale | null {
  const site = unitSites(model)[0];
  if (!site) return null;
  const { name: first, layer } = site;
  const d = data.inputDim;
  const sample = Math.min(data.n, CHECK_LIMITS.inputScaleRows);
  const rows: number[] = [];
  for (let i = 0; i < sample; i++) {
    const r = Math.floor((i * data.n) / sample);
    if (data.x.subarray(r * d, (r + 1) * d).every(Number.isFinite)) rows.push(r);
  }
  if (rows.length === 0) return null;
  const x = allocate(model.dtype, rows.length * d);
  rows.forEach((r, i) => x.set(data.x.subarray(r * d, (r + 1) * d), i * d));
  let z: Tensor | null = null;
  // Layers before the first unit layer (a normalisation, say) shape what it sees, so the whole model runs.
  model.forward(new Tensor(x, [rows.length, d]), {
    training: false,
    onActivation: (layer, out, pre) => {
      if (layer === first) z = pre ?? out;
    },
  });
  // Stryker disable next-line OptionalChaining: every unit site reports its pre-activation (runLayers), so z is set
  const pre = (z as Tensor | null)?.data;
  if (!pre) return null;
  const { units } = layer;
  const keep = rows.length - Math.floor(rows.length / 100);
  const squares = new Float64Array(rows.length);
  const ratios: number[] = [];
  // Stryker disable next-line EqualityOperator: u = units reads an empty row of weights (norm 0), which is skipped
  for (let u = 0; u < units; u++) {
    let norm = 0;
    for (const v of layer.incomingWeights(u)) norm += v * v;
    if (!(norm > 0)) continue;
    const b = layer.bias ? layer.bias.data[u] : 0;
    rows.forEach((_, i) => {
      squares[i] = (pre[i * units + u] - b) ** 2;
    });
    squares.sort();
    let sum = 0;
    for (let i = 0; i < keep; i++) sum += squares[i];
    ratios.push(Math.sqrt(sum / keep / norm));
  }
  if (ratios.length === 0) return null;
  return {
    layer: String(first),
    init: layer.init,
    mean: ratios.reduce((a, b) => a + b, 0) / ratios.length,
    worst: Math.max(...ratios),
    rows: rows.length,
  };
}

/** Three significant digits without an exponent (1450, not 1.45e+3), for numbers a user reads. */
const round3 = (v: number): string => String(Number(v.toPrecision(3)));

function nonFiniteCells(a: Float32Array, n: number, d: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < n * d; i++) if (!Number.isFinite(a[i])) out.push([Math.floor(i / d), i % d]);
  return out;
}

interface ColumnStats {
  min: number;
  max: number;
  maxAbs: number;
}

function columnStats(x: Float32Array, n: number, d: number): ColumnStats[] {
  const s = Array.from({ length: d }, () => ({ min: Infinity, max: -Infinity, maxAbs: 0 }));
  // Stryker disable next-line EqualityOperator: r = n reads past the end (undefined), which is skipped as non-finite
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < d; c++) {
      const v = x[r * d + c];
      if (!Number.isFinite(v)) continue;
      const cs = s[c];
      // Stryker disable next-line EqualityOperator: on a tie the same value is stored again
      if (v < cs.min) cs.min = v;
      // Stryker disable next-line EqualityOperator: on a tie the same value is stored again
      if (v > cs.max) cs.max = v;
      // Stryker disable next-line EqualityOperator: on a tie the same value is stored again
      if (Math.abs(v) > cs.maxAbs) cs.maxAbs = Math.abs(v);
    }
  }
  return s;
}

/** The output activation must be able to produce the targets, and must suit the loss. */
function outputChecks(data: DataToCheck, model: Sequential, loss: LossName): HealthEvent[] {
  const act = model.outputActivation();
  // Stryker disable next-line ObjectLiteral: columnStats(…, 1) always has one column; the fallback is never read
  const { min, max } = columnStats(data.y, data.n * data.outputDim, 1)[0] ?? { min: 0, max: 0 };
  const oneHot = data.outputDim > 1 && isOneHot(data.y, data.n, data.outputDim);
  const events: HealthEvent[] = [];
  const range: Record<string, [number, number, string]> = {
    sigmoid: [0, 1, "(0, 1)"],
    softmax: [0, 1, "(0, 1), each row summing to 1"],
    tanh: [-1, 1, "(-1, 1)"],
    relu: [0, Infinity, "[0, ∞)"],
    softplus: [0, Infinity, "(0, ∞)"],
  };
  const r = range[act];
  if (r && (min < r[0] || max > r[1])) {
    events.push({
      step: 0,
      kind: "labelsOutOfRange",
      layer: "output",
      evidence: { targetMin: min, targetMax: max, outputMin: r[0], outputMax: r[1] },
      diagnosis: `the targets span ${min.toPrecision(3)} to ${max.toPrecision(3)} but a ${act} output can only produce ${r[2]}: no weights can fit them, and the output saturates while trying (the seed article's sigmoid-on-regression mistake)`,
      action:
        act === "sigmoid" || act === "tanh"
          ? `use an identity output for regression, or scale the targets into ${r[2]}`
          : `use an output activation whose range covers the targets`,
    });
  }
  const regressionLoss = loss === "mse" || loss === "mae" || loss === "huber";
  if (act === "softmax" && regressionLoss && oneHot) {
    events.push({
      step: 0,
      kind: "lossMismatch",
      layer: "output",
      evidence: { classes: data.outputDim },
      diagnosis: `a softmax output trained with ${loss} on one-hot targets: the gradient through the softmax shrinks as predictions get confidently wrong, so learning is slow and can stall`,
      action: 'use "crossEntropy" with the softmax output',
    });
  } else if (
    (loss === "crossEntropy" || loss === "binaryCrossEntropy") &&
    act !== "softmax" &&
    act !== "sigmoid"
  ) {
    events.push({
      step: 0,
      kind: "lossMismatch",
      layer: "output",
      evidence: {},
      diagnosis: `${loss} expects probabilities but the output activation is ${act}: outputs outside (0, 1) make the log undefined and the loss meaningless`,
      action:
        loss === "crossEntropy"
          ? "end the model with a softmax output"
          : "end the model with a sigmoid output",
    });
  } else if (loss === "binaryCrossEntropy" && act === "softmax" && data.outputDim > 1) {
    events.push({
      step: 0,
      kind: "lossMismatch",
      layer: "output",
      evidence: { classes: data.outputDim },
      diagnosis:
        "binaryCrossEntropy on a softmax output treats each class as an independent yes/no question while the softmax ties them together",
      action:
        'use "crossEntropy" with a softmax output (one class per row), or sigmoid outputs (several labels per row)',
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
      step: 0,
      kind: "constantFeature",
      layer: "input",
      evidence: { columns: constant.length, column: constant[0], value: stats[constant[0]].min },
      diagnosis: `${constant.length} feature(s) never change (${constant.slice(0, 5).map(name).join(", ")}): each is a copy of the bias, so its weight is not identifiable and it carries no information`,
      action: "drop the constant columns",
    });
  }
  const varying = stats.flatMap((s, c) => (s.min !== s.max && Number.isFinite(s.min) ? [c] : []));
  if (varying.length < 2 || varying.length > CHECK_LIMITS.maxRankFeatures) return events;
  const step = Math.max(1, Math.floor(data.n / CHECK_LIMITS.maxRankRows));
  let found = designRank(...finiteDesign(data, varying, step), varying.length, { intercept: true });
  // A sample can miss a feature's variation (one that alternates by row, sampled every 2nd row): confirm on all rows.
  // Stryker disable next-line EqualityOperator,LogicalOperator: a needless recount on all rows finds the same rank
  if (found.rank < found.columns && step > 1)
    found = designRank(...finiteDesign(data, varying, 1), varying.length, { intercept: true });
  const { rank, columns, nullDirections } = found;
  if (rank >= columns) return events;
  const dir = nullDirections[0];
  const terms = dir.flatMap((w, j) =>
    Math.abs(w) > 1e-6 ? [`${w.toPrecision(3)}·${j < varying.length ? name(varying[j]) : "1"}`] : [],
  );
  events.push({
    step: 0,
    kind: "collinearFeatures",
    layer: "input",
    evidence: { rank, columns, redundant: columns - rank },
    diagnosis: `the features (with the bias) have rank ${rank} of ${columns}: ${terms.join(" + ")} = 0 on every row, so some weights are not identifiable (infinitely many exact fits; the seed article's data)`,
    action: "drop or combine the redundant features; only their combinations can be learned",
  });
  return events;
}

/** The varying columns of every `step`-th row without NaN or ±∞ in them, as a row-major matrix and its row count. */
function finiteDesign(data: DataToCheck, varying: readonly number[], step: number): [Float64Array, number] {
  const rowsUsed: number[] = [];
  // Stryker disable next-line EqualityOperator: r = n reads past the end (undefined): the row is not finite, so not used
  for (let r = 0; r < data.n; r += step) {
    if (varying.every((c) => Number.isFinite(data.x[r * data.inputDim + c]))) rowsUsed.push(r);
  }
  const sub = new Float64Array(rowsUsed.length * varying.length);
  rowsUsed.forEach((r, i) =>
    varying.forEach((c, j) => {
      sub[i * varying.length + j] = data.x[r * data.inputDim + c];
    }),
  );
  return [sub, rowsUsed.length];
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
      step: 0,
      kind: "emptyClass",
      layer: "output",
      evidence: { classes: empty.length, class: empty[0] },
      diagnosis: `${empty.length} class(es) have no training rows (class ${empty.slice(0, 5).join(", ")}): the model can never learn to predict them`,
      action: "collect rows for those classes or remove them from the output",
    });
  }
  // Stryker disable next-line EqualityOperator: counts[k] is undefined, and no b lies in k + 1 … k − 1
  for (let a = 0; a < k; a++) {
    if (counts[a] === 0) continue;
    // Stryker disable next-line EqualityOperator: counts[k] is undefined, never equal to a count
    for (let b = a + 1; b < k; b++) {
      if (counts[b] !== counts[a]) continue;
      let same = true;
      // Stryker disable next-line EqualityOperator: at r = n both cells read undefined, which compare equal
      for (let r = 0; r < n && same; r++) same = y[r * k + a] === y[r * k + b];
      if (same) {
        events.push({
          step: 0,
          kind: "duplicateClass",
          layer: "output",
          evidence: { class: a, duplicate: b },
          diagnosis: `classes ${a} and ${b} are the same label on every row: one class was encoded twice, so the model cannot tell them apart`,
          action: "merge the duplicated class columns",
        });
        return events;
      }
    }
  }
  return events;
}
