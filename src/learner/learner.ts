/**
 * The lifelong learner: learns one row at a time over plain state (River's `learn_one`/`predict_one`,
 * scored prequentially). `observe` predicts, then learns; a new label grows the head; running statistics
 * normalise; a class-balanced memory is replayed; a drift on the prequential error consolidates (EWC, SI,
 * MAS, LwF); the health monitor (guard.ts) and regulators watch every step; balance is read on a probe of
 * recent rows (probe.ts). `getState`/`fromState` continue bit-identically (files: io/learner-file.ts).
 */
import { allocFloat32, zeroFloat32 } from "../backend/index.js";
import { createRegulator } from "../homeostasis/config.js";
import type { Regulator } from "../homeostasis/regulator.js";
import { crossEntropy, mse } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import type { Optimizer } from "../optim/optimizers.js";
import { RunningNormalizer, RunningTargetScaler } from "../data/running-normalizer.js";
import { ConfigError } from "../tensor/errors.js";
import { deepCopy } from "../tensor/plain.js";
import { ArrayPool } from "../tensor/recycle.js";
import { Rng } from "../tensor/rng.js";
import type { Tensor } from "../tensor/tensor.js";
import { type RunRngs, TrainingRun } from "../train/run.js";
import type { TrainingState } from "../train/options.js";
import {
  buildOptimizer,
  type LearnerConfig,
  type ParsedLearnerConfig,
  parseLearnerConfig,
  savedConfig,
} from "./config.js";
import { Consolidation } from "./consolidation.js";
import { driftDetectorFromState, type DriftEvidence, Adwin, PageHinkley } from "./drift.js";
import {
  answerOf,
  type BatchRow,
  type Inner,
  inferRow,
  type Prediction,
  retentionOn,
  scoreBefore,
  inputNormalizer,
  trainingBatch,
} from "./batches.js";
import { FAILURE_RATE_CUT, HEALTH_PROBE_ROWS, LearnerGuard, MIN_HEALTH_PROBE } from "./guard.js";
import { growOptimizerState, growOutput, learnerNetwork, lengthenByName } from "./head.js";
import { type LearnerListener, relayTo } from "./listen.js";
import { ReplayMemory } from "./memory.js";
import { Prequential } from "./prequential.js";
import { Probe } from "./probe.js";
import {
  checkLabel,
  checkTarget,
  encodeRow,
  fixFormat,
  type Label,
  LabelIndex,
  type Row,
  type RowFormat,
} from "./rows.js";
import {
  LEARNER_STATE_VERSION,
  type LearnerState,
  type LearnerVitals,
  loadTensors,
  savedTensors,
} from "./state.js";
import { learnerVitals } from "./vitals.js";

export type { LearnerConfig } from "./config.js";
export type { Label, Row } from "./rows.js";
export type { ClassPrediction, Prediction, ValuePrediction } from "./batches.js";
export type { LearnerState, LearnerVitals } from "./state.js";

/** A row waiting for the next micro-batch step. */
type Pending = BatchRow & { x: Float64Array };

/**
 * A network that keeps learning from a stream: test-then-train, growing head, running normalisation,
 * replay and drift-triggered consolidation, all on by default.
 *
 * @example
 * const learner = Learner.create({ task: "classification", seed: 1 });
 * const before = learner.observe([0.2, 1.5, 3], "spam"); // the prediction made before learning
 * learner.predict([0.1, 1.2, 2.5]); // { label, probability, labels }
 * learner.vitals().prequential.accuracy;
 */
export class Learner {
  private format: RowFormat;
  private readonly labels: LabelIndex;
  private model: Sequential | null = null;
  private run: TrainingRun | null = null;
  private readonly optimizer: Optimizer;
  private readonly rngs: RunRngs;
  private readonly growRng: Rng;
  private normalizer: RunningNormalizer | null = null;
  private target: RunningTargetScaler | null;
  private memory: ReplayMemory | null = null;
  private probe: Probe | null = null;
  private readonly guard: LearnerGuard | null;
  private readonly regulators: Regulator[];
  private readonly listeners: LearnerListener[] = [];
  private readonly relay = relayTo(this.listeners);
  private detector: Adwin | PageHinkley | null;
  private readonly score: Prequential;
  private readonly consolidation: Consolidation | null;
  private pending: Pending[] = [];
  private drifts: { row: number; evidence: DriftEvidence }[] = [];
  private seconds = 0;
  /**
   * The arrays of a prediction's forward pass (its normalised row, its hidden layers'), reused by the
   * next prediction (not state): each is too long for V8's heap, a few µs to allocate outside it.
   */
  private readonly inferPool = new ArrayPool(allocFloat32, zeroFloat32);

  private constructor(
    readonly config: ParsedLearnerConfig,
    state?: LearnerState,
  ) {
    const c = config;
    const rng = new Rng(c.seed);
    this.optimizer = buildOptimizer(c.optimizer);
    this.rngs = { shuffle: rng.fork("shuffle"), dropout: rng.fork("dropout"), augment: rng.fork("augment") };
    this.growRng = rng.fork("grow");
    this.format = { inputs: c.inputs ?? c.features?.length ?? null, features: c.features };
    this.labels = new LabelIndex(state?.labels ?? c.labels);
    this.target = c.task === "regression" ? new RunningTargetScaler() : null;
    this.detector = c.drift === "adwin" ? new Adwin() : c.drift === "page-hinkley" ? new PageHinkley() : null;
    this.score = new Prequential(c.window, state?.prequential);
    const consolidating = c.consolidate && c.task === "classification";
    this.consolidation = consolidating ? new Consolidation(c.consolidate!, rng.fork("consolidate")) : null;
    this.regulators = c.homeostasis.map(createRegulator);
    const probe = () =>
      (this.probe?.size ?? 0) >= MIN_HEALTH_PROBE
        ? this.batchOf(this.probe!.rows(HEALTH_PROBE_ROWS), [])
        : null;
    this.guard = c.health ? new LearnerGuard(c.seed, probe, state?.guard ?? undefined) : null;
    if (state) this.restore(state);
    else if (this.format.inputs !== null) this.build(this.format.inputs, rng.fork("init"));
  }

  /**
   * A new learner; `{ task }` alone is a valid config (the first row fixes the input width).
   *
   * @example
   * const learner = Learner.create({ task: "regression", hidden: [32], batch: 4, seed: 7 });
   */
  static create(config: LearnerConfig): Learner {
    return new Learner(parseLearnerConfig(config));
  }

  /** A learner that continues exactly where `getState` left one. */
  static fromState(state: LearnerState): Learner {
    return new Learner(parseLearnerConfig(state.config), deepCopy(state)); // owns every array it continues from
  }

  get task(): "classification" | "regression" {
    return this.config.task;
  }
  private get classification(): boolean {
    return this.task === "classification";
  }

  /** The network (built at the first row when the config does not give `inputs`). */
  get network(): Sequential | null {
    return this.model;
  }
  /** The optimiser's state (moments laid out like the parameters). */
  get optimizerState(): unknown {
    return this.run?.optState;
  }

  private build(inputs: number, initRng: Rng): void {
    const outputs = this.classification ? Math.max(1, this.labels.size) : 1;
    this.model = learnerNetwork(this.config, outputs, inputs, initRng);
    this.normalizer = inputNormalizer(this.config, inputs);
    this.memory = new ReplayMemory(this.config.memory, inputs, this.growRng.fork("memory"));
    this.probe = new Probe(this.config.probe, inputs);
    this.consolidation?.begin(this.model);
    this.run = this.makeRun(undefined);
    if (this.guard) this.watchStep();
  }

  private makeRun(resume: TrainingState | undefined): TrainingRun {
    const model = this.model!;
    const empty = trainingBatch([], [], { model, memory: this.memory!, normalizer: null, target: null });
    const observers = [
      this.relay,
      ...(this.guard ? [this.guard.observer] : []),
      ...this.regulators,
      ...(this.consolidation?.observers() ?? []),
    ];
    const loss = this.classification ? crossEntropy : mse;
    const opts = { epochs: 1, batchSize: 1, optimizer: this.optimizer, loss, observers, resume };
    const run = new TrainingRun(model, empty, loss, opts, this.rngs);
    // As fit does: observers restored first (by the run), then told training begins.
    for (const o of observers) o.onTrainBegin?.(run.control);
    return run;
  }

  /**
   * Predict `x`, then learn from `(x, y)`: returns the prediction made before learning (test-then-train).
   * A bad row or label is refused with a DataError naming the cell, and the learner is left unchanged.
   */
  observe(x: Row, y: Label): Prediction {
    const started = performance.now();
    const raw = encodeRow(x, this.format);
    const label = this.classification ? checkLabel(y) : checkTarget(y);
    if (!this.model) this.build(raw.length, new Rng(this.config.seed).fork("init"));
    this.format = fixFormat(x, this.format, raw.length);
    const before = this.infer(raw);
    const unit = this.classification ? this.unitOf(label) : -1;
    this.record(before, unit, label as number);
    this.normalizer?.update(raw);
    this.target?.update(label as number);
    this.probe!.add(raw, unit, this.classification ? 0 : (label as number));
    this.pending.push({ x: raw, unit, target: this.classification ? 0 : (label as number) });
    if (this.pending.length >= this.config.batch) this.learnPending();
    if (this.score.rows % this.config.probeEvery === 0) this.measureBalance();
    this.seconds += (performance.now() - started) / 1000;
    return answerOf(before, this.classification ? this.labels.labels : null);
  }

  /** The prediction for `x`; learns nothing. */
  predict(x: Row): Prediction {
    const raw = encodeRow(x, this.format);
    return answerOf(this.infer(raw), this.classification ? this.labels.labels : null);
  }

  /** The model's output for a raw row, with the statistics as they are now. */
  private infer(raw: Float64Array): Inner {
    if (!this.model) return { value: 0, unit: -1, probs: null, known: 0 };
    const { model, normalizer, target } = this;
    const inner = this.inferPool.during(() => inferRow(raw, this.labels.size, model, normalizer, target));
    // Every array of the pass goes back for the next prediction but the outputs: they are the caller's.
    this.inferPool.recycle(inner.probs ? [inner.probs] : []);
    return inner;
  }

  /** Hear every row's score and every step from now on (see listen.ts); listeners are not saved. */
  listen(listener: LearnerListener): void {
    this.listeners.push(listener);
  }

  /** The output unit of `label`, growing the head for a label never seen before. */
  private unitOf(label: Label): number {
    const known = this.labels.indexOf(label);
    if (known >= 0) return known;
    const unit = this.labels.add(label);
    if (this.labels.size > this.model!.outputDim) this.growHead();
    return unit;
  }

  private growHead(): void {
    const snap = this.run!.snapshot(0);
    growOutput(this.model!, this.growRng);
    const named = this.model!.parameters().map(([n, t]) => [n, t.data as Float32Array] as const);
    const params = named.map(([, d]) => d);
    snap.optimizerState = growOptimizerState(this.optimizer, snap.optimizerState, params);
    snap.observers = lengthenByName(snap.observers, new Map(named), "parameters") as typeof snap.observers;
    if (this.guard) {
      // The monitor starts its per-layer state and snapshots afresh on the grown model; the healthy state too.
      delete snap.observers[this.guard.observer.stateKey!];
      this.guard.reshaped();
    }
    this.consolidation?.grow(this.model!);
    this.run = this.makeRun(snap);
    if (this.guard) this.watchStep();
  }

  /** Score the prediction made before learning, and feed the drift detector its error. */
  private record(before: Inner, unit: number, y: number): void {
    const { hit, loss, signal } = scoreBefore(before, unit, y, this.target);
    this.score.add(hit, loss, unit);
    for (const l of this.listeners) l.scored?.(hit, loss);
    // A drift is an error that rose. A fall (the learner getting better) shrinks ADWIN's window too, but
    // is no reason to consolidate: on a fresh learner it fired three times in the first 500 rows.
    if (this.detector?.update(signal) && this.detector.last!.meanAfter > this.detector.last!.meanBefore) {
      this.drifts.push({ row: this.score.rows, evidence: this.detector.last! });
      this.consolidate();
    }
  }

  private consolidate(): void {
    if (!this.consolidation || !this.memory || this.memory.size === 0) return;
    const all = Array.from({ length: this.memory.size }, (_, i) => i);
    this.consolidation.consolidate(this.model!, this.batchOf([], all), crossEntropy);
    this.run = this.makeRun(this.run!.snapshot(0));
  }

  /** One optimiser step on the pending rows plus `replay` remembered ones; then the rows are offered to memory. */
  private learnPending(): void {
    const slots = this.memory?.sample(this.config.replay) ?? [];
    this.run!.trainOn(this.batchOf(this.pending, slots));
    if (this.guard) this.watchStep();
    for (const p of this.pending) this.memory?.offer(p.x, Math.max(p.unit, 0), p.target);
    this.pending = [];
  }

  /**
   * After a step (or a new run) with the health monitor on: keep the state as healthy when it is, or go
   * back to the last healthy state when the monitor found a failure it could not repair.
   */
  private watchStep(): void {
    const run = this.run!;
    // Listed only when needed (a keep, every 1,000 steps, or a way back): listing them cost ~2% of a row.
    const params = () => [...this.model!.parameters(), ...this.model!.buffers()];
    const back = this.guard!.afterStep(run.step, this.score.rows, run.failed, () => ({
      step: run.step,
      weights: params().map(([, t]) => t.data as Float32Array),
      run: run.snapshot(0),
    }));
    if (!back) return;
    // Back to the healthy weights, keeping what the repairs learnt (clipping, rate cuts), the rate halved.
    const { lrScale, clipNorm } = run.snapshot(0);
    const events = [...this.guard!.monitor.events]; // the story so far stays told
    params().forEach(([, t], i) => t.data.set(back.weights[i]));
    this.run = this.makeRun({ ...deepCopy(back.run), lrScale: lrScale * FAILURE_RATE_CUT, clipNorm });
    this.guard!.monitor.events.splice(0, Infinity, ...events);
    this.guard!.monitor.renewBudgets();
  }

  /** Balance measures on the probe, and retention: accuracy on evenly spaced remembered rows. */
  private measureBalance(): void {
    if (!this.model || !this.probe) return;
    const parts = this.batchParts();
    const retention = this.classification ? retentionOn(parts) : null;
    this.probe.measure(this.model, this.score.rows, (rows) => this.batchOf(rows, []), retention);
  }

  /** Pending rows and memory slots as one training batch, normalised with the statistics of now. */
  private batchOf(rows: readonly BatchRow[], slots: readonly number[]): { x: Tensor; y: Tensor } {
    return trainingBatch(rows, slots, this.batchParts());
  }

  private batchParts() {
    return { model: this.model!, memory: this.memory!, normalizer: this.normalizer, target: this.target };
  }

  /** The vital signs: prequential scores, health, balance, drifts, memory, speed (a plain object). */
  vitals(): LearnerVitals {
    return learnerVitals({
      config: this.config,
      score: this.score,
      labels: this.labels,
      steps: this.run?.step ?? 0,
      drifts: this.drifts,
      consolidations: this.consolidation?.count ?? 0,
      memory: this.memory,
      probe: this.probe,
      guard: this.guard,
      regulators: this.regulators,
      model: this.model,
      optimizerState: this.run?.optState,
      pending: this.pending.length,
      seconds: this.seconds,
    });
  }

  /** Everything that decides how the learner continues, as plain data and typed arrays (copies). */
  getState(): LearnerState {
    const m = this.model;
    return deepCopy({
      version: LEARNER_STATE_VERSION,
      config: savedConfig(this.config),
      format: this.format,
      labels: this.labels.labels,
      network: m && {
        outputs: m.outputDim,
        ...savedTensors(m),
        run: this.run!.snapshot(0),
        growRng: this.growRng.getState(),
        normalizer: this.normalizer?.getState() ?? null,
        memory: this.memory!.getState(),
        probe: this.probe!.getState(),
      },
      target: this.target?.getState() ?? null,
      detector: this.detector?.getState() ?? null,
      prequential: this.score.getState(),
      consolidation: this.consolidation?.getState() ?? null,
      pending: this.pending,
      drifts: this.drifts,
      guard: this.guard?.getState() ?? null,
      seconds: this.seconds,
    });
  }

  private restore(state: LearnerState): void {
    const v = state.version;
    if (!(v >= 1 && v <= LEARNER_STATE_VERSION))
      throw new ConfigError(
        `learner state version ${v}: this Homeostat reads 1 to ${LEARNER_STATE_VERSION}`,
        {
          field: "version",
        },
      );
    this.format = { ...state.format };
    if (state.target) this.target = RunningTargetScaler.fromState(state.target);
    if (state.detector) this.detector = driftDetectorFromState(state.detector);
    this.pending = deepCopy(state.pending);
    this.drifts = deepCopy(state.drifts);
    this.seconds = state.seconds;
    const net = state.network;
    if (!net) return;
    this.model = learnerNetwork(this.config, net.outputs, state.format.inputs!, new Rng(0));
    loadTensors(this.model, net);
    this.growRng.setState(net.growRng);
    this.normalizer = net.normalizer && RunningNormalizer.fromState(net.normalizer);
    this.memory = ReplayMemory.fromState(net.memory);
    // Version 1 had no probe: an empty one.
    this.probe = new Probe(this.config.probe, this.model.inputDim, net.probe);
    if (state.consolidation) this.consolidation!.setState(state.consolidation, this.model);
    this.run = this.makeRun(deepCopy(net.run));
  }
}
