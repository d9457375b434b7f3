/**
 * The statistics observer: turns the training loop's events into the training picture the detectors
 * read. Each step costs a few additions (loss and accuracy sums); activations, norms, update ratios and
 * unit statistics are taken at check steps only, every `checkEvery` steps (one that falls on an epoch's
 * short last batch waits for the next full batch). Everything it remembers lives in the monitor's state.
 */
import { copyFloat32, kernelOf, residentCopy } from "../backend/index.js";
import type { BatchEvent, TrainingControl } from "../train/events.js";
import { type IndexedUnitSite, unitSites } from "../units/layer.js";
import {
  centredRowGram,
  dormantFraction,
  effectiveRank,
  saturatedFraction,
  spectrum,
  stableRank,
  unitActivity,
} from "../units/statistics.js";
import { median, type Thresholds, type TrainingPicture } from "./findings.js";
import type { LayerState, MonitorState } from "./state.js";
import {
  addSeriesPoint,
  argmaxRow,
  type LayerStatistics,
  l2Norm,
  meanStd,
  sumSquares,
  updateRatio,
} from "./statistics.js";

/** Effective rank (an eigensolve) is computed every this many checks. */
const RANK_EVERY = 10;
/** Windows of loss/accuracy and gradient norms kept: a million-step run must not grow the monitor. */
const HISTORY_KEEP = 64;

/** Where a unit layer sits (derived from the model, not state). */
export interface LayerInfo extends IndexedUnitSite {
  /** Positions of weight and bias in control.parameters (-1: no bias). */
  weightAt: number;
  biasAt: number;
  /** It feeds another unit layer (not the output layer). */
  hidden: boolean;
}

/**
 * The model's unit layers (`unitSites`), input side first.
 *
 * @example
 * monitoredLayers(control).map((l) => [l.name, l.hidden]); // [["0", true], ["2", false]]
 */
export function monitoredLayers(control: TrainingControl): LayerInfo[] {
  const tensors = control.parameters.map(([, t]) => t);
  return unitSites(control.model).map((site) => ({
    ...site,
    weightAt: tensors.indexOf(site.layer.weight),
    biasAt: site.layer.bias ? tensors.indexOf(site.layer.bias) : -1,
    hidden: site.hidden,
  }));
}

/** A layer's state at the start of training; ‖W‖ (for the growth rule) only where some detector reads it. */
export const freshLayerState = (info: LayerInfo, weighs: boolean): LayerState => ({
  active: new Uint8Array(info.layer.units),
  unread: true,
  prevWeightNorm: weighs ? l2Norm(info.layer.weight.data) : NaN,
  deadFraction: NaN,
  deadUnits: [],
});

/**
 * What a check measures beyond the unit statistics, from what its detectors read: the stable rank, the
 * weight change (on the layers `change` marks) and ‖W‖ with its growth and the update ratio (`weights`).
 * Each is a pass over a layer's weights; a detector that reads none of them saves the passes.
 */
export interface PictureMeasures {
  stableRank: boolean;
  change: readonly boolean[];
  weights: boolean;
}

/**
 * The layers whose weight change is taken: every unit layer (`depth` Infinity), the last `depth` hidden
 * layers (those the plasticity rule reads), or none (0).
 *
 * @example
 * changeLayers(layers, 2); // [false, true, true, false]: a 3-hidden-layer network's last two
 */
export function changeLayers(layers: readonly LayerInfo[], depth: number): boolean[] {
  if (depth === Infinity) return layers.map(() => true);
  const hidden = layers.flatMap((l, k) => (l.hidden ? [k] : []));
  const last = new Set(depth > 0 ? hidden.slice(-depth) : []);
  return layers.map((_, k) => last.has(k));
}

/** Whether the step after `step` is a check step (one owed, or a multiple of checkEvery). */
export const checkNext = (s: MonitorState, step: number, t: Thresholds): boolean =>
  s.checkDue === true || (step + 1) % t.checkEvery === 0;

/** Each layer's gradient norm (weight and bias together) on this step. */
export function layerGradNorms(e: BatchEvent, control: TrainingControl, layers: readonly LayerInfo[]) {
  return layers.map((l) => ({
    layer: l.name,
    gradNorm: Math.hypot(
      ...[l.weightAt, l.biasAt]
        .filter((i) => i >= 0)
        .map((i) => l2Norm(e.grads.get(control.parameters[i][0]) ?? [])),
    ),
  }));
}

/** Add a batch to the current window: loss weighted by rows, class counts, and accuracy where outputs were kept. */
export function countBatch(s: MonitorState, e: BatchEvent, layers: readonly LayerInfo[]): void {
  // Weighted by rows, so a short last batch counts for what it holds: the window's mean is the mean over its rows.
  s.lossSum += e.loss * e.batchSize;
  s.lossCount += e.batchSize;
  const y = e.batch.y;
  const n = y.shape[0];
  const k = y.shape[1];
  if (s.classification === null) s.classification = looksLikeClasses(y.data, n, k);
  if (!s.classification) return;
  const counts = (s.classCounts ??= new Float64Array(Math.max(k, 2)));
  const labels = y.data;
  const out = layers.length ? e.activations?.get(layers[layers.length - 1].name) : undefined;
  if (!out) {
    // Most steps: no outputs kept, only the classes counted.
    for (let r = 0; r < n; r++) counts[k === 1 ? (labels[r] > 0.5 ? 1 : 0) : argmaxRow(labels, r, k)]++;
    return;
  }
  const logits = (out.preActivation ?? out.output).data;
  const threshold = out.preActivation ? 0 : 0.5;
  for (let r = 0; r < n; r++) {
    const label = k === 1 ? (labels[r] > 0.5 ? 1 : 0) : argmaxRow(labels, r, k);
    counts[label]++;
    const pred = k === 1 ? (logits[r] > threshold ? 1 : 0) : argmaxRow(logits, r, k);
    if (pred === label) s.correct++;
  }
  s.rows += n;
}

/** Forget the current window (after a blow-up, whose batch says nothing about the model). */
export function resetWindow(s: MonitorState): void {
  s.lossSum = s.lossCount = s.correct = s.rows = 0;
}

/**
 * Close the window at a check step: push its means, measure every layer, and return the picture
 * (null when the model has no unit layer). `before` holds the weights the step started from.
 */
export function takePicture(
  s: MonitorState,
  e: BatchEvent,
  control: TrainingControl,
  layers: readonly LayerInfo[],
  before: readonly Float32Array[],
  t: Thresholds,
  measures: PictureMeasures,
): { picture: TrainingPicture | null; gradNorm: number } {
  s.checks++;
  s.lossMeans.push(s.lossSum / Math.max(s.lossCount, 1));
  if (s.lossMeans.length > HISTORY_KEEP)
    s.droppedBestLoss = Math.min(s.droppedBestLoss, s.lossMeans.splice(1, 1)[0]);
  if (s.classification && s.rows > 0) s.accuracyMeans.push(s.correct / s.rows);
  if (s.accuracyMeans.length > HISTORY_KEEP) s.accuracyMeans.splice(1, 1);
  resetWindow(s);
  const stats = layers.map((info, k) => layerStatistics(s, e, control, info, k, before[k], t, measures));
  if (closeDeadWindow(s, t))
    layers.forEach((l, k) => {
      if (l.layer.activation === "relu" && l.hidden) stats[k].deadFraction = s.layers[k].deadFraction;
    });
  const gradNorm = Math.hypot(...stats.map((x) => x.gradNorm));
  s.gradNorms.push(gradNorm);
  if (Number.isNaN(s.firstGradNorm)) s.firstGradNorm = gradNorm;
  if (s.gradNorms.length > HISTORY_KEEP) s.gradNorms.shift();
  const loss = s.lossMeans[s.lossMeans.length - 1];
  addSeriesPoint(s.series, { step: e.step, loss, gradNorm, layers: stats });
  if (layers.length === 0) return { picture: null, gradNorm };
  const counts = s.classCounts ?? new Float64Array(1);
  const total = counts.reduce((a, b) => a + b, 0);
  const picture: TrainingPicture = {
    step: e.step,
    checks: s.checks,
    lossMeans: s.lossMeans,
    droppedBestLoss: s.droppedBestLoss,
    accuracyMeans: s.accuracyMeans,
    chance: total > 0 ? Math.max(...counts) / total : 0,
    gradNorm,
    gradNormMedian: median(s.gradNorms.slice(0, -1)),
    firstGradNorm: s.firstGradNorm,
    layers: stats,
    deadWindowFull: s.deadWindowFull,
  };
  return { picture, gradNorm };
}

/** What one check measures in one layer. */
function layerStatistics(
  s: MonitorState,
  e: BatchEvent,
  control: TrainingControl,
  info: LayerInfo,
  k: number,
  before: Float32Array | undefined,
  t: Thresholds,
  m: PictureMeasures,
): LayerStatistics {
  const ls = s.layers[k];
  const w = control.parameters[info.weightAt][1].data as Float32Array;
  const gw = e.grads.get(control.parameters[info.weightAt][0]);
  const gb = info.biasAt >= 0 ? e.grads.get(control.parameters[info.biasAt][0]) : undefined;
  // The weight change's pass over the weights also sums ‖W‖ (a run without the step's starting weights needs no other).
  const moved = m.change[k] ? weightChange(ls, w) : null;
  const { weightNorm, updateRatio, gradNorm } =
    moved && !before
      ? { weightNorm: moved.norm, updateRatio: NaN, gradNorm: gw ? l2Norm(gw) : 0 }
      : m.weights || moved
        ? weightNorms(w, before, gw)
        : { weightNorm: NaN, updateRatio: NaN, gradNorm: gw ? l2Norm(gw) : 0 };
  const out: LayerStatistics = {
    layer: info.name,
    activation: info.layer.activation,
    gradNorm: Math.hypot(gradNorm, gb ? l2Norm(gb) : 0),
    weightNorm,
    weightGrowth: weightNorm / ls.prevWeightNorm,
    updateRatio,
    activationMean: NaN,
    preActivationStd: NaN,
    deadFraction: NaN,
    inactiveFraction: NaN,
    dormantFraction: NaN,
    saturatedFraction: NaN,
    effectiveRank: NaN,
  };
  ls.prevWeightNorm = weightNorm;
  if (moved) out.weightChange = moved.change;
  const act = e.activations?.get(info.name);
  if (!act || !info.hidden) return out;
  const h = act.output.data;
  const [n, units] = [act.output.shape[0], act.output.shape[1]];
  const { meanAbs, mean, inactive } = unitActivity(h, n, units, ls.active);
  ls.unread = false;
  // Summed here, not by meanStd: meanStd then meets float32 only, and its loops stay monomorphic (~2× faster).
  out.activationMean = mean.reduce((sum, m) => sum + m, 0) / Math.max(units, 1);
  if (act.preActivation) out.preActivationStd = meanStd(act.preActivation.data).std;
  out.dormantFraction = dormantFraction(meanAbs, t.dormantTau);
  out.saturatedFraction = saturatedFraction(h, info.layer.activation);
  if (info.layer.activation === "relu")
    [out.deadFraction, out.inactiveFraction] = [ls.deadFraction, inactive];
  if (s.checks % RANK_EVERY === 1) {
    // One eigensolve for both ranks (centredEffectiveRank's, the same values to the last bit).
    const g = centredRowGram(h, n, units, 32);
    const sv = g && spectrum(g.gram, g.n);
    out.effectiveRank = sv ? effectiveRank(sv, 1) : NaN;
    if (m.stableRank) out.stableRank = sv ? stableRank(sv, 1) : NaN;
  } else if (m.stableRank) out.stableRank = NaN;
  return out;
}

/**
 * ‖W − W′‖ / ‖W′‖ against the weights of the previous check (NaN at the first), which it then replaces,
 * and ‖W‖: one pass of the backend's `stepSquares` over W and W′ (W′ in the gradient's place too, its sum
 * unused). ‖W′‖² is the sum the previous check took for its ‖W‖ where it was kept (the same value).
 */
function weightChange(ls: LayerState, w: Float32Array): { change: number; norm: number } {
  const prev = ls.prevWeights;
  if (prev && prev.length === w.length) {
    const [now, moved, then] = stepSums(w, prev, prev);
    const kept = ls.prevSquares ?? then;
    copyFloat32(prev, w);
    ls.prevSquares = now;
    return { change: Math.sqrt(moved) / Math.max(Math.sqrt(kept), 1e-12), norm: Math.sqrt(now) };
  }
  // In the backend's memory where it keeps one, where its stepSquares reads W′ in place at the next check.
  ls.prevWeights = residentCopy(w) ?? w.slice();
  ls.prevSquares = sumSquares(w);
  return { change: NaN, norm: Math.sqrt(ls.prevSquares) };
}

/** Where `stepSums` leaves the backend's sums of squares (one call at a time). */
const squares = new Float64Array(4);

/** [Σ w², Σ (w − w0)², Σ w0², Σ g²] by the active backend's `stepSquares` (js's where it has none). */
function stepSums(w: Float32Array, w0: Float32Array, g: Float32Array): number[] {
  kernelOf("stepSquares")(w, w0, g, squares);
  return Array.from(squares);
}

/**
 * ‖W‖, ‖∇W‖ and, when the step's starting weights are known, ‖W − W₀‖ / ‖W₀‖ (`updateRatio`), in one pass
 * over the weights (the backend's `stepSquares`; the wasm one reads the arrays in place, where fit and the
 * monitor keep them). Each sum runs in the four lanes l2Norm and updateRatio use, so the values are the
 * same to the last bit.
 */
function weightNorms(
  w: Float32Array,
  before: Float32Array | undefined,
  g: Float32Array | Float64Array | undefined,
): { weightNorm: number; updateRatio: number; gradNorm: number } {
  if (!before || !(g instanceof Float32Array) || before.length !== w.length || g.length !== w.length)
    return {
      weightNorm: l2Norm(w),
      updateRatio: before ? updateRatio(before, w) : NaN,
      gradNorm: g ? l2Norm(g) : 0,
    };
  const [now, moved, then, grad] = stepSums(w, before, g);
  return {
    weightNorm: Math.sqrt(now),
    updateRatio: Math.sqrt(moved) / Math.max(Math.sqrt(then), 1e-12),
    gradNorm: Math.sqrt(grad),
  };
}

/** Close the dead-unit window every `deadWindowChecks` checks; true when it closed now. */
function closeDeadWindow(s: MonitorState, t: Thresholds): boolean {
  if (++s.deadChecks < t.deadWindowChecks) return false;
  for (const l of s.layers) {
    l.deadUnits = [];
    // A window that read no row (a batch too small to read units on, no probe yet) finds no unit dead.
    if (!l.unread) for (let u = 0; u < l.active.length; u++) if (!l.active[u]) l.deadUnits.push(u);
    l.deadFraction = l.deadUnits.length / Math.max(l.active.length, 1);
    l.active.fill(0);
    l.unread = true;
  }
  s.deadChecks = 0;
  s.deadWindowFull = true;
  return true;
}

/** Start a new dead-unit window in every layer (after re-initialising units). */
export function resetDeadWindow(s: MonitorState): void {
  for (const l of s.layers) {
    l.active.fill(0);
    l.deadFraction = 0;
    l.deadUnits = [];
    l.unread = true;
  }
  s.deadChecks = 0;
  s.deadWindowFull = false;
}

/** One-hot rows (or 0/1 targets of a single output): a classification task. */
function looksLikeClasses(y: ArrayLike<number>, n: number, k: number): boolean {
  for (let r = 0; r < n; r++) {
    let sum = 0;
    for (let c = 0; c < k; c++) {
      const v = y[r * k + c];
      if (v !== 0 && v !== 1) return false;
      sum += v;
    }
    if (k > 1 && sum !== 1) return false;
  }
  return true;
}
