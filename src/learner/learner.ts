/**
 * The lifelong learner: one object that learns one row at a time for as long as rows come, over plain
 * state (River's `learn_one` / `predict_one`, evaluated prequentially). `observe` predicts, then learns;
 * a new label grows the head; inputs and targets are normalised by running statistics; a bounded,
 * class-balanced memory is replayed with every step; a drift detector on the prequential error
 * consolidates (online EWC) what was learnt before the change. `getState` / `fromState` continue
 * bit-identically; the byte form and the files are in io/learner-file.ts.
 */
import { crossEntropy, mse } from "../losses/losses.js";
import { Dense } from "../nn/layers.js";
import { Sequential } from "../nn/sequential.js";
import type { Optimizer } from "../optim/optimizers.js";
import { RunningNormalizer, RunningTargetScaler } from "../data/running-normalizer.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";
import { type RunRngs, TrainingRun } from "../train/run.js";
import type { TrainingState } from "../train/options.js";
import {
  buildOptimizer,
  type LearnerConfig,
  type ParsedLearnerConfig,
  parseLearnerConfig,
} from "./config.js";
import { Consolidation } from "./consolidation.js";
import { driftDetectorFromState, type DriftEvidence, Adwin, PageHinkley } from "./drift.js";
import { growOptimizerState, growOutput } from "./head.js";
import { ReplayMemory } from "./memory.js";
import { Prequential } from "./prequential.js";
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
import { LEARNER_STATE_VERSION, type LearnerState, type LearnerVitals } from "./state.js";

export type { LearnerConfig } from "./config.js";
export type { Label, Row } from "./rows.js";
export type { LearnerState, LearnerVitals } from "./state.js";

/** What `predict` and `observe` return for a classification learner. */
export interface ClassPrediction {
  /** The most probable known label (null before the first label). */
  label: Label | null;
  probability: number;
  /** Every label known when the prediction was made, in output-unit order. */
  labels: Label[];
}
export interface ValuePrediction {
  value: number;
}
export type Prediction = ClassPrediction | ValuePrediction;

/** Probabilities below this count as this in the prequential loss (a label the head did not have yet). */
const MIN_PROBABILITY = 1e-7;

interface Pending {
  x: Float64Array;
  unit: number;
  target: number;
}

/** A prediction inside the learner: the unit, the outputs and how many labels were known then. */
interface Inner {
  value: number;
  unit: number;
  probs: Float32Array | null;
  known: number;
}

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
  private detector: Adwin | PageHinkley | null;
  private readonly score: Prequential;
  private readonly consolidation: Consolidation | null;
  private pending: Pending[] = [];
  private drifts: { row: number; evidence: DriftEvidence }[] = [];
  private seconds = 0;

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
    this.consolidation =
      c.consolidate === "onlineEwc" && c.task === "classification"
        ? new Consolidation(rng.fork("consolidate"))
        : null;
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
    return new Learner(parseLearnerConfig(state.config), state);
  }

  get task(): "classification" | "regression" {
    return this.config.task;
  }
  private get classification(): boolean {
    return this.config.task === "classification";
  }

  /** The network (built at the first row when the config does not give `inputs`). */
  get network(): Sequential | null {
    return this.model;
  }
  /** The optimiser's state (plain data; moments laid out like the parameters). */
  get optimizerState(): unknown {
    return this.run?.optState;
  }

  private build(inputs: number, initRng: Rng): void {
    const outputs = this.classification ? Math.max(1, this.labels.size) : 1;
    const layers = this.config.hidden.map((units) => new Dense(units, { activation: "relu" }));
    layers.push(new Dense(outputs, { activation: this.classification ? "softmax" : "identity" }));
    this.model = new Sequential(layers).build(inputs, initRng);
    if (this.config.normalize)
      this.normalizer = new RunningNormalizer(inputs, { decay: this.config.normalizeDecay });
    this.memory = new ReplayMemory(this.config.memory, inputs, this.growRng.fork("memory"));
    this.run = this.makeRun(undefined);
  }

  private makeRun(resume: TrainingState | undefined): TrainingRun {
    const model = this.model!;
    const empty = {
      x: new Tensor(new Float32Array(0), [0, model.inputDim]),
      y: new Tensor(new Float32Array(0), [0, model.outputDim]),
    };
    const observers = this.consolidation?.observers() ?? [];
    const loss = this.classification ? crossEntropy : mse;
    return new TrainingRun(
      model,
      empty,
      loss,
      { epochs: 1, batchSize: 1, optimizer: this.optimizer, loss, observers, resume },
      this.rngs,
    );
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
    this.pending.push({ x: raw, unit, target: this.classification ? 0 : (label as number) });
    if (this.pending.length >= this.config.batch) this.learnPending();
    this.seconds += (performance.now() - started) / 1000;
    return this.answer(before);
  }

  /** The prediction for `x`; learns nothing. */
  predict(x: Row): Prediction {
    const raw = encodeRow(x, this.format);
    return this.answer(this.infer(raw));
  }

  private answer(p: Inner): Prediction {
    if (!this.classification) return { value: p.value };
    const labels = this.labels.labels.slice(0, p.known);
    return {
      label: p.unit >= 0 ? labels[p.unit] : null,
      probability: p.probs && p.unit >= 0 ? p.probs[p.unit] : 0,
      labels,
    };
  }

  /** The model's output for a raw row, with the statistics as they are now. */
  private infer(raw: Float64Array): Inner {
    if (!this.model) return { value: 0, unit: -1, probs: null, known: 0 };
    const x = this.normalizer ? this.normalizer.normalize(raw) : Float32Array.from(raw);
    const out = this.model.forward(new Tensor(x, [1, x.length]), { training: false }).data as Float32Array;
    if (!this.classification) return { value: this.target!.unscale(out[0]), unit: -1, probs: null, known: 0 };
    let best = -1;
    for (let u = 0; u < this.labels.size; u++) if (best < 0 || out[u] > out[best]) best = u;
    return { value: 0, unit: best, probs: out, known: this.labels.size };
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
    const params = this.model!.parameters().map(([, t]) => t.data as Float32Array);
    snap.optimizerState = growOptimizerState(this.optimizer, snap.optimizerState, params);
    this.consolidation?.grow(this.model!);
    this.run = this.makeRun(snap);
  }

  /** Score the prediction made before learning, and feed the drift detector its error. */
  private record(before: Inner, unit: number, y: number): void {
    let hit = false;
    let loss: number;
    if (this.classification) {
      hit = before.unit === unit;
      const p = before.probs && unit < before.known ? before.probs[unit] : 0;
      loss = 0 - Math.log(Math.max(p, MIN_PROBABILITY)); // 0 −, not −: a sure hit scores 0, not −0
    } else loss = (before.value - y) ** 2;
    this.score.add(hit, loss, unit);
    // The 0/1 error for labels (bounded, as ADWIN's bound assumes); the squared error in training units for numbers.
    const signal = this.classification
      ? hit
        ? 0
        : 1
      : (this.target!.scale(before.value) - this.target!.scale(y)) ** 2;
    if (this.detector?.update(signal)) {
      this.drifts.push({ row: this.score.getState().rows, evidence: this.detector.last! });
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
    for (const p of this.pending) this.memory?.offer(p.x, Math.max(p.unit, 0), p.target);
    this.pending = [];
  }

  /** Pending rows and memory slots as one training batch, normalised with the statistics of now. */
  private batchOf(rows: readonly Pending[], slots: readonly number[]): { x: Tensor; y: Tensor } {
    const model = this.model!;
    const d = model.inputDim;
    const k = model.outputDim;
    const n = rows.length + slots.length;
    const x = new Float32Array(n * d);
    const y = new Float32Array(n * k);
    const put = (i: number, raw: ArrayLike<number>, unit: number, target: number) => {
      const xi = x.subarray(i * d, (i + 1) * d);
      if (this.normalizer) this.normalizer.normalize(raw, xi);
      else xi.set(raw);
      if (this.classification) y[i * k + unit] = 1;
      else y[i] = this.target!.scale(target);
    };
    rows.forEach((r, i) => put(i, r.x, r.unit, r.target));
    const m = this.memory!;
    slots.forEach((s, j) => put(rows.length + j, m.row(s), m.label(s), m.target(s)));
    return { x: new Tensor(x, [n, d]), y: new Tensor(y, [n, k]) };
  }

  /** The vital signs: prequential scores, drifts, memory, speed (a plain object). */
  vitals(): LearnerVitals {
    const cls = this.classification;
    const sc = this.score.getState();
    const recent = this.score.recent(cls);
    const accuracy = this.score.perLabel();
    return {
      task: this.config.task,
      rows: sc.rows,
      steps: this.run?.step ?? 0,
      prequential: this.score.whole(cls),
      recent: { ...recent, window: this.config.window },
      perLabel: this.labels.labels.map((label, i) => ({
        label,
        rows: sc.perLabelRows[i] ?? 0,
        accuracy: accuracy[i] ?? null,
      })),
      labels: [...this.labels.labels],
      drifts: this.drifts.map((d) => ({ ...d })),
      consolidations: this.consolidation?.count ?? 0,
      replay: {
        size: this.memory?.size ?? 0,
        capacity: this.config.memory,
        perLabel: [...(this.memory?.held ?? [])],
      },
      pending: this.pending.length,
      samplesPerSecond: this.seconds > 0 ? sc.rows / this.seconds : 0,
      seconds: this.seconds,
    };
  }

  /** Everything that decides how the learner continues, as plain data and typed arrays (copies). */
  getState(): LearnerState {
    const { features, ...rest } = this.config;
    const config = { ...rest, ...(features ? { features } : {}) } as LearnerConfig;
    const m = this.model;
    return structuredClone({
      version: LEARNER_STATE_VERSION,
      config,
      format: this.format,
      labels: this.labels.labels,
      network: m && {
        outputs: m.outputDim,
        weights: Object.fromEntries(m.parameters().map(([name, t]) => [name, t.data as Float32Array])),
        run: this.run!.snapshot(0),
        growRng: this.growRng.getState(),
        normalizer: this.normalizer?.getState() ?? null,
        memory: this.memory!.getState(),
      },
      target: this.target?.getState() ?? null,
      detector: this.detector?.getState() ?? null,
      prequential: this.score.getState(),
      consolidation: this.consolidation?.getState() ?? null,
      pending: this.pending,
      drifts: this.drifts,
      seconds: this.seconds,
    });
  }

  private restore(state: LearnerState): void {
    if (state.version !== LEARNER_STATE_VERSION)
      throw new ConfigError(
        `learner state version ${state.version}: this Homeostat reads version ${LEARNER_STATE_VERSION}`,
        {
          field: "version",
        },
      );
    this.format = { ...state.format };
    if (state.target) this.target = RunningTargetScaler.fromState(state.target);
    if (state.detector) this.detector = driftDetectorFromState(state.detector);
    this.pending = structuredClone(state.pending);
    this.drifts = structuredClone(state.drifts);
    this.seconds = state.seconds;
    const net = state.network;
    if (!net) return;
    const layers = this.config.hidden.map((units) => new Dense(units, { activation: "relu" }));
    layers.push(new Dense(net.outputs, { activation: this.classification ? "softmax" : "identity" }));
    this.model = new Sequential(layers).build(state.format.inputs!, new Rng(0));
    for (const [name, t] of this.model.parameters()) t.data.set(net.weights[name]);
    this.growRng.setState(net.growRng);
    this.normalizer = net.normalizer && RunningNormalizer.fromState(net.normalizer);
    this.memory = ReplayMemory.fromState(net.memory);
    if (state.consolidation) this.consolidation!.setState(state.consolidation, this.model);
    this.run = this.makeRun(structuredClone(net.run));
  }
}
