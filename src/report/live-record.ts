/**
 * The live part of a run record: a lifelong learner's vital signs sampled every `every` labelled rows
 * (prequential and recent accuracy and loss, replay fill, labels known) and the rows its drift detector
 * fired at. Bounded: past `maxPoints` samples every other one is dropped and `every` doubles, so a
 * stream of a billion rows writes a file of the same size as a short one. Plain data, resumable.
 */
import { DataError } from "../tensor/errors.js";

export interface LiveRecord {
  task: "classification" | "regression";
  /** Labelled rows between samples (doubles as the series thin out). */
  every: number;
  /** Labelled rows observed at each sample (the x axis). */
  rows: number[];
  /** Prequential accuracy over the whole stream and over the recent window (NaN for regression). */
  accuracy: number[];
  recentAccuracy: number[];
  /** Mean prequential loss over the whole stream and over the recent window. */
  loss: number[];
  recentLoss: number[];
  /** Rows the replay memory holds, and its capacity. */
  replay: number[];
  replayCapacity: number;
  /** Labels known (classification). */
  labels: number[];
  /** The labelled row each drift was detected at. */
  drifts: number[];
  /** Input rows over the whole run (resumes included): read, learnt from, predicted only, rejected. */
  input: { rows: number; observed: number; predicted: number; rejected: number };
}

/** What a sample reads from the learner's vitals (a structural subset of `LearnerVitals`). */
export interface VitalsSample {
  task: "classification" | "regression";
  rows: number;
  prequential: { accuracy: number | null; loss: number | null };
  recent: { accuracy: number | null; loss: number | null };
  replay: { size: number; capacity: number };
  labels: readonly unknown[];
  drifts: readonly { row: number }[];
}

const SERIES = ["rows", "accuracy", "recentAccuracy", "loss", "recentLoss", "replay", "labels"] as const;

/**
 * Samples vitals into a `LiveRecord`.
 *
 * @example
 * const sampler = new LiveSampler("classification", 100);
 * if (sampler.due(learner.vitals().rows)) sampler.add(learner.vitals());
 * sampler.record(); // { task, every, rows: [...], accuracy: [...], ... }
 */
export class LiveSampler {
  private readonly r: LiveRecord;

  constructor(
    task: "classification" | "regression",
    every: number,
    private readonly maxPoints = 1000,
    from?: LiveRecord,
  ) {
    this.r = from
      ? structuredClone(from)
      : {
          task,
          every,
          rows: [],
          accuracy: [],
          recentAccuracy: [],
          loss: [],
          recentLoss: [],
          replay: [],
          replayCapacity: 0,
          labels: [],
          drifts: [],
          input: { rows: 0, observed: 0, predicted: 0, rejected: 0 },
        };
  }

  /** Counts of input rows (the record keeps them over resumes). */
  get input(): LiveRecord["input"] {
    return this.r.input;
  }

  /** Whether the learner's `labelled`-th labelled row is one to sample. */
  due(labelled: number): boolean {
    return labelled > 0 && labelled % this.r.every === 0;
  }

  /** One sample of the vitals; also the latest drifts. */
  add(v: VitalsSample): void {
    const r = this.r;
    if (r.rows.length > 0 && r.rows[r.rows.length - 1] === v.rows) return; // sampled at this row already
    r.rows.push(v.rows);
    r.accuracy.push(v.prequential.accuracy ?? NaN);
    r.recentAccuracy.push(v.recent.accuracy ?? NaN);
    r.loss.push(v.prequential.loss ?? NaN);
    r.recentLoss.push(v.recent.loss ?? NaN);
    r.replay.push(v.replay.size);
    r.replayCapacity = v.replay.capacity;
    r.labels.push(v.labels.length);
    r.drifts = v.drifts.map((d) => d.row);
    if (r.rows.length > this.maxPoints) this.thin();
  }

  /** Keep the samples at multiples of twice the interval. */
  private thin(): void {
    const r = this.r;
    const every = 2 * r.every;
    const keep = r.rows.map((row) => row % every === 0);
    for (const key of SERIES) r[key] = r[key].filter((_, i) => keep[i]);
    r.every = every;
  }

  /** The record as it stands (a copy). */
  record(): LiveRecord {
    return structuredClone(this.r);
  }
}

type Obj = Record<string, unknown>;

/**
 * Check the `live` section of a run record as read back from JSON (null in a series is NaN).
 *
 * @example
 * parseLiveRecord(JSON.parse(text).live);
 */
export function parseLiveRecord(raw: unknown): LiveRecord {
  const o = obj(raw, "live");
  const task = o.task;
  if (task !== "classification" && task !== "regression")
    throw new DataError(`live.task: expected "classification" or "regression", got ${JSON.stringify(task)}`, {
      field: "live.task",
    });
  const rows = numbers(o.rows, "live.rows");
  const series = (key: string): number[] => {
    const s = numbers(o[key], `live.${key}`);
    if (s.length !== rows.length)
      throw new DataError(
        `live.${key}: expected ${rows.length} entries (as many as live.rows), got ${s.length}`,
        {
          field: `live.${key}`,
        },
      );
    return s;
  };
  const input = obj(o.input, "live.input");
  return {
    task,
    every: count(o.every, "live.every"),
    rows,
    accuracy: series("accuracy"),
    recentAccuracy: series("recentAccuracy"),
    loss: series("loss"),
    recentLoss: series("recentLoss"),
    replay: series("replay"),
    replayCapacity: count(o.replayCapacity, "live.replayCapacity"),
    labels: series("labels"),
    drifts: numbers(o.drifts, "live.drifts"),
    input: {
      rows: count(input.rows, "live.input.rows"),
      observed: count(input.observed, "live.input.observed"),
      predicted: count(input.predicted, "live.input.predicted"),
      rejected: count(input.rejected, "live.input.rejected"),
    },
  };
}

function obj(v: unknown, field: string): Obj {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    throw new DataError(`${field}: expected an object`, { field });
  return v as Obj;
}

function numbers(v: unknown, field: string): number[] {
  if (!Array.isArray(v)) throw new DataError(`${field}: expected an array of numbers`, { field });
  return v.map((x, i) => {
    if (x === null) return NaN;
    if (typeof x !== "number") throw new DataError(`${field}[${i}]: expected a number or null`, { field });
    return x;
  });
}

function count(v: unknown, field: string): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0)
    throw new DataError(`${field}: expected a whole number ≥ 0`, { field });
  return v;
}
