/**
 * The repair policy: what happens to a finding. Without repair it is reported once (per kind and layer).
 * With repair, it is repaired within budgets (per kind of problem, and in all); beyond them a fatal
 * kind fails the run with its diagnosis and the rest are reported as not cured. After a repair the
 * windows describe a model that no longer exists, so they start again; healthy checks take snapshots
 * to roll back to.
 */
import type { TrainingControl } from "../train/events.js";
import type { Finding, HealthEvent, HealthKind } from "./findings.js";
import type { LayerInfo } from "./observer.js";
import { takeSnapshot } from "./repairs.js";
import type { MonitorState } from "./state.js";
import { l2Norm } from "./statistics.js";

export interface RepairPolicyOptions {
  /**
   * Repair at all; false: report only. A list repairs only the kinds it names, and takes no rollback
   * snapshots (the vitals regulator's dead-unit budget: re-initialisation, never a rollback).
   */
  repair: boolean | readonly string[];
  /** Repairs allowed per kind of problem, and in all. */
  maxPerKind: number;
  maxTotal: number;
  /** Kinds a run cannot go on with once repairs stop holding. */
  fatal: ReadonlySet<HealthKind>;
  /** Called with each event as it happens. */
  onEvent?: (e: HealthEvent) => void;
}

/** A policy over the monitor's state: every count it keeps lives there. */
export interface RepairPolicy {
  /** Every kind is repaired (blow-ups rolled back, snapshots kept); false where only some kinds or none are. */
  readonly repairs: boolean;
  emit(s: MonitorState, e: HealthEvent): void;
  /** Record the failure, say why, and stop the run. */
  fail(s: MonitorState, control: TrainingControl, step: number, f: Finding, why: string): void;
  /** Report a finding; with repair, apply `fix` within the budgets. */
  handle(
    s: MonitorState,
    control: TrainingControl,
    layers: readonly LayerInfo[],
    step: number,
    f: Finding,
    fix: (() => HealthEvent[]) | null,
  ): void;
  /** A healthy check, not drifting upwards: worth keeping to roll back to. */
  healthy(s: MonitorState, control: TrainingControl): void;
}

/**
 * @example
 * const policy = repairPolicy({ repair: true, maxPerKind: 3, maxTotal: 10, fatal: new Set(["nonFinite"]) });
 * policy.handle(state, control, layers, 40, finding, () => rollbackAndCut(ctx, 0.1));
 */
export function repairPolicy(o: RepairPolicyOptions): RepairPolicy {
  const emit = (s: MonitorState, e: HealthEvent): void => {
    s.events.push(e);
    o.onEvent?.(e);
  };
  const fail: RepairPolicy["fail"] = (s, control, step, f, why) => {
    s.done = true;
    const diagnosis = `training failed beyond repair: ${f.diagnosis}${why ? ` (${why})` : ""}`;
    emit(s, { step, kind: "failed", layer: f.layer, evidence: f.evidence, diagnosis, action: f.action });
    control.fail(diagnosis);
  };
  const reportOnce = (s: MonitorState, key: string, e: HealthEvent): void => {
    if (s.reported.includes(key)) return;
    s.reported.push(key);
    emit(s, e);
  };
  return {
    repairs: o.repair === true,
    emit,
    fail,
    handle(s, control, layers, step, f, fix) {
      const key = `${f.kind}:${f.layer ?? ""}`;
      const repairs = o.repair === true || (o.repair !== false && o.repair.includes(f.kind));
      if (!repairs || !fix) return reportOnce(s, key, { step, ...f });
      const entry = s.repairs.find(([k]) => k === f.kind);
      const used = entry?.[1] ?? 0;
      if (used >= o.maxPerKind || s.totalRepairs >= o.maxTotal) {
        if (o.fatal.has(f.kind)) {
          emit(s, { step, ...f });
          fail(s, control, step, f, `${used} ${f.kind} repairs did not hold`);
        } else {
          // A stall, a wobble or saturation that repairs could not cure is worth saying, not worth ending the run for.
          reportOnce(s, `${key}:exhausted`, {
            step,
            ...f,
            action: `${f.action} — not done: ${used} ${f.kind} repairs were tried already; training goes on`,
          });
        }
        return;
      }
      if (entry) entry[1]++;
      else s.repairs.push([f.kind, 1]);
      s.totalRepairs++;
      const applied = fix();
      emit(s, { step, ...f, repaired: applied.length > 0 });
      for (const e of applied) emit(s, e);
      // The windows before the repair describe a model that no longer exists.
      s.lossMeans = s.lossMeans.slice(0, 1);
      s.droppedBestLoss = Infinity;
      s.accuracyMeans = s.accuracyMeans.slice(0, 1);
      layers.forEach((l, k) => {
        s.layers[k].prevWeightNorm = l2Norm(control.parameters[l.weightAt][1].data);
      });
    },
    healthy(s, control) {
      const loss = s.lossMeans[s.lossMeans.length - 1];
      if (o.repair === true && loss <= 1.5 * Math.min(s.droppedBestLoss, ...s.lossMeans))
        takeSnapshot(s.snapshots, control);
    },
  };
}
