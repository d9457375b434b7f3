/**
 * The learner's saved state and its vitals, as plain data. The state holds every number that decides
 * how the learner continues (weights, optimiser moments, random streams, running statistics, memory,
 * detector, scores, pending rows), so a learner restored from it continues bit-identically.
 */
import type { Sequential } from "../nn/sequential.js";
import type { TrainingState } from "../train/options.js";
import type { RunningNormalizerState } from "../data/running-normalizer.js";
import type { LearnerConfig } from "./config.js";
import type { ConsolidationState } from "./consolidation.js";
import type { DriftDetectorState, DriftEvidence } from "./drift.js";
import type { MemoryState } from "./memory.js";
import type { PrequentialScore, PrequentialState } from "./prequential.js";
import type { HealthEvent } from "../health/findings.js";
import type { GuardState } from "./guard.js";
import type { BalanceReading, ProbeState } from "./probe.js";
import type { Label, RowFormat } from "./rows.js";

/** A network's weights by name, and its buffers (batch norm's running statistics) when it has any. */
export function savedTensors(model: Sequential): {
  weights: Record<string, Float32Array>;
  buffers?: Record<string, Float32Array>;
} {
  const named = (list: [string, { data: ArrayLike<number> }][]) =>
    Object.fromEntries(list.map(([name, t]) => [name, t.data as Float32Array]));
  const buffers = model.buffers();
  return { weights: named(model.parameters()), ...(buffers.length > 0 ? { buffers: named(buffers) } : {}) };
}

/** Put saved weights and buffers back by name (a state saved before buffers were kept has none). */
export function loadTensors(model: Sequential, saved: ReturnType<typeof savedTensors>): void {
  for (const [name, t] of model.parameters()) t.data.set(saved.weights[name]);
  for (const [name, t] of model.buffers()) if (saved.buffers?.[name]) t.data.set(saved.buffers[name]);
}

/** Version of the state layout; a newer one is refused by `Learner.fromState`. */
export const LEARNER_STATE_VERSION = 2;

/**
 * Everything that decides how a learner continues, as plain data and typed arrays (`Learner.getState`);
 * `Learner.fromState` continues from it bit for bit.
 */
export interface LearnerState {
  version: number;
  config: LearnerConfig;
  format: RowFormat;
  labels: Label[];
  /** Null until the first row (when the config did not give `inputs`). */
  network: {
    outputs: number;
    weights: Record<string, Float32Array>;
    /** Batch norm's running statistics by name; absent when the network has none. */
    buffers?: Record<string, Float32Array>;
    run: TrainingState;
    growRng: ReturnType<import("../tensor/rng.js").Rng["getState"]>;
    normalizer: RunningNormalizerState | null;
    memory: MemoryState;
    probe: ProbeState;
  } | null;
  target: RunningNormalizerState | null;
  detector: DriftDetectorState | null;
  prequential: PrequentialState;
  consolidation: ConsolidationState | null;
  pending: { x: Float64Array; unit: number; target: number }[];
  drifts: { row: number; evidence: DriftEvidence }[];
  guard: GuardState | null;
  seconds: number;
}

/** The learner's vital signs, one plain object (JSON-ready). */
export interface LearnerVitals {
  task: "classification" | "regression";
  /** Labelled rows observed, and optimiser steps taken. */
  rows: number;
  steps: number;
  /** Test-then-train scores over the whole run and over the latest `window` rows. */
  prequential: PrequentialScore;
  recent: PrequentialScore & { window: number };
  /** Prequential accuracy per label (classification). */
  perLabel: { label: Label; rows: number; accuracy: number | null }[];
  labels: Label[];
  /** Drifts detected: the row (1-based, among labelled rows) and the detector's evidence. */
  drifts: { row: number; evidence: DriftEvidence }[];
  consolidations: number;
  replay: { size: number; capacity: number; perLabel: number[] };
  /** Rows waiting for the next micro-batch step. */
  pending: number;
  /** Stability: the health monitor's events, and the failures the learner went back to a healthy state from. */
  health: {
    on: boolean;
    /** "healthy", "repaired" (the monitor repaired something) or "restored" (an unrepairable failure). */
    status: "healthy" | "repaired" | "restored";
    events: number;
    repairs: number;
    /** The latest events, newest last (at most 20). */
    recent: HealthEvent[];
    failures: { row: number; step: number; diagnosis: string }[];
  };
  /**
   * Plasticity: the balance measures on the probe of recent rows, last taken at `balance.row`, with the
   * largest dead fraction seen at any reading; retention is the accuracy on remembered rows then.
   */
  balance: (BalanceReading & { worstDead: number; readings: number }) | null;
  regulators: { name: string; unitsReplaced: number | null }[];
  /** Bytes held in typed arrays: weights, optimiser state, replay memory and probe. */
  memoryBytes: number;
  /** Labelled rows per second of `observe` (wall clock; not part of the bit-identical state). */
  samplesPerSecond: number;
  seconds: number;
}
