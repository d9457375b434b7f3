/**
 * The learner's saved state and its vitals, as plain data. The state holds every number that decides
 * how the learner continues (weights, optimiser moments, random streams, running statistics, memory,
 * detector, scores, pending rows), so a learner restored from it continues bit-identically.
 */
import type { TrainingState } from "../train/options.js";
import type { RunningNormalizerState } from "../data/running-normalizer.js";
import type { LearnerConfig } from "./config.js";
import type { ConsolidationState } from "./consolidation.js";
import type { DriftDetectorState, DriftEvidence } from "./drift.js";
import type { MemoryState } from "./memory.js";
import type { PrequentialScore, PrequentialState } from "./prequential.js";
import type { Label, RowFormat } from "./rows.js";

/** Version of the state layout; a newer one is refused by `Learner.fromState`. */
export const LEARNER_STATE_VERSION = 1;

export interface LearnerState {
  version: number;
  config: LearnerConfig;
  format: RowFormat;
  labels: Label[];
  /** Null until the first row (when the config did not give `inputs`). */
  network: {
    outputs: number;
    weights: Record<string, Float32Array>;
    run: TrainingState;
    growRng: ReturnType<import("../tensor/rng.js").Rng["getState"]>;
    normalizer: RunningNormalizerState | null;
    memory: MemoryState;
  } | null;
  target: RunningNormalizerState | null;
  detector: DriftDetectorState | null;
  prequential: PrequentialState;
  consolidation: ConsolidationState | null;
  pending: { x: Float64Array; unit: number; target: number }[];
  drifts: { row: number; evidence: DriftEvidence }[];
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
  /** Labelled rows per second of `observe` (wall clock; not part of the bit-identical state). */
  samplesPerSecond: number;
  seconds: number;
}
