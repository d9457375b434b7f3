/**
 * The memory side of the vitals loop: a knob (the share of replayed rows, or the strength of
 * consolidation) follows the forgetting measured on retained rows — raised beyond the budget and verified
 * once it has settled, lowered again when the budget holds with room (replayed rows take steps from new
 * data, and consolidation holds the weights back from it: memory costs plasticity).
 */
import type { HealthEvent } from "../health/findings.js";
import { type ForgettingMemory, forgettingBeyond } from "../health/vitals.js";
import { loopEvent } from "./vital-remedies.js";

/** Probes of the forgetting detector between two changes of a knob (its effect needs time). */
export const SETTLE_PROBES = 4;

/** Replayed rows per new row, the forgetting probe at its last change, and a raise awaiting its verdict. */
export interface ReplayState {
  share: number;
  changedAt: number;
  replayPending: { step: number; forgetting: number } | null;
}

export interface ReplayOptions {
  forgettingBudget: number;
  maxReplay: number;
}

type Emit = (e: HealthEvent) => void;

/** A knob's value, the probe at its last change, and a raise awaiting its verdict. */
export interface KnobState {
  value: number;
  changedAt: number;
  pending: { step: number; forgetting: number } | null;
}

/** What a knob is: its steps up and down, its ceiling, and its words. */
export interface Knob {
  /** Evidence key of its value ("share", "strength") and the event kinds' stem ("replay", "consolidation"). */
  key: string;
  stem: string;
  up(value: number): number;
  down(value: number): number;
  ceiling: number;
  /** "replayed rows per new row", and "replay at 0.25 rows per new row". */
  unit: string;
  at(value: number): string;
}

/** The replay share as a knob: 0 → ¼ → ½ → 1, halved down to 0 below ¹⁄₁₆. */
export const replayKnob = (maxReplay: number): Knob => ({
  key: "share",
  stem: "replay",
  up: (v) => (v === 0 ? 0.25 : Math.min(maxReplay, 2 * v)),
  down: (v) => (v / 2 < 1 / 16 ? 0 : v / 2),
  ceiling: maxReplay,
  unit: "replayed rows per new row",
  at: (v) => `replay at ${v.toPrecision(2)} rows per new row`,
});

function setKnob(
  k: Knob,
  s: KnobState,
  value: number,
  f: ForgettingMemory,
  step: number,
  budget: number,
  emit: Emit,
  why: string,
): void {
  const before = s.value;
  const raised = value > before;
  s.value = value;
  s.changedAt = f.probes;
  emit(
    loopEvent(
      step,
      `${k.stem}${raised ? "Raised" : "Lowered"}`,
      { forgetting: f.forgetting, budget, [`${k.key}Before`]: before, [k.key]: value },
      `${why}: ${k.unit} ${before.toPrecision(2)} → ${value.toPrecision(2)}`,
      `${k.stem} ${raised ? "raised" : "lowered"}`,
    ),
  );
}

/**
 * One probe of the forgetting detector for one knob: raise it beyond the budget, verify a raise once it
 * has settled (raise again, up to its ceiling, when it did not hold), lower it when the budget holds with
 * room. Returns whether the knob is at its ceiling with the budget still exceeded (the next knob's turn).
 *
 * @example
 * knobControl(replayKnob(1), state, monitor.memory("forgetting"), step, 0.1, emit);
 */
export function knobControl(
  k: Knob,
  s: KnobState,
  f: ForgettingMemory,
  step: number,
  budget: number,
  emit: Emit,
): boolean {
  const settled = f.probes - s.changedAt >= SETTLE_PROBES;
  const worse = `forgetting ${(100 * f.forgetting).toFixed(1)} points, beyond the budget of ${(100 * budget).toFixed(1)}`;
  const raise = (why: string): void => setKnob(k, s, k.up(s.value), f, step, budget, emit, why);
  // Beyond the budget by more than the noise of the retained segments (2 standard errors).
  const beyond = forgettingBeyond(f, budget);
  if (s.pending) {
    if (!settled) return false;
    const at = s.pending.step;
    if (!beyond) {
      s.pending = null;
      emit(
        loopEvent(
          step,
          "remedyVerified",
          { forgetting: f.forgetting, budget, [k.key]: s.value, appliedAt: at },
          `${k.at(s.value)} holds the forgetting budget: ${(100 * f.forgetting).toFixed(1)} points ≤ ${(100 * budget).toFixed(1)}${f.margin ? ` + ${(100 * f.margin).toFixed(1)} (noise margin)` : ""}`,
          `${k.stem} ${k.key} kept`,
        ),
      );
    } else if (s.value < k.ceiling) raise(`${worse} after raising it at step ${at}`);
    else {
      s.pending = null;
      emit(
        loopEvent(
          step,
          "remedyExhausted",
          { forgetting: f.forgetting, budget, [k.key]: s.value },
          `${worse} with ${k.stem} at its ceiling ${k.ceiling}`,
          "none left within the budget",
        ),
      );
      return true;
    }
    return false;
  }
  if (beyond && settled) {
    if (s.value >= k.ceiling) return true;
    s.pending = { step, forgetting: f.forgetting };
    raise(worse);
  } else if (s.value > 0 && f.forgetting < budget / 2 && settled)
    setKnob(
      k,
      s,
      k.down(s.value),
      f,
      step,
      budget,
      emit,
      `the budget holds with room (forgetting ${(100 * f.forgetting).toFixed(1)} points < half the budget): memory gives back steps to new data`,
    );
  return false;
}

/**
 * The replay share as the loop's knob (the state's fields keep their names across checkpoints).
 *
 * @example
 * replayControl(state, monitor.memory("forgetting"), step, { forgettingBudget: 0.1, maxReplay: 1 }, emit);
 */
export function replayControl(
  st: ReplayState,
  f: ForgettingMemory,
  step: number,
  o: ReplayOptions,
  emit: Emit,
): boolean {
  const s: KnobState = { value: st.share, changedAt: st.changedAt, pending: st.replayPending };
  const full = knobControl(replayKnob(o.maxReplay), s, f, step, o.forgettingBudget, emit);
  [st.share, st.changedAt, st.replayPending] = [s.value, s.changedAt, s.pending];
  return full;
}
