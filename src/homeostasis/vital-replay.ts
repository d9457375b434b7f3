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

/**
 * Probes in a row the budget must hold with room (forgetting below half of it) since the knob's last
 * change before it is lowered: longer than the settling time, so that forgetting that comes in bursts (at
 * each new task of a class-incremental stream, then repaired by replay) is seen before the memory that
 * repairs it is given back. A probe without room starts the count again.
 */
export const ROOM_PROBES = 2 * SETTLE_PROBES;

/** Replayed rows per new row, the forgetting probe at its last change, and a raise awaiting its verdict. */
export interface ReplayState {
  share: number;
  changedAt: number;
  replayPending: { step: number; forgetting: number } | null;
}

type Emit = (e: HealthEvent) => void;

/** A knob's value, the probe at its last change, and a raise awaiting its verdict. */
export interface KnobState {
  value: number;
  changedAt: number;
  pending: { step: number; forgetting: number } | null;
  /** The most forgetting read since the last change (absent in checkpoints before it: none read). */
  peak?: number;
  /**
   * The latest probe that read half the budget or more (absent in checkpoints before it, and when none
   * has since the last change): the calm stretch a lowering waits for starts after it.
   */
  calmFrom?: number;
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
  /** A value in words, where a number says it badly (default: two significant digits). */
  show?(value: number): string;
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

/**
 * Replayed rows beyond one per new row as a knob, the rung after the asymmetric loss (on class-incremental
 * digits more plain rows held less than the asymmetric loss at one row): 0 (one row, the replay knob's
 * ceiling) → 2 → 4 … up to `maxReplay`, halved back to 0.
 */
export const moreReplayKnob = (maxReplay: number): Knob => ({
  key: "moreShare",
  stem: "replay",
  up: (v) => Math.min(maxReplay, 2 * Math.max(v, 1)),
  down: (v) => (v / 2 <= 1 ? 0 : v / 2),
  ceiling: maxReplay,
  unit: "replayed rows per new row",
  at: (v) => `replay at ${Math.max(v, 1).toPrecision(2)} rows per new row`,
  show: (v) => Math.max(v, 1).toPrecision(2),
});

/**
 * The replay's loss as a knob, the rung after one replayed row per new row: 0 plain, 1 ER-ACE's asymmetric
 * cross-entropy (`vital-ace.ts`). Its events are the replay's (`replayRaised`, `replayLowered`).
 */
export const aceKnob: Knob = {
  key: "asymmetric",
  stem: "replay",
  up: () => 1,
  down: () => 0,
  ceiling: 1,
  unit: "replay's loss",
  at: (v) => (v ? "replay with ER-ACE's asymmetric loss" : "plain replay"),
  show: (v) => (v ? "asymmetric (ER-ACE, Caccia et al. 2022)" : "plain"),
};

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
  const show = k.show ?? ((v: number) => v.toPrecision(2));
  const raised = value > before;
  s.value = value;
  s.changedAt = f.probes;
  s.peak = 0;
  emit(
    loopEvent(
      step,
      `${k.stem}${raised ? "Raised" : "Lowered"}`,
      { forgetting: f.forgetting, budget, [`${k.key}Before`]: before, [k.key]: value },
      `${why}: ${k.unit} ${show(before)} → ${show(value)}`,
      `${k.stem} ${raised ? "raised" : "lowered"}`,
    ),
  );
}

/**
 * Forgetting in its unit: accuracy points, or for regression a percentage of the error; `bare` leaves
 * the unit off a classification's figure (the budget, "10.0", after "points" was said).
 */
const forgettingWords =
  (f: ForgettingMemory) =>
  (x: number, bare = false): string =>
    f.regression
      ? `${(100 * x).toFixed(1)}% of the error`
      : `${(100 * x).toFixed(1)}${bare ? "" : " points"}`;

/**
 * One probe of the forgetting detector for one knob: raise it beyond the budget, verify a raise once it
 * has settled (raise again, up to its ceiling, when it did not hold), lower it when the budget holds with
 * room. Returns whether the knob is at its ceiling with the budget still exceeded (the next knob's turn);
 * only the `last` knob of a chain says in an event that the remedy is exhausted.
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
  last = true,
): boolean {
  const settled = f.probes - s.changedAt >= SETTLE_PROBES;
  s.peak = Math.max(s.peak ?? 0, f.forgetting);
  // A probe without room restarts the calm stretch (and its peak, the most forgetting within it).
  if (f.forgetting >= budget / 2) [s.peak, s.calmFrom] = [0, f.probes];
  const calm = f.probes - Math.max(s.changedAt, s.calmFrom ?? s.changedAt);
  const amount = forgettingWords(f);
  const worse = `forgetting ${amount(f.forgetting)}, beyond the budget of ${amount(budget, true)}`;
  const raise = (why: string): void =>
    setKnob(k, s, raisedValue(k, s.value, f.forgetting, budget), f, step, budget, emit, why);
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
          `${k.at(s.value)} holds the forgetting budget: ${amount(f.forgetting)} ≤ ${amount(budget, true)}${f.margin ? ` + ${amount(f.margin, true)} (noise margin)` : ""}`,
          `${k.stem} ${k.key} kept`,
        ),
      );
    } else if (s.value < k.ceiling) raise(`${worse} after raising it at step ${at}`);
    else {
      s.pending = null;
      // The next knob's turn, raised in the same probe: nothing is exhausted yet.
      if (!last) return true;
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
  } else if (s.value > 0 && s.peak < budget / 2 && calm >= ROOM_PROBES)
    setKnob(
      k,
      s,
      k.down(s.value),
      f,
      step,
      budget,
      emit,
      `the budget held with room over ${calm} probes (forgetting at most ${amount(s.peak)} < half the budget): memory gives back steps to new data`,
    );
  return false;
}

/**
 * A raise in proportion to the excess: one step up per doubling of the budget (at least one, up to the
 * ceiling), so that catastrophic forgetting (a class-incremental task switch) is not met one small step
 * per task.
 *
 * @example
 * raisedValue(replayKnob(1), 0, 0.4, 0.1); // 0 → ¼ → ½: 0.5 (forgetting 4× the budget, two doublings)
 */
export function raisedValue(k: Knob, value: number, forgetting: number, budget: number): number {
  const steps = Math.max(1, Math.floor(Math.log2(forgetting / budget)));
  let v = value;
  // Clamped: a knob's first step may lie beyond a low ceiling (replay's ¼ row over `maxReplay` 0.1).
  for (let i = 0; i < steps && v < k.ceiling; i++) v = Math.min(k.ceiling, k.up(v));
  return v;
}

/**
 * Knobs in turn (replay, its asymmetric loss, consolidation): the last one raised (or the first) follows
 * the forgetting; at its ceiling with the budget still exceeded the next one is raised; they are lowered
 * in reverse order. A change of any knob restarts every knob's settling time (their effects mix).
 *
 * @example
 * chainControl([[replayKnob(1), replay], [aceKnob, ace]], monitor.memory("forgetting"), step, 0.1, emit);
 */
export function chainControl(
  chain: readonly (readonly [Knob, KnobState])[],
  f: ForgettingMemory,
  step: number,
  budget: number,
  emit: Emit,
): void {
  let i = chain.length - 1;
  while (i > 0 && chain[i][1].value === 0 && chain[i][1].pending === null) i--;
  const turn = (j: number): boolean =>
    knobControl(chain[j][0], chain[j][1], f, step, budget, emit, j === chain.length - 1);
  for (let full = turn(i); full && i + 1 < chain.length; ) full = turn(++i);
  if (chain.some(([, s]) => s.changedAt === f.probes))
    for (const [, s] of chain) [s.changedAt, s.peak] = [f.probes, 0];
}
