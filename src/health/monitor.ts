/**
 * The health monitor: an observer of the training loop that measures (statistics.ts), judges
 * (detectors.ts) and, when asked, repairs (repairs.ts). Each step costs a finiteness check of the loss and
 * a few additions; activations (and so batch accuracy), norms, update ratios and snapshots are taken at
 * check steps only, every `checkEvery` steps (one that falls on an epoch's short last batch waits for the next full batch).
 */
import { Dense } from "../nn/layers.js";
import { Rng } from "../tensor/rng.js";
import type { BatchEvent, EpochEvent, Observer, TrainingControl } from "../train/events.js";
import {
  CHECK_DETECTORS,
  DEFAULT_THRESHOLDS,
  diagnoseBlowUp,
  detectOverfitting,
  lossBlewUp,
  type Finding,
  type HealthEvent,
  type HealthKind,
  type Thresholds,
  type TrainingPicture,
} from "./detectors.js";
import { lsuv, nonFiniteColumns, reinitUnits, SnapshotStore } from "./repairs.js";
import {
  argmaxRow,
  dormantFraction,
  effectiveRank,
  type HealthStatistics,
  type LayerStatistics,
  l2Norm,
  meanStd,
  saturatedFraction,
  SeriesRecorder,
  unitActivity,
  updateRatio,
} from "./statistics.js";

export interface HealthMonitorOptions {
  /** Repair what can be repaired (rollback, learning-rate changes, clipping, unit re-initialisation). Default false: report only. */
  repair?: boolean;
  thresholds?: Partial<Thresholds>;
  /** Seeds the fresh weights of re-initialised units. */
  seed?: number;
  /** Called with each event as it happens (the CLI prints it). */
  onEvent?: (e: HealthEvent) => void;
  /** Repairs allowed per kind of problem, and in all; beyond them the run fails with the diagnosis. Defaults 3 and 10. */
  maxRepairsPerKind?: number;
  maxRepairs?: number;
}

/** The monitor's state in a checkpoint (plain data and typed arrays). */
export interface HealthMonitorState {
  rng: ReturnType<Rng["getState"]>;
  events: HealthEvent[];
  series: ReturnType<SeriesRecorder["getState"]>;
  snapshots: ReturnType<SnapshotStore["getState"]>;
  layers: { active: Int32Array; prevWeightNorm: number; deadFraction: number; deadUnits: number[] }[];
  lossSum: number;
  lossCount: number;
  correct: number;
  rows: number;
  lossMeans: number[];
  droppedBestLoss: number;
  accuracyMeans: number[];
  classCounts: Float64Array | null;
  classification: boolean | null;
  gradNorms: number[];
  firstGradNorm: number;
  checks: number;
  deadChecks: number;
  deadWindowFull: boolean;
  clipping: boolean;
  pendingClip: boolean;
  /** Absent in checkpoints written before short batches were skipped. */
  checkDue?: boolean;
  repairs: [HealthKind, number][];
  totalRepairs: number;
  reported: string[];
  done: boolean;
  epochsSeen: EpochEvent[];
}

export interface HealthMonitor extends Observer {
  readonly events: HealthEvent[];
  /** Per-layer time series (downsampled), for reports. */
  statistics(): HealthStatistics;
}

/** Learning-rate factors of the repairs: hard after a blow-up, gentle for a stall or a wobble. */
const LR_CUT_HARD = 0.1;
const LR_CUT_SOFT = 0.5;
/** Clipping threshold over the typical gradient norm: it should stop spikes, not slow ordinary steps. */
const CLIP_HEADROOM = 5;
/** Problems a run cannot go on with once repairs stop holding: it fails with exit code 1. The rest are reported. */
const FATAL: ReadonlySet<HealthKind> = new Set([
  "nonFinite",
  "divergence",
  "explodingGradients",
  "lrTooHigh",
]);
/** Effective rank (an eigensolve) is computed every this many checks. */
const RANK_EVERY = 5;
/** Windows of loss/accuracy and gradient norms kept: a million-step run must not grow the monitor. */
const HISTORY_KEEP = 64;

interface LayerInfo {
  index: number;
  name: string;
  layer: Dense;
  /** Positions of weight and bias in control.parameters. */
  weightAt: number;
  biasAt: number;
  hidden: boolean;
  active: Uint8Array;
  /** ‖W‖ at the previous check (or the last repair), for the growth rule. */
  prevWeightNorm: number;
  deadFraction: number;
  deadUnits: number[];
}

/**
 * Watch a run, explain what goes wrong in plain words, and repair it when `repair` is set.
 *
 * @example
 * const health = healthMonitor({ repair: true, onEvent: (e) => console.log(formatEvent(e)) });
 * fit(model, data, { ...opts, observers: [health] });
 * health.events; // [{ step: 40, kind: "dyingRelu", layer: "0", evidence: { deadFraction: 0.93, … }, … }]
 */
export function healthMonitor(opts: HealthMonitorOptions = {}): HealthMonitor {
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  const maxPerKind = opts.maxRepairsPerKind ?? 3;
  const maxTotal = opts.maxRepairs ?? 10;
  const rng = new Rng(opts.seed ?? 0);
  const events: HealthEvent[] = [];
  const series = new SeriesRecorder(t.checkEvery);
  const snapshots = new SnapshotStore();
  let layers: LayerInfo[] = [];
  let lossSum = 0,
    lossCount = 0,
    correct = 0,
    rows = 0;
  /** The first window's mean loss, then the most recent ones (at most HISTORY_KEEP in all). */
  let lossMeans: number[] = [];
  /** The lowest window loss among those dropped from `lossMeans`. */
  let droppedBestLoss = Infinity;
  let accuracyMeans: number[] = [];
  let classCounts: Float64Array | null = null;
  let classification: boolean | null = null;
  const gradNorms: number[] = [];
  let firstGradNorm = NaN;
  let before: Float32Array[] = [];
  let checks = 0,
    deadChecks = 0,
    deadWindowFull = false,
    clipping = false,
    pendingClip = false;
  const repairs = new Map<HealthKind, number>();
  let totalRepairs = 0;
  const reported = new Set<string>();
  let done = false;
  /** Whether the next step is a check step: only those ask the loop for activations. */
  let wantNext = false;
  /**
   * A check is owed. It waits for a full batch: statistics sampled on an epoch's short last batch (a few rows)
   * made false dips in effective rank and spikes in dormant and dead units (issue 14).
   */
  let checkDue = false;
  const epochsSeen: EpochEvent[] = [];

  const emit = (e: HealthEvent): void => {
    events.push(e);
    opts.onEvent?.(e);
  };

  const fail = (control: TrainingControl, step: number, f: Finding, why: string): void => {
    done = true;
    const diagnosis = `training failed beyond repair: ${f.diagnosis}${why ? ` (${why})` : ""}`;
    emit({ step, kind: "failed", layer: f.layer, evidence: f.evidence, diagnosis, action: f.action });
    control.fail(diagnosis);
  };

  /** Report a finding; with `repair`, apply `fix` within the bounds. */
  const handle = (
    control: TrainingControl,
    step: number,
    f: Finding,
    fix: (() => HealthEvent[]) | null,
  ): void => {
    const key = `${f.kind}:${f.layer ?? ""}`;
    if (!opts.repair || !fix) {
      if (!reported.has(key)) {
        reported.add(key);
        emit({ step, ...f });
      }
      return;
    }
    const used = repairs.get(f.kind) ?? 0;
    if (used >= maxPerKind || totalRepairs >= maxTotal) {
      if (FATAL.has(f.kind)) {
        emit({ step, ...f });
        fail(control, step, f, `${used} ${f.kind} repairs did not hold`);
      } else if (!reported.has(`${key}:exhausted`)) {
        // A stall, a wobble or saturation that repairs could not cure is worth saying, not worth ending the run for.
        reported.add(`${key}:exhausted`);
        emit({
          step,
          ...f,
          action: `${f.action} — not done: ${used} ${f.kind} repairs were tried already; training goes on`,
        });
      }
      return;
    }
    repairs.set(f.kind, used + 1);
    totalRepairs++;
    const applied = fix();
    emit({ step, ...f, repaired: applied.length > 0 });
    applied.forEach(emit);
    // The windows before the repair describe a model that no longer exists.
    lossMeans = lossMeans.slice(0, 1);
    droppedBestLoss = Infinity;
    accuracyMeans = accuracyMeans.slice(0, 1);
    for (const l of layers) l.prevWeightNorm = l2Norm(control.parameters[l.weightAt][1].data);
  };

  const rollbackAndCut = (control: TrainingControl, step: number, factor: number): HealthEvent[] => {
    const to = snapshots.restore(control);
    const out: HealthEvent[] = [];
    if (to !== null)
      out.push({
        step,
        kind: "rollback",
        evidence: { toStep: to },
        diagnosis: `weights and optimiser state put back to step ${to}, the last healthy snapshot`,
        action: "rolled back",
        repaired: true,
      });
    out.push(cutLr(control, step, factor));
    return out;
  };

  const clipAt = (control: TrainingControl, step: number, maxNorm: number): HealthEvent => {
    control.setClipNorm(maxNorm);
    return {
      step,
      kind: "gradientClipping",
      evidence: { maxNorm },
      diagnosis: `global-norm gradient clipping turned on at ${maxNorm.toPrecision(3)} (${CLIP_HEADROOM}× the typical gradient norm)`,
      action: "clipping on",
      repaired: true,
    };
  };

  const cutLr = (control: TrainingControl, step: number, factor: number): HealthEvent => {
    control.scaleLearningRate(factor);
    const kind: HealthKind = factor < 1 ? "learningRateCut" : "learningRateRaise";
    return {
      step,
      kind,
      evidence: { factor, scale: control.learningRateScale },
      diagnosis: `learning rate multiplied by ${factor} (now ${control.learningRateScale.toPrecision(3)}× the configured schedule)`,
      action: factor < 1 ? "cut the learning rate" : "raised the learning rate",
      repaired: true,
    };
  };

  /** The repair each kind of finding gets, or null where no repair is supported by the evidence. */
  const rescale = (control: TrainingControl, step: number, x: BatchEvent["batch"]["x"]): HealthEvent[] =>
    lsuv(control.model, x, 1.5).map((r) => ({
      step,
      kind: "weightRescale",
      layer: r.layer,
      evidence: { factor: r.factor, preActivationStd: r.preActivationStd },
      diagnosis: `weights of layer ${r.layer} scaled by ${r.factor.toPrecision(3)}: its pre-activations had spread ${r.preActivationStd.toPrecision(3)}, now 1 (LSUV)`,
      action: "rescaled the layer",
      repaired: true,
    }));

  const repairFor = (control: TrainingControl, e: BatchEvent, f: Finding): (() => HealthEvent[]) | null => {
    const step = e.step;
    switch (f.kind) {
      case "nonFinite":
      case "divergence":
      case "lrTooHigh":
        return () => rollbackAndCut(control, step, LR_CUT_HARD);
      case "oscillation":
      case "plateau":
        return () => [cutLr(control, step, LR_CUT_SOFT)];
      case "lrTooLow":
        // Update size scales with the learning rate: aim at the top of the healthy band (1e-2), where a
        // step too far is caught by lrTooHigh and rolled back; at least 10×, at most 1e4× at once.
        return () => [cutLr(control, step, Math.min(1e4, Math.max(10, 1e-2 / f.evidence.updateRatio)))];
      case "explodingGradients": {
        // Clip at CLIP_HEADROOM × the typical healthy norm (a guard against spikes, not a brake). Before any norm is
        // known, clipping starts at the next check, from the norms seen once the repair took hold.
        // A blow-up also needs the weights back; clipping that did not hold, a smaller step.
        const healthy = median(gradNorms.slice(0, -1));
        const blewUp = "loss" in f.evidence;
        return () => {
          if (clipping) return rollbackAndCut(control, step, LR_CUT_HARD);
          clipping = true;
          const out: HealthEvent[] = [];
          const to = blewUp ? snapshots.restore(control) : null;
          if (to !== null)
            out.push({
              step,
              kind: "rollback",
              evidence: { toStep: to },
              diagnosis: `weights and optimiser state put back to step ${to}, the last healthy snapshot`,
              action: "rolled back",
              repaired: true,
            });
          // Signals that grow layer by layer are the usual source: bring each layer's pre-activations back to unit spread.
          out.push(...rescale(control, step, e.batch.x));
          if (Number.isFinite(healthy) && healthy > 0)
            out.push(clipAt(control, step, CLIP_HEADROOM * healthy));
          else pendingClip = true;
          return out;
        };
      }
      case "dyingRelu": {
        const info = layers.find((l) => l.name === f.layer);
        if (!info || info.deadUnits.length === 0) return null;
        return () => {
          reinitUnits(control, info.index, info.deadUnits, rng);
          const n = info.deadUnits.length;
          for (const l of layers) {
            l.active.fill(0);
            l.deadFraction = 0;
            l.deadUnits = [];
          }
          deadChecks = 0;
          deadWindowFull = false;
          return [
            {
              step,
              kind: "unitReinit",
              layer: info.name,
              evidence: { units: n },
              diagnosis: `${n} dead units of layer ${info.name} re-initialised (fresh incoming weights, zero bias, zero outgoing weights)`,
              action: "re-initialised dead units",
              repaired: true,
            },
          ];
        };
      }
      case "saturation":
        return () => rescale(control, step, e.batch.x);
      default:
        return null;
    }
  };

  const layerStatistics = (e: BatchEvent, control: TrainingControl): LayerStatistics[] => {
    const withRank = checks % RANK_EVERY === 1;
    return layers.map((info, k) => {
      const w = control.parameters[info.weightAt][1].data as Float32Array;
      const gw = e.grads.get(control.parameters[info.weightAt][0]);
      const gb = info.biasAt >= 0 ? e.grads.get(control.parameters[info.biasAt][0]) : undefined;
      const gradNorm = Math.hypot(gw ? l2Norm(gw) : 0, gb ? l2Norm(gb) : 0);
      const weightNorm = l2Norm(w);
      const s: LayerStatistics = {
        layer: info.name,
        activation: info.layer.activation,
        gradNorm,
        weightNorm,
        weightGrowth: weightNorm / info.prevWeightNorm,
        updateRatio: before[k] ? updateRatio(before[k], w) : NaN,
        activationMean: NaN,
        preActivationStd: NaN,
        deadFraction: NaN,
        inactiveFraction: NaN,
        dormantFraction: NaN,
        saturatedFraction: NaN,
        effectiveRank: NaN,
      };
      info.prevWeightNorm = weightNorm;
      const act = e.activations?.get(info.name);
      if (!act || !info.hidden) return s;
      const out = act.output.data;
      const [n, units] = [act.output.shape[0], act.output.shape[1]];
      const { meanAbs, mean, inactive } = unitActivity(out, n, units, info.active);
      s.activationMean = meanStd(mean).mean;
      if (act.preActivation) s.preActivationStd = meanStd(act.preActivation.data).std;
      s.dormantFraction = dormantFraction(meanAbs, t.dormantTau);
      s.saturatedFraction = saturatedFraction(out, info.layer.activation);
      if (info.layer.activation === "relu")
        [s.deadFraction, s.inactiveFraction] = [info.deadFraction, inactive];
      if (withRank) s.effectiveRank = effectiveRank(out, n, units);
      return s;
    });
  };

  /** Close the dead-unit window every `deadWindowChecks` checks; true when it closed now. */
  const closeDeadWindow = (): boolean => {
    if (++deadChecks < t.deadWindowChecks) return false;
    for (const l of layers) {
      l.deadUnits = [];
      for (let u = 0; u < l.active.length; u++) if (!l.active[u]) l.deadUnits.push(u);
      l.deadFraction = l.deadUnits.length / Math.max(l.active.length, 1);
      l.active.fill(0);
    }
    deadChecks = 0;
    deadWindowFull = true;
    return true;
  };

  const countBatch = (e: BatchEvent): void => {
    // Weighted by rows, so a short last batch counts for what it holds: the window's mean is the mean over its rows.
    lossSum += e.loss * e.batchSize;
    lossCount += e.batchSize;
    const y = e.batch.y;
    const [n, k] = [y.shape[0], y.shape[1]];
    if (classification === null) classification = looksLikeClasses(y.data, n, k);
    if (!classification) return;
    classCounts ??= new Float64Array(Math.max(k, 2));
    const out = layers.length ? e.activations?.get(layers[layers.length - 1].name) : undefined;
    for (let r = 0; r < n; r++) {
      const label = k === 1 ? (y.data[r] > 0.5 ? 1 : 0) : argmaxRow(y.data, r, k);
      classCounts[label]++;
      if (!out) continue;
      const logits = (out.preActivation ?? out.output).data;
      const threshold = out.preActivation ? 0 : 0.5;
      const pred = k === 1 ? (logits[r] > threshold ? 1 : 0) : argmaxRow(logits, r, k);
      if (pred === label) correct++;
      rows++;
    }
  };

  const check = (e: BatchEvent, control: TrainingControl): void => {
    checks++;
    lossMeans.push(lossSum / Math.max(lossCount, 1));
    if (lossMeans.length > HISTORY_KEEP)
      droppedBestLoss = Math.min(droppedBestLoss, lossMeans.splice(1, 1)[0]);
    if (classification && rows > 0) accuracyMeans.push(correct / rows);
    if (accuracyMeans.length > HISTORY_KEEP) accuracyMeans.splice(1, 1);
    lossSum = lossCount = correct = rows = 0;
    const stats = layerStatistics(e, control);
    if (closeDeadWindow())
      layers.forEach((l, k) => {
        if (l.layer.activation === "relu" && l.hidden) stats[k].deadFraction = l.deadFraction;
      });
    const gradNorm = Math.hypot(...stats.map((s) => s.gradNorm));
    gradNorms.push(gradNorm);
    if (Number.isNaN(firstGradNorm)) firstGradNorm = gradNorm;
    if (gradNorms.length > HISTORY_KEEP) gradNorms.shift();
    if (pendingClip) {
      pendingClip = false;
      emit(clipAt(control, e.step, CLIP_HEADROOM * gradNorm));
    }
    series.add({ step: e.step, loss: lossMeans[lossMeans.length - 1], gradNorm, layers: stats });
    if (layers.length === 0) return;
    const counts = classCounts ?? new Float64Array(1);
    const total = counts.reduce((a, b) => a + b, 0);
    const picture: TrainingPicture = {
      step: e.step,
      checks,
      lossMeans,
      droppedBestLoss,
      accuracyMeans,
      chance: total > 0 ? Math.max(...counts) / total : 0,
      gradNorm,
      gradNormMedian: median(gradNorms.slice(0, -1)),
      firstGradNorm,
      layers: stats,
      deadWindowFull,
    };
    for (const detect of CHECK_DETECTORS) {
      const f = detect(picture, t);
      if (f?.kind === "nonFinite" && f.layer === layers[0].name) {
        // NaN confined to some input columns of the first layer came in with the data: no rollback cleans data.
        const cols = nonFiniteColumns(control.model, layers[0].index);
        if (cols.length > 0 && cols.length < control.model.inputDim) {
          const g: Finding = {
            ...f,
            evidence: { ...f.evidence, columns: cols.length, column: cols[0] },
            diagnosis: `the weights fed by input column(s) ${cols.slice(0, 5).join(", ")} turned NaN while the loss stayed finite: those inputs are NaN in some rows (ReLU hid them from the loss)`,
            action: "fix or impute the NaN cells, or drop their rows",
          };
          emit({ step: e.step, ...g });
          fail(control, e.step, g, "the data must be fixed first");
          return;
        }
      }
      if (f) {
        handle(control, e.step, f, repairFor(control, e, f));
        return;
      }
    }
    // Healthy here, and not drifting upwards: worth keeping to roll back to.
    if (opts.repair && lossMeans[lossMeans.length - 1] <= 1.5 * Math.min(droppedBestLoss, ...lossMeans))
      snapshots.take(control);
  };

  /** Everything needed to continue exactly where a checkpoint left off. */
  const getState = (): HealthMonitorState => ({
    rng: rng.getState(),
    events: events.slice(),
    series: series.getState(),
    snapshots: snapshots.getState(),
    layers: layers.map((l) => ({
      active: Int32Array.from(l.active),
      prevWeightNorm: l.prevWeightNorm,
      deadFraction: l.deadFraction,
      deadUnits: l.deadUnits.slice(),
    })),
    lossSum,
    lossCount,
    correct,
    rows,
    lossMeans: lossMeans.slice(),
    droppedBestLoss,
    accuracyMeans: accuracyMeans.slice(),
    classCounts: classCounts ? classCounts.slice() : null,
    classification,
    gradNorms: gradNorms.slice(),
    firstGradNorm,
    checks,
    deadChecks,
    deadWindowFull,
    clipping,
    pendingClip,
    checkDue,
    repairs: [...repairs],
    totalRepairs,
    reported: [...reported],
    done,
    epochsSeen: epochsSeen.slice(),
  });
  let restored: HealthMonitorState | null = null;
  const setState = (s: HealthMonitorState): void => {
    rng.setState(s.rng);
    events.splice(0, events.length, ...s.events);
    series.setState(s.series);
    snapshots.setState(s.snapshots);
    ({
      lossSum,
      lossCount,
      correct,
      rows,
      droppedBestLoss,
      classification,
      firstGradNorm,
      checks,
      deadChecks,
      deadWindowFull,
      clipping,
      pendingClip,
      totalRepairs,
      done,
    } = s);
    checkDue = s.checkDue ?? false;
    lossMeans = s.lossMeans.slice();
    accuracyMeans = s.accuracyMeans.slice();
    classCounts = s.classCounts && Float64Array.from(s.classCounts);
    gradNorms.splice(0, gradNorms.length, ...s.gradNorms);
    repairs.clear();
    for (const [k, v] of s.repairs) repairs.set(k, v);
    reported.clear();
    for (const k of s.reported) reported.add(k);
    epochsSeen.splice(0, epochsSeen.length, ...s.epochsSeen);
    // Per-layer state needs the layers, which onTrainBegin finds (fit restores observers before it).
    restored = s;
  };

  return {
    events,
    stateKey: "health",
    getState,
    setState: (s: unknown) => setState(s as HealthMonitorState),
    get wantsActivations() {
      return wantNext;
    },
    statistics: () => series.result(),
    onTrainBegin(control) {
      const names = control.parameters.map(([n]) => n);
      const dense = control.model.layers.flatMap((l, i) => (l instanceof Dense ? [{ l, i }] : []));
      layers = dense.map(({ l, i }, k) => ({
        index: i,
        name: String(i),
        layer: l,
        weightAt: names.indexOf(`${i}.weight`),
        biasAt: names.indexOf(`${i}.bias`),
        hidden: k < dense.length - 1,
        active: new Uint8Array(l.units),
        prevWeightNorm: l2Norm(l.weight.data),
        deadFraction: NaN,
        deadUnits: [],
      }));
      before = [];
      wantNext = checkDue || (control.step + 1) % t.checkEvery === 0;
      if (restored) {
        if (restored.layers.length !== layers.length)
          throw new Error(
            `health: the checkpoint's monitor state has ${restored.layers.length} dense layers, the model ${layers.length}`,
          );
        restored.layers.forEach((r, k) => {
          layers[k].active.set(r.active);
          ({ prevWeightNorm: layers[k].prevWeightNorm, deadFraction: layers[k].deadFraction } = r);
          layers[k].deadUnits = r.deadUnits.slice();
        });
        restored = null;
        wantNext &&= !done;
      } else if (opts.repair) snapshots.take(control);
    },
    onGradients(_grads, control) {
      // The step about to happen is a check step: keep the weights it starts from, for the update ratio.
      if (done || !(checkDue || (control.step + 1) % t.checkEvery === 0)) return;
      before = layers.map((info, k) => {
        const w = control.parameters[info.weightAt][1].data as Float32Array;
        const buf = before[k] && before[k].length === w.length ? before[k] : new Float32Array(w.length);
        buf.set(w);
        return buf;
      });
    },
    onBatchEnd(e, control) {
      if (e.step % t.checkEvery === 0) checkDue = true;
      const checkNow = checkDue && !e.partial;
      if (checkNow) checkDue = false;
      wantNext = !done && (checkDue || (e.step + 1) % t.checkEvery === 0);
      if (done) return;
      if (lossBlewUp(e.loss, t)) {
        const bad = countNonFinite(e.batch.x.data);
        const norms = layers.map((l) => ({
          layer: l.name,
          gradNorm: Math.hypot(
            ...[l.weightAt, l.biasAt]
              .filter((i) => i >= 0)
              .map((i) => l2Norm(e.grads.get(control.parameters[i][0]) ?? [])),
          ),
        }));
        const f = diagnoseBlowUp(e.step, e.loss, bad, norms, median(gradNorms), t);
        if (bad > 0 || !opts.repair) {
          // Rolling back cannot clean data, and a NaN run without repair is over (Keras' TerminateOnNaN).
          emit({ step: e.step, ...f });
          fail(control, e.step, f, bad > 0 ? "the data must be fixed first" : "repair is off");
          return;
        }
        handle(control, e.step, f, repairFor(control, e, f));
        lossSum = lossCount = correct = rows = 0;
        return;
      }
      countBatch(e);
      if (checkNow) check(e, control);
    },
    onEpochEnd(e: EpochEvent, control) {
      if (done) return;
      epochsSeen.push(e);
      const f = detectOverfitting(epochsSeen, t);
      if (f) handle(control, e.steps, f, null);
    },
  };
}

function median(a: readonly number[]): number {
  const s = a.filter(Number.isFinite).sort((x, y) => x - y);
  return s.length ? s[Math.floor(s.length / 2)] : NaN;
}

function countNonFinite(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) n++;
  return n;
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
