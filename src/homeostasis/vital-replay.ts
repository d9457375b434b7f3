/**
 * The memory side of the vitals loop: the share of replayed rows follows the forgetting measured on
 * retained rows — raised beyond the budget and verified once it has settled, lowered again when the
 * budget holds with room (replayed rows take steps from new data: memory costs plasticity).
 */
import type { HealthEvent } from "../health/findings.js";
import { type ForgettingMemory, forgettingBeyond } from "../health/vitals.js";
import { loopEvent } from "./vital-remedies.js";

/** Probes of the forgetting detector between two changes of the replay share (its effect needs time). */
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

function setShare(
  st: ReplayState,
  share: number,
  kind: string,
  f: ForgettingMemory,
  step: number,
  o: ReplayOptions,
  emit: Emit,
  why: string,
): void {
  const before = st.share;
  st.share = share;
  st.changedAt = f.probes;
  emit(
    loopEvent(
      step,
      kind,
      { forgetting: f.forgetting, budget: o.forgettingBudget, shareBefore: before, share },
      `${why}: replayed rows per new row ${before.toPrecision(2)} → ${share.toPrecision(2)}`,
      kind === "replayRaised" ? "replay raised" : "replay lowered",
    ),
  );
}

/**
 * One probe of the forgetting detector: raise the replay share beyond the budget, verify a raise once it
 * has settled (raise again, up to `maxReplay`, when it did not hold), lower it when the budget holds with room.
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
): void {
  const budget = o.forgettingBudget;
  const settled = f.probes - st.changedAt >= SETTLE_PROBES;
  const raise = (why: string): void =>
    setShare(
      st,
      st.share === 0 ? 0.25 : Math.min(o.maxReplay, 2 * st.share),
      "replayRaised",
      f,
      step,
      o,
      emit,
      why,
    );
  const beyond = forgettingBeyond(f, budget);
  const worse = `forgetting ${(100 * f.forgetting).toFixed(1)} points, beyond the budget of ${(100 * budget).toFixed(1)}`;
  if (st.replayPending) {
    if (!settled) return;
    const at = st.replayPending.step;
    if (!beyond) {
      st.replayPending = null;
      emit(
        loopEvent(
          step,
          "remedyVerified",
          { forgetting: f.forgetting, budget, share: st.share, appliedAt: at },
          `replay at ${st.share.toPrecision(2)} rows per new row holds the forgetting budget: ${(100 * f.forgetting).toFixed(1)} points ≤ ${(100 * budget).toFixed(1)}${f.margin ? ` + ${(100 * f.margin).toFixed(1)} (noise margin)` : ""}`,
          "replay share kept",
        ),
      );
    } else if (st.share < o.maxReplay) raise(`${worse} after raising it at step ${at}`);
    else {
      st.replayPending = null;
      emit(
        loopEvent(
          step,
          "remedyExhausted",
          { forgetting: f.forgetting, budget, share: st.share },
          `${worse} with replay at its ceiling ${o.maxReplay}`,
          "none left within the budget",
        ),
      );
    }
    return;
  }
  if (beyond && st.share < o.maxReplay && settled) {
    st.replayPending = { step, forgetting: f.forgetting };
    raise(worse);
  } else if (st.share > 0 && f.forgetting < budget / 2 && settled) {
    const half = st.share / 2;
    setShare(
      st,
      half < 1 / 16 ? 0 : half,
      "replayLowered",
      f,
      step,
      o,
      emit,
      `the budget holds with room (forgetting ${(100 * f.forgetting).toFixed(1)} points < half the budget): memory gives back steps to new data`,
    );
  }
}
