/**
 * The digit stream run of the long-life benchmark: every variant observes each row in turn (one pass
 * over the stream, the same rows for all), and the run keeps one byte per row and variant (right,
 * wrong, refused), the time spent in `observe`, memory at checkpoints, and a save/load check at the
 * midpoint. The figures are computed afterwards by live-bench-measure.ts.
 */
import { isDeepStrictEqual } from "node:util";
import { DigitStream } from "../src/data/digit-stream.js";
import type { HiddenLayer } from "../src/learner/config.js";
import { Learner, type LearnerConfig } from "../src/learner/index.js";
import { DataError } from "../src/tensor/errors.js";
import { REJECTED, streamRow } from "./live-bench-measure.js";
import { createVariant, type Variant } from "./live-bench-variants.js";

export interface DigitRunOptions {
  seed: number;
  /** Schedule scale (1: 1,000,000 rows). */
  scale: number;
  hidden: HiddenLayer[];
  variants: readonly Variant[];
  /** Rows of the new concept the oracle trains on at each phase start. */
  oracleRows: number;
  /** Rows at which heap and RSS are sampled (after a full collection when --expose-gc is on). */
  checkpoints: readonly number[];
  /** Rows the saved-and-loaded twin runs beside the original from the midpoint. */
  saveLoadRows: number;
  /** Called every `every` rows with the row count. */
  progress?: (row: number, rows: number) => void;
}

export interface VariantRun {
  name: string;
  hits: Uint8Array;
  /** Stream rows at which drifts were detected. */
  drifts: number[];
  seconds: number;
  observed: number;
  /** NaN rows refused with a DataError, NaN rows accepted, other errors thrown by observe. */
  refused: number;
  acceptedFaults: number;
  failures: string[];
  replay: { size: number; capacity: number; maxSize: number };
  /** The health monitor's events and repairs, and the failures the learner went back to a healthy state from. */
  health: { events: number; repairs: number; restored: number } | null;
  /** The largest dead-unit fraction at any balance reading, and the readings taken. */
  worstDead: number | null;
  readings: number;
}

export interface DigitRun {
  stream: DigitStream;
  labels: Uint8Array;
  variants: VariantRun[];
  memory: { row: number; heapMiB: number; rssMiB: number }[];
  saveLoad: { variant: string; at: number; rows: number; identical: boolean; detail: string } | null;
}

interface Runner {
  variant: Variant;
  learner: Learner;
  run: VariantRun;
  phase: number;
}

/**
 * Run every variant over the digit stream of `options`.
 *
 * @example
 * const run = runDigits({ seed: 1, scale: 0.02, hidden: [32], variants: VARIANTS, oracleRows: 500,
 *   checkpoints: [10_000], saveLoadRows: 200 });
 */
export function runDigits(options: DigitRunOptions): DigitRun {
  const stream = new DigitStream({ seed: options.seed, scale: options.scale });
  const base: LearnerConfig = {
    task: "classification",
    inputs: 784,
    hidden: options.hidden,
    seed: options.seed,
  };
  const runners: Runner[] = options.variants.map((variant) => ({
    variant,
    learner: createVariant(variant, base).learner,
    run: emptyRun(variant.name, stream.rows),
    phase: -1,
  }));
  const labels = new Uint8Array(stream.rows);
  const memory: DigitRun["memory"] = [];
  const mid = Math.floor(stream.rows / 2);
  const checked = runners.find((r) => r.variant.name === "default") ?? runners.find((r) => !r.variant.oracle);
  let twin: { learner: Learner; until: number } | null = null;
  let saveLoad: DigitRun["saveLoad"] = null;
  for (const row of stream) {
    labels[row.index] = row.y;
    for (const r of runners) {
      if (r.variant.oracle && row.phase !== r.phase) startOracle(r, stream, row.phase, base, options);
      observe(r, row);
    }
    if (checked && row.index === mid)
      twin = { learner: Learner.fromState(checked.learner.getState()), until: mid + options.saveLoadRows };
    else if (twin && checked) {
      try {
        twin.learner.observe(row.x, row.y);
      } catch {
        // The twin refuses the same NaN rows as the original.
      }
      if (row.index === twin.until || row.index === stream.rows - 1) {
        saveLoad = compareTwins(checked, twin.learner, mid, row.index - mid);
        twin = null;
      }
    }
    for (const r of runners) r.run.replay.maxSize = Math.max(r.run.replay.maxSize, replaySize(r, row.index));
    if (options.checkpoints.includes(row.index + 1)) memory.push(sampleMemory(row.index + 1));
    if ((row.index + 1) % 10_000 === 0) options.progress?.(row.index + 1, stream.rows);
  }
  for (const r of runners) finish(r);
  return { stream, labels, variants: runners.map((r) => r.run), memory, saveLoad };
}

function emptyRun(name: string, rows: number): VariantRun {
  return {
    name,
    hits: new Uint8Array(rows),
    drifts: [],
    seconds: 0,
    observed: 0,
    refused: 0,
    acceptedFaults: 0,
    failures: [],
    replay: { size: 0, capacity: 0, maxSize: 0 },
    health: null,
    worstDead: null,
    readings: 0,
  };
}

function observe(r: Runner, row: { x: Float32Array; y: number; index: number; fault: string | null }): void {
  const started = performance.now();
  try {
    const before = r.learner.observe(row.x, row.y);
    r.run.hits[row.index] = "label" in before && before.label === row.y ? 1 : 0;
    if (row.fault) r.run.acceptedFaults++;
  } catch (e) {
    r.run.hits[row.index] = REJECTED;
    if (row.fault && e instanceof DataError) r.run.refused++;
    else r.run.failures.push(`row ${row.index}: ${(e as Error).message}`);
  }
  r.run.seconds += (performance.now() - started) / 1000;
  r.run.observed++;
}

/** The oracle at a phase start: a fresh default learner, first trained on rows of the new phase. */
function startOracle(
  r: Runner,
  stream: DigitStream,
  phase: number,
  base: LearnerConfig,
  o: DigitRunOptions,
): void {
  r.phase = phase;
  r.learner = createVariant(r.variant, base).learner;
  for (const row of stream.phaseSample(phase, o.oracleRows, o.seed + 1000 + phase))
    r.learner.observe(row.x, row.y);
}

/** The replay memory's size, sampled every 1,000 rows (vitals() copies more than a hot loop wants). */
function replaySize(r: Runner, index: number): number {
  if (index % 1000 !== 0) return 0;
  return r.learner.vitals().replay.size;
}

function finish(r: Runner): void {
  const v = r.learner.vitals();
  const refused = [...r.run.hits.keys()].filter((i) => r.run.hits[i] === REJECTED);
  if (!r.variant.oracle) r.run.drifts = v.drifts.map((d) => streamRow(d.row, refused));
  r.run.replay.size = v.replay.size;
  r.run.replay.capacity = v.replay.capacity;
  r.run.replay.maxSize = Math.max(r.run.replay.maxSize, v.replay.size);
  // Vitals of a learner from before the health monitor and the balance probe have neither.
  const { health, balance } = v as Partial<typeof v>;
  if (health?.on)
    r.run.health = { events: health.events, repairs: health.repairs, restored: health.failures.length };
  r.run.worstDead = balance?.worstDead ?? null;
  r.run.readings = balance?.readings ?? 0;
}

/** Whether the twin loaded at the midpoint ends bit-identical to the learner that never stopped. */
function compareTwins(r: Runner, twin: Learner, at: number, rows: number): NonNullable<DigitRun["saveLoad"]> {
  const a = r.learner.getState();
  const b = twin.getState();
  const weights = Object.keys(a.network!.weights).every((k) =>
    Buffer.from(a.network!.weights[k].buffer).equals(Buffer.from(b.network!.weights[k].buffer)),
  );
  const { seconds: _s, ...restA } = a;
  const { seconds: _t, ...restB } = b;
  const state = isDeepStrictEqual(restA, restB);
  const untimed = (l: Learner) => ({ ...l.vitals(), seconds: 0, samplesPerSecond: 0 });
  const vitals = isDeepStrictEqual(untimed(r.learner), untimed(twin));
  const identical = weights && state && vitals;
  const detail = `weights ${weights ? "identical" : "differ"}, whole state ${state ? "identical" : "differs"}, vitals ${vitals ? "identical" : "differ"}`;
  return { variant: r.variant.name, at, rows, identical, detail };
}

function sampleMemory(row: number): DigitRun["memory"][number] {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { row, heapMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20 };
}
