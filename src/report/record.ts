/**
 * The run record: one JSON file per CLI run with everything a report draws — the config, per-step
 * loss and learning rate (bounded, so a million-step run writes a small file), per-epoch metrics,
 * the health monitor's statistics and events, and for continual runs the accuracy matrix and its
 * measures. Plain data only: no Node imports, so the browser playground can record the same way.
 */
import type { HealthEvent } from "../health/detectors.js";
import type { SeriesPoint } from "../health/statistics.js";
import type { EpochEvent, Metrics, Observer } from "../train/events.js";
import type { LiveRecord } from "./live-record.js";

export const RUN_RECORD_FORMAT = "homeostat-run-record";
export const RUN_RECORD_VERSION = 1;

/**
 * Per-step series in columns. Each entry covers one step or a bucket of consecutive steps: `step` is
 * the bucket's last step, `loss` its mean, `lossMin`/`lossMax` its extremes (absent when each entry is
 * one step), `lr` the learning rate of its last step. JSON has no NaN: a missing value is null.
 */
export interface StepSeries {
  step: number[];
  loss: number[];
  lossMin?: number[];
  lossMax?: number[];
  lr: number[];
}

export interface EpochRecord {
  epoch: number;
  /** Optimiser steps taken by the end of this epoch. */
  steps: number;
  train: Metrics;
  validation?: Metrics;
  lr: number;
  seconds: number;
}

export interface ContinualRecord {
  strategy: string;
  stream: string;
  scenario: string;
  tasks: string[];
  /** R[i][j]: accuracy on task j after training tasks 0..i. */
  R: number[][];
  /** Accuracy of the untrained model on each task. */
  b: number[];
  ACC: number;
  BWT: number;
  FWT: number;
  forgetting?: { maxOverEarlier: number; justTrainedMinusLast: number };
  jointACC?: number | null;
}

export interface OnlinePlasticityRecord {
  strategy: string;
  stream: string;
  homeostasis: string[];
  accuracy: number[];
  /** balance[i]: before task i (the last entry: after the last task), one entry per hidden layer. */
  balance: {
    layer: string;
    deadFraction: number;
    dormantFraction: number;
    effectiveRank: number;
    meanAbsWeight: number;
  }[][];
}

/**
 * A run's record as `homeostat report` reads it: what ran, its curves, health events and balance
 * readings (JSON; `parseRunRecord` checks one, `stringifyRunRecord` writes one).
 */
export interface RunRecord {
  format: typeof RUN_RECORD_FORMAT;
  version: number;
  /** "train", "demo mnist", "continual", "live", "playground". */
  command: string;
  /** Shown in the report's legend; defaults to the file name. */
  label?: string;
  createdAt: string;
  config: unknown;
  steps: StepSeries;
  epochs: EpochRecord[];
  test?: Metrics;
  health?: { checkEvery: number; points: SeriesPoint[]; events: HealthEvent[] };
  continual?: ContinualRecord;
  /** The online plasticity protocol: online accuracy per task, balance of each hidden layer before each task. */
  online?: OnlinePlasticityRecord;
  /** `homeostat live`: the learner's vital signs over the stream and its drifts. */
  live?: LiveRecord;
  /** Continual runs: the step (counted as in `steps.step`, over the whole stream) at which each task's training ended. */
  taskEnds?: number[];
  /** The command's JSON summary (wall time, samples/s, stop reason, …). */
  summary?: Record<string, unknown>;
}

/**
 * Keeps a per-step series in at most `maxBuckets` buckets: when full, neighbouring buckets merge and
 * each bucket covers twice as many steps. Means, minima and maxima survive merging, so a spike in a
 * million-step run stays visible.
 */
export class StepRecorder {
  private step: number[] = [];
  /** Steps in each bucket, and how many of them had a finite loss. */
  private n: number[] = [];
  private sum: number[] = [];
  private count: number[] = [];
  private min: number[] = [];
  private max: number[] = [];
  private lr: number[] = [];
  private width = 1;
  constructor(private readonly maxBuckets = 1024) {
    if (maxBuckets < 2 || maxBuckets % 2 !== 0)
      throw new RangeError("StepRecorder: maxBuckets must be an even number ≥ 2");
  }

  add(step: number, loss: number, lr: number): void {
    const last = this.step.length - 1;
    const finite = Number.isFinite(loss);
    if (last >= 0 && this.n[last] < this.width) {
      this.n[last]++;
      this.step[last] = step;
      this.lr[last] = lr;
      if (finite) {
        this.sum[last] += loss;
        this.count[last]++;
        this.min[last] = Math.min(this.min[last], loss);
        this.max[last] = Math.max(this.max[last], loss);
      }
      return;
    }
    if (this.step.length === this.maxBuckets) this.halve();
    this.step.push(step);
    this.lr.push(lr);
    this.sum.push(finite ? loss : 0);
    this.count.push(finite ? 1 : 0);
    this.n.push(1);
    this.min.push(finite ? loss : Infinity);
    this.max.push(finite ? loss : -Infinity);
  }

  private halve(): void {
    const merge = <T>(a: T[], f: (x: T, y: T) => T): T[] => {
      const out: T[] = [];
      for (let i = 0; i < a.length; i += 2) out.push(i + 1 < a.length ? f(a[i], a[i + 1]) : a[i]);
      return out;
    };
    this.step = merge(this.step, (_, y) => y);
    this.lr = merge(this.lr, (_, y) => y);
    this.sum = merge(this.sum, (x, y) => x + y);
    this.count = merge(this.count, (x, y) => x + y);
    this.n = merge(this.n, (x, y) => x + y);
    this.min = merge(this.min, Math.min);
    this.max = merge(this.max, Math.max);
    this.width *= 2;
  }

  /** The series as recorded (NaN where a bucket saw only non-finite losses). */
  series(): StepSeries {
    const loss = this.sum.map((s, i) => (this.count[i] ? s / this.count[i] : NaN));
    const ext = (a: number[]): number[] => a.map((v, i) => (this.count[i] ? v : NaN));
    return this.width === 1
      ? { step: this.step.slice(), loss, lr: this.lr.slice() }
      : {
          step: this.step.slice(),
          loss,
          lossMin: ext(this.min),
          lossMax: ext(this.max),
          lr: this.lr.slice(),
        };
  }

  getState(): unknown {
    return {
      step: this.step,
      sum: this.sum,
      n: this.n,
      count: this.count,
      min: this.min,
      max: this.max,
      lr: this.lr,
      width: this.width,
    };
  }

  setState(s: unknown): void {
    const st = s as {
      step: number[];
      sum: number[];
      n: number[];
      count: number[];
      min: number[];
      max: number[];
      lr: number[];
      width: number;
    };
    this.step = st.step.slice();
    this.sum = st.sum.slice();
    this.count = st.count.slice();
    this.n = st.n.slice();
    this.min = st.min.slice();
    this.max = st.max.slice();
    this.lr = st.lr.slice();
    this.width = st.width;
  }
}

/**
 * An observer that records per-step loss and learning rate, and each epoch's metrics, for a run record.
 * Its state travels in checkpoints, so a resumed run's record covers the whole run.
 *
 * @example
 * const rec = runRecorder();
 * fit(model, data, { ...opts, observers: [rec] });
 * rec.steps.series(); // { step: [...], loss: [...], lr: [...] }
 */
export function runRecorder(maxBuckets = 1024): Observer & { steps: StepRecorder; epochs: EpochRecord[] } {
  const steps = new StepRecorder(maxBuckets);
  const epochs: EpochRecord[] = [];
  return {
    steps,
    epochs,
    stateKey: "runRecord",
    getState: () => ({ steps: steps.getState(), epochs: epochs.slice() }),
    setState(s: unknown) {
      const st = s as { steps: unknown; epochs: EpochRecord[] };
      steps.setState(st.steps);
      epochs.splice(0, epochs.length, ...st.epochs);
    },
    // Loss and learning rate only: fit need not copy the gradients for it.
    wantsGradients: () => false,
    onBatchEnd: (e) => steps.add(e.step, e.loss, e.lr),
    onEpochEnd: (e: EpochEvent) => {
      epochs.push({
        epoch: e.epoch,
        steps: e.steps,
        train: e.train,
        validation: e.validation,
        lr: e.lr,
        seconds: e.seconds,
      });
    },
  };
}

/**
 * The per-step series of a continual run: an observer of every task's `fit` (whose steps start again at
 * 1 each task) that counts steps over the whole stream, and notes the step at which each task ended.
 * Its state travels in checkpoints, so a resumed run's record covers the whole stream.
 *
 * @example
 * const rec = streamRecorder();
 * runContinual(cfg, { observers: [rec] });
 * rec.steps.series(); rec.taskEnds; // [steps of task 1, steps of tasks 1–2, …]
 */
export function streamRecorder(maxBuckets = 1024): Observer & { steps: StepRecorder; taskEnds: number[] } {
  const steps = new StepRecorder(maxBuckets);
  const taskEnds: number[] = [];
  let step = 0;
  return {
    steps,
    taskEnds,
    stateKey: "streamRecord",
    getState: () => ({ steps: steps.getState(), taskEnds: taskEnds.slice(), step }),
    setState(s: unknown) {
      const st = s as { steps: unknown; taskEnds: number[]; step: number };
      steps.setState(st.steps);
      taskEnds.splice(0, taskEnds.length, ...st.taskEnds);
      step = st.step;
    },
    wantsGradients: () => false,
    onBatchEnd: (e) => steps.add(++step, e.loss, e.lr),
    onTrainEnd: () => {
      taskEnds.push(step);
    },
  };
}

/** JSON text of a record: NaN and ±Infinity become null (JSON has neither). */
export function stringifyRunRecord(record: RunRecord): string {
  return JSON.stringify(record, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v));
}

/** A run record with the label a report shows for it (its file name, or what the caller chose). */
export interface ReportRun {
  label: string;
  record: RunRecord;
}
