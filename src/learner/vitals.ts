/**
 * The learner's vital signs assembled from its parts: prequential scores (memory of the stream), the
 * health monitor (stability), the probe's balance measures and the regulators (plasticity), the replay
 * memory, drifts and speed. One plain, JSON-ready object.
 */
import type { Regulator } from "../homeostasis/regulator.js";
import type { Sequential } from "../nn/sequential.js";
import type { ParsedLearnerConfig } from "./config.js";
import type { DriftEvidence } from "./drift.js";
import type { LearnerGuard } from "./guard.js";
import type { ReplayMemory } from "./memory.js";
import type { Prequential } from "./prequential.js";
import type { Probe } from "./probe.js";
import type { LabelIndex } from "./rows.js";
import type { LearnerVitals } from "./state.js";

/** What the vitals are read from. */
export interface VitalParts {
  config: ParsedLearnerConfig;
  score: Prequential;
  labels: LabelIndex;
  steps: number;
  drifts: readonly { row: number; evidence: DriftEvidence }[];
  consolidations: number;
  memory: ReplayMemory | null;
  probe: Probe | null;
  guard: LearnerGuard | null;
  regulators: readonly Regulator[];
  model: Sequential | null;
  optimizerState: unknown;
  pending: number;
  seconds: number;
}

/** Events kept in `vitals().health.recent`. */
const RECENT_EVENTS = 20;

/**
 * @example
 * learnerVitals(parts).health.status; // "healthy"
 */
export function learnerVitals(p: VitalParts): LearnerVitals {
  const cls = p.config.task === "classification";
  const sc = p.score.getState();
  const accuracy = p.score.perLabel();
  const events = p.guard?.events ?? [];
  const failures = p.guard?.failures ?? [];
  const repairs = events.filter((e) => e.repaired).length;
  const reading = p.probe?.last ?? null;
  return {
    task: p.config.task,
    rows: sc.rows,
    steps: p.steps,
    prequential: p.score.whole(cls),
    recent: { ...p.score.recent(cls), window: p.config.window },
    perLabel: p.labels.labels.map((label, i) => ({
      label,
      rows: sc.perLabelRows[i] ?? 0,
      accuracy: accuracy[i] ?? null,
    })),
    labels: [...p.labels.labels],
    drifts: p.drifts.map((d) => ({ ...d })),
    consolidations: p.consolidations,
    replay: {
      size: p.memory?.size ?? 0,
      capacity: p.config.memory,
      perLabel: [...(p.memory?.held ?? [])],
    },
    pending: p.pending,
    health: {
      on: p.guard !== null,
      status: failures.length > 0 ? "restored" : repairs > 0 ? "repaired" : "healthy",
      events: events.length,
      repairs,
      recent: structuredClone(events.slice(-RECENT_EVENTS)),
      failures: failures.map((f) => ({ ...f })),
    },
    balance: reading && {
      ...structuredClone(reading),
      worstDead: p.probe!.worstDead,
      readings: p.probe!.readings,
    },
    regulators: p.regulators.map((r) => ({ name: r.name, unitsReplaced: r.unitsReplaced?.() ?? null })),
    memoryBytes: bytesHeld(p),
    samplesPerSecond: p.seconds > 0 ? sc.rows / p.seconds : 0,
    seconds: p.seconds,
  };
}

function bytesHeld(p: VitalParts): number {
  let bytes = 0;
  const add = (v: unknown): void => {
    if (ArrayBuffer.isView(v)) bytes += v.byteLength;
    else if (Array.isArray(v)) v.forEach(add);
    else if (v !== null && typeof v === "object") Object.values(v).forEach(add);
  };
  for (const [, t] of p.model?.parameters() ?? []) bytes += t.data.byteLength;
  add(p.optimizerState);
  bytes += p.memory?.bytes ?? 0;
  bytes += p.probe?.bytes ?? 0;
  return bytes;
}
