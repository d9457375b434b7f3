/**
 * What the long-life benchmark measures, as plain functions over a run's record: one byte per stream row
 * (1: the prediction made before learning was right, 0: wrong, REJECTED: the learner refused the row),
 * the labels, the phase table, and the rows at which drifts were detected. Kept apart from the loop
 * that runs the learners so a test can check every figure on a hand-built record.
 */
import type { DigitPhase } from "../src/data/digit-stream.js";

/** A row the learner refused (a NaN row): left out of every accuracy. */
export const REJECTED = 255;

/**
 * Accuracy over rows [from, to) that `keep` accepts (all by default), refused rows left out; null when
 * no row counts.
 *
 * @example
 * accuracy(Uint8Array.of(1, 0, 1, 1), 0, 4); // 0.75
 */
export function accuracy(
  hits: Uint8Array,
  from: number,
  to: number,
  keep: (row: number) => boolean = () => true,
): number | null {
  let n = 0;
  let right = 0;
  for (let i = Math.max(0, from); i < Math.min(to, hits.length); i++) {
    if (hits[i] === REJECTED || !keep(i)) continue;
    n++;
    right += hits[i];
  }
  return n > 0 ? right / n : null;
}

/**
 * Accuracy over the first `n` rows from `from` (before `to`) that `keep` accepts, and the row after
 * the last one counted.
 */
export function firstRowsAccuracy(
  hits: Uint8Array,
  from: number,
  to: number,
  n: number,
  keep: (row: number) => boolean,
): { accuracy: number | null; rows: number; end: number } {
  let rows = 0;
  let right = 0;
  let i = from;
  for (; i < to && rows < n; i++) {
    if (hits[i] === REJECTED || !keep(i)) continue;
    rows++;
    right += hits[i];
  }
  return { accuracy: rows > 0 ? right / rows : null, rows, end: i };
}

export interface RecurringFigure {
  phase: string;
  /** Accuracy over the last `before` rows before the context left, and the first `after` once back. */
  before: number | null;
  after: number | null;
  /** after / before (target ≥ 0.95). */
  ratio: number | null;
}

/**
 * For each recurring phase, its concept's accuracy just before it last left and just after it returns.
 *
 * @example
 * recurring(hits, schedule, { before: 1000, after: 200 });
 */
export function recurring(
  hits: Uint8Array,
  schedule: readonly DigitPhase[],
  window = { before: 1000, after: 200 },
): RecurringFigure[] {
  return schedule.flatMap((p, k) => {
    if (p.kind !== "recurring") return [];
    const left = schedule
      .slice(0, k)
      .filter((q) => q.concept === p.concept && q.from === undefined)
      .at(-1);
    if (!left) return [];
    const end = left.start + left.length;
    const before = accuracy(hits, end - window.before, end);
    const after = accuracy(hits, p.start, p.start + window.after);
    return [{ phase: p.name, before, after, ratio: ratio(after, before) }];
  });
}

export interface NewLabelFigure {
  phase: string;
  newLabels: number[];
  /** Old labels' accuracy over the last `window` rows before the phase, and its first `window` old-label rows. */
  oldBefore: number | null;
  oldAfter: number | null;
  /** Accuracy on the first `window` rows of the new labels, this learner's and the oracle's on the same rows. */
  newAccuracy: number | null;
  oracleNewAccuracy: number | null;
  /** newAccuracy / oracleNewAccuracy (target ≥ 0.9). */
  ofOracle: number | null;
}

/**
 * For each phase that brings new labels: old labels before and after, new labels against the oracle.
 * `classesOf(concept)` gives a concept's labels.
 */
export function newLabels(
  hits: Uint8Array,
  oracle: Uint8Array | null,
  labels: Uint8Array,
  schedule: readonly DigitPhase[],
  classesOf: (concept: string) => readonly number[],
  window = 2000,
): NewLabelFigure[] {
  return schedule.flatMap((p, k) => {
    if (p.kind !== "new-labels" || k === 0) return [];
    const old = new Set(classesOf(schedule[k - 1].concept));
    const fresh = classesOf(p.concept).filter((c) => !old.has(c));
    const end = p.start + p.length;
    const isOld = (i: number) => old.has(labels[i]);
    const isNew = (i: number) => !old.has(labels[i]);
    const oldBefore = accuracy(hits, p.start - window, p.start, isOld);
    const oldAfter = firstRowsAccuracy(hits, p.start, end, window, isOld).accuracy;
    const first = firstRowsAccuracy(hits, p.start, end, window, isNew);
    const oracleNew = oracle ? accuracy(oracle, p.start, first.end, isNew) : null;
    return [
      {
        phase: p.name,
        newLabels: fresh,
        oldBefore,
        oldAfter,
        newAccuracy: first.accuracy,
        oracleNewAccuracy: oracleNew,
        ofOracle: ratio(first.accuracy, oracleNew),
      },
    ];
  });
}

export interface DriftFigure {
  /** Rows from the abrupt drift to its first detection (null: none before the next phase). */
  abruptDelay: number | null;
  /** Detections outside every change's grace window, the stationary rows, and the rate per 100,000. */
  falseAlarms: number;
  stationaryRows: number;
  per100k: number | null;
}

/**
 * Detection delay after the abrupt phase, and false alarms on stationary rows: rows that are neither
 * within `grace` rows after a phase starts (every phase changes something) nor in a gradual phase.
 *
 * @example
 * drifts([360_120], schedule(), 1_000_000, 10_000).abruptDelay; // 10,120 when the drift is at 350,000
 */
export function drifts(
  detected: readonly number[],
  schedule: readonly DigitPhase[],
  rows: number,
  grace: number,
): DriftFigure {
  const changing = (i: number) =>
    schedule.some(
      (p) =>
        (i >= p.start && i < p.start + grace) ||
        (p.kind === "gradual" && i >= p.start && i < p.start + p.length),
    );
  const abrupt = schedule.find((p) => p.kind === "abrupt");
  const hit = abrupt && detected.find((d) => d >= abrupt.start && d < abrupt.start + abrupt.length);
  let stationaryRows = 0;
  for (const p of schedule) {
    if (p.start >= rows || p.kind === "gradual") continue;
    stationaryRows += Math.max(0, Math.min(p.start + p.length, rows) - Math.min(p.start + grace, rows));
  }
  const falseAlarms = detected.filter((d) => d < rows && !changing(d)).length;
  return {
    abruptDelay: hit === undefined || abrupt === undefined ? null : hit - abrupt.start,
    falseAlarms,
    stationaryRows,
    per100k: stationaryRows > 0 ? (falseAlarms / stationaryRows) * 100_000 : null,
  };
}

/**
 * The stream row of the learner's `row`-th accepted row (1-based, as vitals().drifts counts), given the
 * rows it refused (sorted).
 *
 * @example
 * streamRow(3, [1]); // 3: rows 0, 2, 3 were accepted
 */
export function streamRow(row: number, refused: readonly number[]): number {
  let index = row - 1;
  for (const r of refused) if (r <= index) index++;
  return index;
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}
