/**
 * The health monitor's whole state in one plain object: what the statistics observer has measured,
 * what the repair policy has spent, and what was reported. The monitor's parts read and change it in
 * place; a checkpoint is a copy of it, and resuming puts a copy back — so no field can be forgotten on
 * one side only.
 */
import { Rng } from "../tensor/rng.js";
import type { EpochEvent } from "../train/events.js";
import type { HealthEvent, HealthKind } from "./findings.js";
import { deepCopy, noSnapshots, type SnapshotState } from "./repairs.js";
import type { SeriesState } from "./statistics.js";

/** What the monitor keeps about one Dense layer (input side first). */
export interface LayerState<Active = Uint8Array> {
  /** Units active (output > 0) on some sampled row of the current dead-unit window. */
  active: Active;
  /** ‖W‖ at the previous check (or the last repair), for the growth rule. */
  prevWeightNorm: number;
  /**
   * No row of the current dead-unit window has been read (no activations at its checks): its units are
   * not known to be dead (false once a row has been read; absent in checkpoints before it: read).
   */
  unread?: boolean;
  /** Fraction and list of the units found dead when the last window closed. */
  deadFraction: number;
  deadUnits: number[];
  /** The weights at the previous check, kept only for the weight-change measure of the vital signs. */
  prevWeights?: Float32Array;
  /**
   * Σ w² over `prevWeights`, in the four lanes of `sumSquares` (‖W′‖², as l2Norm sums it): the sum the previous check made
   * for ‖W‖, kept so that a check sums squares over the weights twice, not three times. Absent in
   * checkpoints from before it: summed again.
   */
  prevSquares?: number;
}

/**
 * The monitor's state. In a checkpoint (`HealthMonitorState`) each layer's `active` flags are an
 * Int32Array, as the monitor wrote them before issue 16; in memory they are bytes.
 */
export interface MonitorState<Active = Uint8Array> {
  rng: ReturnType<Rng["getState"]>;
  events: HealthEvent[];
  series: SeriesState;
  snapshots: SnapshotState;
  layers: LayerState<Active>[];
  /** The current window's loss and accuracy sums, over rows. */
  lossSum: number;
  lossCount: number;
  correct: number;
  rows: number;
  /** The first window's mean loss, then the most recent ones (at most HISTORY_KEEP in all). */
  lossMeans: number[];
  /** The lowest window loss among those dropped from `lossMeans`. */
  droppedBestLoss: number;
  accuracyMeans: number[];
  classCounts: Float64Array | null;
  /** Whether the targets are classes (decided on the first batch). */
  classification: boolean | null;
  /** Global gradient norms of the recent checks, and of the first. */
  gradNorms: number[];
  firstGradNorm: number;
  checks: number;
  /** Checks into the current dead-unit window, and whether a window has closed since the last reset. */
  deadChecks: number;
  deadWindowFull: boolean;
  /** Clipping turned on by a repair; clipping owed once a typical gradient norm is known. */
  clipping: boolean;
  pendingClip: boolean;
  /**
   * A check is owed. It waits for a full batch: statistics sampled on an epoch's short last batch (a few rows)
   * made false dips in effective rank and spikes in dormant and dead units (issue 14). Absent in checkpoints
   * written before short batches were skipped.
   */
  checkDue?: boolean;
  /** Repairs made, by kind of problem and in all. */
  repairs: [HealthKind, number][];
  totalRepairs: number;
  /** Findings reported without repair (each once), by "kind:layer". */
  reported: string[];
  /** The run failed beyond repair: the monitor says nothing more. */
  done: boolean;
  epochsSeen: EpochEvent[];
  /**
   * Each stateful detector's own memory (plain data), by detector name; absent until one asks for it, so
   * a monitor without such detectors checkpoints exactly what it did before.
   */
  memory?: Record<string, unknown>;
}

/** The monitor's state in a checkpoint (plain data and typed arrays). */
export type HealthMonitorState = MonitorState<Int32Array>;

/** A monitor that has seen nothing yet. */
export function freshState(seed: number): MonitorState {
  return {
    rng: new Rng(seed).getState(),
    events: [],
    series: { points: [], stride: 1, seen: 0 },
    snapshots: noSnapshots(),
    layers: [],
    lossSum: 0,
    lossCount: 0,
    correct: 0,
    rows: 0,
    lossMeans: [],
    droppedBestLoss: Infinity,
    accuracyMeans: [],
    classCounts: null,
    classification: null,
    gradNorms: [],
    firstGradNorm: NaN,
    checks: 0,
    deadChecks: 0,
    deadWindowFull: false,
    clipping: false,
    pendingClip: false,
    checkDue: false,
    repairs: [],
    totalRepairs: 0,
    reported: [],
    done: false,
    epochsSeen: [],
  };
}

/**
 * The state as a checkpoint stores it: a copy, except the snapshots' buffers, which a checkpoint
 * serialises at once (copying every weight twice per checkpoint would be waste).
 */
export function toCheckpoint(s: MonitorState): HealthMonitorState {
  const { snapshots, layers, ...rest } = s;
  return {
    ...deepCopy(rest),
    snapshots: { ...snapshots },
    layers: layers.map((l) => ({ ...deepCopy(l), active: Int32Array.from(l.active) })),
  };
}

/** A checkpoint's state as the monitor keeps it (a copy that shares nothing with it), old ones included. */
export function fromCheckpoint(saved: HealthMonitorState): MonitorState {
  const s = deepCopy(saved);
  return {
    ...s,
    checkDue: s.checkDue ?? false,
    layers: s.layers.map((l) => ({ ...l, active: Uint8Array.from(l.active) })),
  };
}

/** Run `use` with the monitor's random stream, and keep where it left off. */
export function withRng<T>(s: MonitorState, use: (rng: Rng) => T): T {
  const rng = new Rng(0);
  rng.setState(s.rng);
  const out = use(rng);
  s.rng = rng.getState();
  return out;
}
