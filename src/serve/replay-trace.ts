/**
 * The flight recorder's per-row statistics: for each row a learner observes, the loss of the prediction
 * made before learning, the optimiser step it triggered (its training loss, the global L2 norm of its
 * gradients before clipping, its learning rate), the drift it set off and the health events and failures
 * found while it was learnt.
 *
 * The tracer is a `learner.listen` listener: each row's score, each step's raw gradients and event
 * reach it as they pass, and it changes nothing, so a traced learner computes exactly what an untraced
 * one does (test/cli-replay.test.ts checks the rebuilt learner against the live checkpoint bit for bit).
 * The drifts, health events and failures a row brought are read from the learner's lists (read only).
 */
import type { HealthEvent } from "../health/findings.js";
import type { Label, Learner, Row } from "../learner/learner.js";
import type { DriftEvidence } from "../learner/drift.js";
import { DataError } from "../tensor/errors.js";

/** One row's statistics. */
export interface TraceRow {
  /** The row's sequence number in the log. */
  seq: number;
  /** Why the learner refused the row (it is logged as accepted, and refused again on replay), or null. */
  refused: string | null;
  /** Whether the prediction made before learning was right (classification), and its loss. */
  hit: boolean;
  loss: number;
  /** The optimiser step this row completed (null when it only joined a pending micro-batch). */
  step: number | null;
  /** The step's mean training loss before the update, and its gradients' L2 norm before clipping. */
  stepLoss: number | null;
  gradNorm: number | null;
  lr: number | null;
  /** The drift this row set off, with the detector's evidence. */
  drift: DriftEvidence | null;
  /** Health events found while this row was learnt (repairs and rollbacks included). */
  events: HealthEvent[];
  /** An unrepairable failure the learner went back to its healthy state from. */
  failures: { row: number; step: number; diagnosis: string }[];
}

/** The lists the tracer reads inside a learner (private there: what a row added to them). */
interface LearnerInsides {
  guard: {
    events: readonly HealthEvent[];
    failures: readonly { row: number; step: number; diagnosis: string }[];
  } | null;
  drifts: readonly { row: number; evidence: DriftEvidence }[];
}

/**
 * Attach the tracer to `learner` for the rest of its life in this process: every row it observes, by
 * whoever calls `observe` (a durable learner, a service, a replay), is reported to `onRow`, numbered from
 * `firstSeq` on (refused rows count, as they do in the log).
 *
 * @example
 * const rows: TraceRow[] = [];
 * traceLearner(learner, 1, (r) => rows.push(r));
 * learner.observe([0.2, 1.5, 3], "spam"); // rows[0].loss, rows[0].gradNorm, rows[0].events
 */
export function traceLearner(learner: Learner, firstSeq: number, onRow: (row: TraceRow) => void): void {
  const inside = learner as unknown as LearnerInsides;
  let scored: { hit: boolean; loss: number } = { hit: false, loss: Number.NaN };
  let step: { step: number; loss: number; lr: number } | null = null;
  let squares: number | null = null;
  let seq = firstSeq;
  learner.listen({
    scored: (hit, loss) => {
      scored = { hit, loss };
    },
    gradients: (grads) => {
      squares = 0;
      for (const g of grads.values()) for (let i = 0; i < g.length; i++) squares += g[i] * g[i];
    },
    // Heard before the monitor's repairs run: the step as it was taken.
    step: (e) => {
      step = { step: e.step, loss: e.loss, lr: e.lr };
    },
  });
  const observe = learner.observe.bind(learner);
  learner.observe = (x: Row, y: Label) => {
    const events = inside.guard?.events.length ?? 0;
    const failures = inside.guard?.failures.length ?? 0;
    const drifts = inside.drifts.length;
    scored = { hit: false, loss: Number.NaN };
    step = null;
    squares = null;
    let refused: string | null = null;
    try {
      return observe(x, y);
    } catch (e) {
      if (e instanceof DataError) refused = e.message;
      throw e;
    } finally {
      const taken = step as { step: number; loss: number; lr: number } | null;
      const norm = squares as number | null;
      const allEvents = inside.guard?.events ?? [];
      onRow({
        seq: seq++,
        refused,
        hit: scored.hit,
        loss: scored.loss,
        step: taken?.step ?? null,
        stepLoss: taken?.loss ?? null,
        gradNorm: taken && norm !== null ? Math.sqrt(norm) : null,
        lr: taken?.lr ?? null,
        drift: inside.drifts.length > drifts ? inside.drifts[inside.drifts.length - 1].evidence : null,
        // A rollback may put the monitor's events back to an earlier list: then none are new.
        events: structuredClone(allEvents.slice(Math.min(events, allEvents.length))),
        failures: (inside.guard?.failures ?? []).slice(failures).map((f) => ({ ...f })),
      });
    }
  };
}
