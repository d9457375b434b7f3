/**
 * The vitals loop's own state, plain and serialisable (it travels in checkpoints): its probe and
 * reservoir of rows, the plasticity remedies switched on and awaiting a verdict, and its memory knobs.
 */
import type { PlasticitySignals } from "../health/vital-rules.js";
import { Rng } from "../tensor/rng.js";
import type { RemedySnapshot } from "./vital-rollback.js";
import { type ConsolidationState, freshConsolidation } from "./vital-consolidation.js";
import { emptyStore, type RowStore } from "./vital-memory.js";
import { type KnobState, type ReplayState, SETTLE_PROBES } from "./vital-replay.js";

/** Everything the loop decides with (the monitor and the active regulators keep their own state). */
export interface LoopState extends ReplayState {
  rng: ReturnType<Rng["getState"]>;
  probe: RowStore;
  reservoir: RowStore;
  /** The weights when training first began: L2-Init's anchor (Kumar et al. 2023 pull towards the start). */
  initial: Record<string, Float32Array> | null;
  /** Remedies switched on (indices, in order), how many were tried, how many of the list are used up. */
  active: number[];
  tried: number;
  next: number;
  /** The remedies tried so far, in the order tried (absent in checkpoints before the order followed the evidence: the first `next`). */
  order?: number[];
  /**
   * The last remedy awaiting its verdict, with the signals that called for it and the network before it
   * (what a rollback puts back; absent in checkpoints written before rollbacks restored weights).
   */
  pending: { remedy: number; step: number; before: PlasticitySignals; snapshot?: RemedySnapshot } | null;
  /** A loss of plasticity is being handled (a new one needs the rule to stop holding first). */
  episode: boolean;
  exhausted: boolean;
  /**
   * The latest plasticity check at which the rule held or a remedy awaited its verdict (absent in
   * checkpoints before the budget renewed: counted from the first check after loading).
   */
  unwellAt?: number;
  plasticityChecks: number;
  forgettingProbes: number;
  /** Optimiser steps over every `fit` call (a continual run's steps restart with each task). */
  steps: number;
  /** The second memory knob (online EWC), used when `memoryRemedy` names it. */
  consolidation: ConsolidationState;
  /** Replay's loss made asymmetric (ER-ACE), the rung after the most replayed rows; the classes seen so far. */
  ace: KnobState;
  /** Replayed rows beyond one per new row (0: none), the rung after the asymmetric loss. */
  more: KnobState;
  seen: Float32Array;
}

/** The state before the first step. */
export function freshLoop(seed: number): LoopState {
  return {
    rng: new Rng(seed).fork("vitals").getState(),
    probe: emptyStore(),
    reservoir: emptyStore(),
    initial: null,
    active: [],
    tried: 0,
    next: 0,
    order: [],
    pending: null,
    episode: false,
    exhausted: false,
    plasticityChecks: 0,
    share: 0,
    changedAt: -SETTLE_PROBES,
    replayPending: null,
    forgettingProbes: 0,
    steps: 0,
    consolidation: freshConsolidation(),
    ace: freshKnob(),
    more: freshKnob(),
    seen: new Float32Array(0),
  };
}

/** A memory knob at 0, free to move at the first probe. */
export const freshKnob = (): KnobState => ({ value: 0, changedAt: -SETTLE_PROBES, pending: null });
