import { grad } from "../autograd/backward.js";
import { type DeferredGradients, settleAll } from "../autograd/deferred.js";
import { add } from "../autograd/ops.js";
import { allocFloat32, backend, copyFloat32, stepPoolFor } from "../backend/index.js";
import type { Loss } from "../losses/losses.js";
import type { ForwardContext } from "../nn/layer.js";
import type { Sequential } from "../nn/sequential.js";
import { clipGradNorm, clipGradValue } from "../optim/clip.js";
import type { ReduceOnPlateau } from "../optim/schedules.js";
import { applyUpdates, residentState } from "../optim/transform.js";
import { ConfigError } from "../tensor/errors.js";
import type { ArrayPool } from "../tensor/recycle.js";
import type { Rng } from "../tensor/rng.js";
import type { Tensor } from "../tensor/tensor.js";
import { evaluate, type LabeledData, lossAndOutput, MetricAccumulator, type MetricName } from "./evaluate.js";
import { StepArrays } from "./step-arrays.js";
import type { FitOptions, TrainingState } from "./options.js";
import {
  activationsAsked,
  activationsKept,
  type Batch,
  type BatchEvent,
  type EpochEvent,
  type LayerActivation,
  type Observer,
  type TrainingControl,
} from "./events.js";

/** The seeded streams of a run: epoch order, dropout masks, augmentation. */
export interface RunRngs {
  shuffle: Rng;
  dropout: Rng;
  augment: Rng;
}

/**
 * One call of `fit` in progress: positions, random streams, optimiser state and what observers may
 * change through `control`. `fit` drives it: `beginEpoch`, `trainBatch` per batch, `endEpoch`.
 */
export class TrainingRun {
  readonly control: TrainingControl;
  readonly epochs: EpochEvent[];
  readonly stepsPerEpoch: number;
  epoch = 0;
  /** Next batch of `epoch` to train. */
  batchIndex = 0;
  step: number;
  stopReason: string | undefined;
  failed: string | undefined;
  optState: unknown;
  trainSeconds = 0;
  samples = 0;
  private lr: number;
  private lrScale = 1;
  private plateauFactor = 1;
  private clipNorm: number | null;
  private acc: MetricAccumulator;
  private readonly order: Int32Array;
  private readonly params: [string, Tensor][];
  private readonly paramData: Float32Array[];
  private readonly paramTensors: Tensor[];
  private readonly updateBuffers: (Float32Array | null)[];
  private readonly lossTerms: readonly Observer[];
  /** Copies of the gradients for observers, and the live arrays for `onGradients`. */
  private readonly gradCopies = new Map<string, Float32Array>();
  private readonly liveGrads = new Map<string, Float32Array>();
  /** Each batch's arrays and the activations' copies for observers that keep none, reused from step to step. */
  private readonly arrays: StepArrays;
  /** Weight gradients left as factors this step, for an optimiser that fuses them (`stepDeferred`). */
  private readonly deferred: DeferredGradients = new Map();
  /** The arrays of one step's forward and backward passes, reused by the next (recycle.ts), the model's. */
  private readonly pool: ArrayPool;
  /** Arrays that outlive a step (parameters, buffers): a pooled array sharing their memory is not reused. */
  private readonly held: Float32Array[];

  constructor(
    readonly model: Sequential,
    private readonly train: LabeledData,
    private readonly loss: Loss,
    private readonly opts: FitOptions,
    private readonly rngs: RunRngs,
  ) {
    const r = opts.resume;
    this.params = model.parameters();
    this.paramTensors = this.params.map(([, t]) => t);
    this.paramData = this.params.map(([, t]) => t.data as Float32Array);
    this.pool = stepPoolFor(model);
    this.held = [...this.paramData, ...model.buffers().map(([, t]) => t.data as Float32Array)];
    // Each parameter's update buffer in the backend's memory (wasm), kept there across calls of fit.
    const kernels = backend();
    this.updateBuffers = this.paramTensors.map((t) => kernels.bufferFor?.(t, t.size) ?? null);
    const given = r?.optimizerState ?? opts.optimizerState;
    this.optState = given === undefined ? opts.optimizer.init(this.paramData) : residentState(given);
    this.step = r?.step ?? 0;
    this.clipNorm = r ? r.clipNorm : (opts.clip?.norm ?? null);
    this.lr = r?.lr ?? 0;
    this.control = this.makeControl();
    const n = train.x.shape[0];
    this.stepsPerEpoch = Math.ceil(n / opts.batchSize);
    this.order = new Int32Array(n).map((_, i) => i);
    this.arrays = new StepArrays(Math.min(opts.batchSize, n));
    this.epochs = r ? [...r.epochs] : [];
    this.lossTerms = this.observers.filter((o) => o.lossTerm);
    this.acc = new MetricAccumulator(this.metrics);
    if (r) this.restore(r);
  }

  private get observers(): readonly Observer[] {
    // Stryker disable next-line ArrayDeclaration: an observer without hooks changes nothing
    return this.opts.observers ?? [];
  }

  private get metrics(): readonly MetricName[] {
    // Stryker disable next-line ArrayDeclaration: metrics no MetricName matches are not computed
    return this.opts.metrics ?? [];
  }

  private makeControl(): TrainingControl {
    const run = this;
    return {
      model: this.model,
      parameters: this.params,
      stop: (reason) => {
        run.stopReason ??= reason;
      },
      fail: (reason) => {
        run.failed ??= reason;
        run.stopReason ??= reason;
      },
      get step() {
        return run.step;
      },
      scaleLearningRate: (f) => {
        run.lrScale *= f;
      },
      get learningRateScale() {
        return run.lrScale;
      },
      setClipNorm: (n) => {
        run.clipNorm = n;
      },
      optimizerType: this.opts.optimizer.type,
      getOptimizerState: () => run.optState,
      setOptimizerState: (s) => {
        run.optState = residentState(s);
      },
    };
  }

  private restore(r: TrainingState): void {
    if (r.order.length !== this.order.length)
      throw new ConfigError(
        `resume: the checkpoint was taken on ${r.order.length} training rows, this data has ${this.order.length}`,
        { field: "resume" },
      );
    this.epoch = r.epoch;
    this.batchIndex = r.batchIndex;
    this.order.set(r.order);
    this.rngs.shuffle.setState(r.rngs.shuffle);
    this.rngs.dropout.setState(r.rngs.dropout);
    this.rngs.augment.setState(r.rngs.augment);
    if (this.opts.plateau && r.plateau)
      this.opts.plateau.setState(r.plateau as ReturnType<ReduceOnPlateau["getState"]>);
    this.plateauFactor = r.plateauFactor;
    this.lrScale = r.lrScale;
    this.acc.setState(r.accumulator);
    this.trainSeconds = r.trainSeconds;
    this.samples = r.samples;
    for (const o of this.observers)
      if (o.stateKey && o.setState && o.stateKey in r.observers) o.setState(r.observers[o.stateKey]);
  }

  /** The state to continue from, with `batchIndex` the next batch to train. */
  snapshot(batchIndex: number): TrainingState {
    const { shuffle, dropout, augment } = this.rngs;
    return {
      step: this.step,
      epoch: this.epoch,
      batchIndex,
      order: this.order.slice(),
      rngs: { shuffle: shuffle.getState(), dropout: dropout.getState(), augment: augment.getState() },
      optimizerState: this.optState,
      plateau: this.opts.plateau?.getState() ?? null,
      plateauFactor: this.plateauFactor,
      lrScale: this.lrScale,
      lr: this.lr,
      clipNorm: this.clipNorm,
      accumulator: this.acc.getState(),
      epochs: [...this.epochs],
      trainSeconds: this.trainSeconds,
      samples: this.samples,
      observers: Object.fromEntries(
        this.observers.filter((o) => o.stateKey && o.getState).map((o) => [o.stateKey!, o.getState!()]),
      ),
    };
  }

  /** A new epoch's order and metric sums; a run resumed mid-epoch keeps that epoch's. */
  beginEpoch(): void {
    const r = this.opts.resume;
    if (r && this.epoch === r.epoch) return;
    if (this.opts.shuffle ?? true) this.rngs.shuffle.shuffle(this.order);
    this.acc = new MetricAccumulator(this.metrics);
  }

  /** One optimiser step on batch `batchIndex` of the epoch, then the observers' `onBatchEnd`. */
  trainBatch(): void {
    const { opts } = this;
    const start = this.batchIndex * opts.batchSize;
    const n = this.order.length;
    const rows = Math.min(opts.batchSize, n - start);
    this.stepOn(this.gatherBatch(start, rows), rows, rows < Math.min(opts.batchSize, n));
    if (opts.checkpoint && this.step % opts.checkpoint.every === 0)
      opts.checkpoint.save(this.snapshot(this.batchIndex + 1));
  }

  /**
   * One optimiser step on rows the caller gives (a lifelong learner's latest rows), after the observers'
   * `transformBatch`, with the same optimiser state, observers and hooks as `trainBatch`; returns the
   * step's event. `fit`'s own data and position are left as they were.
   */
  trainOn(rows: Batch): BatchEvent {
    let batch = rows;
    for (const o of this.observers) batch = o.transformBatch?.(batch, this.control) ?? batch;
    return this.stepOn(batch, rows.x.shape[0], false);
  }

  /** Gradients, optimiser, counters and `onBatchEnd` for one batch of `rows` rows (before transforms). */
  private stepOn(batch: Batch, rows: number, partial: boolean): BatchEvent {
    const { observers } = this;
    // Asked at every step, so an observer can take activations on some steps only (they cost a few % per step).
    const asked = activationsAsked(observers);
    const activations = asked ? new Map<string, LayerActivation>() : undefined;
    const { lossValue, penalty, grads } = this.gradients(batch, activations, asked === "outputs");
    this.lr = this.learningRate();
    // Copying every gradient costs a few % of a step: only when some observer wants them this step.
    const keepGrads = observers.some((o) => o.wantsGradients?.(lossValue) ?? true);
    if (keepGrads) {
      settleAll(this.deferred);
      this.copyGradients(grads);
    }
    this.applyOptimizer(grads);
    this.step++;
    this.samples += rows;
    const event: BatchEvent = {
      step: this.step,
      epoch: this.epoch,
      batchIndex: this.batchIndex,
      batchSize: batch.x.shape[0],
      partial,
      loss: lossValue,
      penalty,
      lr: this.lr,
      grads: keepGrads ? this.gradCopies : NO_GRADS,
      activations,
      batch,
    };
    for (const o of observers) o.onBatchEnd?.(event, this.control);
    // The step's temporaries are garbage now: the optimiser has consumed the factors and the hooks have run.
    this.deferred.clear();
    this.pool.recycle(this.held);
    return event;
  }

  /** Rows `order[start .. start+rows)`, augmented, then as the observers' `transformBatch` leave them. */
  private gatherBatch(start: number, rows: number): Batch {
    const { x, y } = this.train;
    const inDim = x.shape[1];
    const xb = this.arrays.gather(0, x, this.order, start, rows);
    const yb = this.arrays.gather(1, y, this.order, start, rows);
    if (this.opts.augment) this.opts.augment(xb.data as Float32Array, rows, inDim, this.rngs.augment);
    let batch: Batch = { x: xb, y: yb };
    for (const o of this.observers) batch = o.transformBatch?.(batch, this.control) ?? batch;
    return batch;
  }

  /** Forward, loss (with the observers' penalty terms), backward, gradient hooks and clipping. */
  private gradients(
    batch: Batch,
    activations: Map<string, LayerActivation> | undefined,
    outputsOnly: boolean,
  ): { lossValue: number; penalty: number; grads: Float32Array[] } {
    const ctx: ForwardContext = { training: true, rng: this.rngs.dropout, outputsOnly };
    // Copies: the step's own arrays are reused by the next step (and one kept out of that reuse would be
    // memory the backend gets back only when the event loop next turns).
    if (activations) {
      const copy = activationsKept(this.observers)
        ? (_key: string, t: Tensor) => t.clone()
        : (key: string, t: Tensor) => this.arrays.copy(key, t);
      ctx.onActivation = (layer, out, pre) =>
        activations.set(layer, {
          output: copy(layer, out),
          preActivation: pre ? copy(`${layer}:pre`, pre) : null,
        });
    }
    // The forward pass's arrays are reused by the next step unless a loss term sees the logits (it may keep them).
    const forward = () => lossAndOutput(this.model, this.loss, batch.x, batch.y, ctx);
    const {
      loss: dataLoss,
      output,
      logits,
    } = this.lossTerms.length === 0 ? this.pool.during(forward) : forward();
    let total = dataLoss;
    let penalty = 0;
    const at = { batch, logits, parameters: this.params, step: this.step, epoch: this.epoch };
    for (const o of this.lossTerms) {
      const term = o.lossTerm!(at, this.control);
      if (term) {
        penalty += term.item();
        total = add(total, term);
      }
    }
    // Dense layers' weight gradients may stay factors until the optimiser fuses them into its pass.
    this.deferred.clear(); // a step that threw leaves its own behind
    const defer = this.opts.optimizer.stepDeferred ? this.deferred : undefined;
    // Backward's intermediate gradients are its own; the parameters' are read by this step only.
    const grads = this.pool
      .during(() => grad(total, this.paramTensors, undefined, this.updateBuffers, defer))
      .map((g) => g.data as Float32Array);
    if (this.clipNorm !== null || this.opts.clip?.value !== undefined || this.readsGradients())
      settleAll(this.deferred);
    if (this.observers.length > 0) {
      this.params.forEach(([name], i) => this.liveGrads.set(name, grads[i]));
      for (const o of this.observers) o.onGradients?.(this.liveGrads, this.control);
    }
    if (this.clipNorm !== null) clipGradNorm(grads, this.clipNorm);
    if (this.opts.clip?.value !== undefined) clipGradValue(grads, this.opts.clip.value);
    const lossValue = dataLoss.item();
    this.acc.add(lossValue, output, batch.y);
    return { lossValue, penalty, grads };
  }

  /** Whether an observer's `onGradients` reads the gradients' values this step. */
  private readsGradients(): boolean {
    return this.observers.some((o) => o.onGradients && (o.readsGradients?.() ?? true));
  }

  private learningRate(): number {
    const { schedule, optimizer } = this.opts;
    const scheduled = schedule
      ? schedule({ step: this.step, epoch: this.epoch, stepsPerEpoch: this.stepsPerEpoch })
      : 1;
    return optimizer.lr * scheduled * this.plateauFactor * this.lrScale;
  }

  /** Observers see the gradients; the optimiser is about to turn these arrays into updates. */
  private copyGradients(grads: Float32Array[]): void {
    this.params.forEach(([name], i) => {
      let copy = this.gradCopies.get(name);
      if (!copy || copy.length !== grads[i].length)
        // In the backend's memory: the health monitor's norms read them there in place.
        this.gradCopies.set(name, (copy = allocFloat32(grads[i].length)));
      copyFloat32(copy, grads[i]);
    });
  }

  /**
   * Turn the gradients into updates and apply them. The update arrays are each parameter's buffer in the
   * backend's memory where it has one (backward wrote the weight gradients there already), so that the
   * optimiser's loops and `p -= u` run in place on resident parameters; else the gradients themselves.
   */
  private applyOptimizer(grads: Float32Array[]): void {
    const updates = grads.map((g, i) => {
      const u = this.updateBuffers[i];
      if (!u) return g;
      if (u !== g) u.set(g);
      return u;
    });
    const { optimizer } = this.opts;
    if (this.deferred.size > 0 && optimizer.stepDeferred)
      optimizer.stepDeferred(this.paramData, updates, this.optState, this.lr, this.deferred);
    else if (optimizer.step) optimizer.step(this.paramData, updates, this.optState, this.lr);
    else {
      optimizer.update(updates, this.optState, this.paramData, this.lr);
      applyUpdates(this.paramData, updates);
    }
  }

  /** Validation, the plateau schedule and the observers' `onEpochEnd`. */
  endEpoch(validation: LabeledData | undefined, epochStart: number): void {
    this.trainSeconds += (performance.now() - epochStart) / 1000;
    const trainMetrics = this.acc.result();
    const valMetrics = validation
      ? evaluate(this.model, validation, { loss: this.loss, metrics: this.metrics })
      : undefined;
    if (this.opts.plateau) this.plateauFactor = this.opts.plateau.step(valMetrics?.loss ?? trainMetrics.loss);
    const event: EpochEvent = {
      epoch: this.epoch,
      train: trainMetrics,
      validation: valMetrics,
      lr: this.lr,
      steps: this.step,
      seconds: (performance.now() - epochStart) / 1000,
    };
    this.epochs.push(event);
    for (const o of this.observers) o.onEpochEnd?.(event, this.control);
  }
}

/** The gradients of a step no observer asked for. */
const NO_GRADS: ReadonlyMap<string, Float32Array> = new Map();
