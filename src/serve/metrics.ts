/**
 * The learner's vitals in the Prometheus text exposition format (version 0.0.4): one `# HELP` and one
 * `# TYPE` line per metric family, then its samples, so an existing Prometheus / Grafana stack can scrape
 * `/metrics`. Counters end in `_total`; a value not known yet (accuracy before the first row) is NaN.
 */
import type { LearnerVitals } from "../learner/learner.js";

/** The service's own counts beside the learner's vitals. */
export interface ServiceCounts {
  /** Sequence number of the last row in the log and learnt. */
  seq: number;
  queuedRows: number;
  logBytes: number;
  fsyncs: number;
  /** Requests answered, by status code. */
  requests: ReadonlyMap<number, number>;
}

/** The content type Prometheus expects for this format. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Sample = [labels: Record<string, string>, value: number | null];
interface Family {
  name: string;
  type: "counter" | "gauge";
  help: string;
  samples: Sample[];
}

/**
 * The learner's vitals and the service's counts in the Prometheus text exposition format 0.0.4, as
 * `GET /metrics` answers (a value not known yet is `NaN`).
 *
 * @example
 * const counts = { seq: 0, queuedRows: 0, logBytes: 0, fsyncs: 0, requests: new Map([[200, 1]]) };
 * prometheusText(learner.vitals(), counts).split("\n")[0]; // "# HELP homeostat_rows_total Labelled rows learnt from."
 */
export function prometheusText(v: LearnerVitals, s: ServiceCounts): string {
  const one = (value: number | null): Sample[] => [[{}, value]];
  const layers = v.balance?.layers ?? [];
  const perLayer = (pick: (l: (typeof layers)[number]) => number): Sample[] =>
    layers.map((l) => [{ layer: l.layer }, pick(l)]);
  const families: Family[] = [
    { name: "rows_total", type: "counter", help: "Labelled rows learnt from.", samples: one(v.rows) },
    {
      name: "steps_total",
      type: "counter",
      help: "Optimiser steps taken (one per batch of rows; rows learnt are homeostat_rows_total).",
      samples: one(v.steps),
    },
    {
      name: "prequential_accuracy",
      type: "gauge",
      help: "Test-then-train accuracy over every labelled row (classification).",
      samples: one(v.prequential.accuracy),
    },
    {
      name: "recent_accuracy",
      type: "gauge",
      help: "Test-then-train accuracy over the latest window of rows (classification).",
      samples: one(v.recent.accuracy),
    },
    {
      name: "prequential_loss",
      type: "gauge",
      help: "Test-then-train loss over every labelled row.",
      samples: one(v.prequential.loss),
    },
    {
      name: "drifts_total",
      type: "counter",
      help: "Drifts detected in the stream.",
      samples: one(v.drifts.length),
    },
    {
      name: "health_events_total",
      type: "counter",
      help: "Events the health monitor found.",
      samples: one(v.health.events),
    },
    {
      name: "health_repairs_total",
      type: "counter",
      help: "Health events the monitor repaired.",
      samples: one(v.health.repairs),
    },
    {
      name: "health_failures_total",
      type: "counter",
      help: "Failures the learner went back to a healthy state from.",
      samples: one(v.health.failures.length),
    },
    {
      name: "dead_fraction",
      type: "gauge",
      help: "Fraction of a hidden layer's units silent on the probe rows (last reading).",
      samples: perLayer((l) => l.deadFraction),
    },
    {
      name: "effective_rank",
      type: "gauge",
      help: "Effective rank of a hidden layer's activations on the probe rows (last reading).",
      samples: perLayer((l) => l.effectiveRank),
    },
    {
      name: "replay_fill",
      type: "gauge",
      help: "Fraction of the replay memory holding rows.",
      samples: one(v.replay.capacity > 0 ? v.replay.size / v.replay.capacity : 0),
    },
    {
      name: "samples_per_second",
      type: "gauge",
      help: "Labelled rows per second of observe (the learner's own time).",
      samples: one(v.samplesPerSecond),
    },
    {
      name: "log_seq",
      type: "gauge",
      help: "Sequence number of the last logged and learnt row.",
      samples: one(s.seq),
    },
    {
      name: "queue_rows",
      type: "gauge",
      help: "Rows accepted and waiting to be learnt.",
      samples: one(s.queuedRows),
    },
    { name: "log_bytes", type: "gauge", help: "Bytes in the write-ahead log.", samples: one(s.logBytes) },
    {
      name: "log_fsyncs_total",
      type: "counter",
      help: "Group commits flushed to disk.",
      samples: one(s.fsyncs),
    },
    {
      name: "http_requests_total",
      type: "counter",
      help: "HTTP requests answered, by status code.",
      samples: [...s.requests].sort(([a], [b]) => a - b).map(([code, n]) => [{ code: String(code) }, n]),
    },
  ];
  return `${families.map(familyText).join("\n")}\n`;
}

function familyText(f: Family): string {
  const name = `homeostat_${f.name}`;
  const lines = [`# HELP ${name} ${f.help}`, `# TYPE ${name} ${f.type}`];
  for (const [labels, value] of f.samples) {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
    lines.push(`${name}${l.length ? `{${l.join(",")}}` : ""} ${numberText(value)}`);
  }
  return lines.join("\n");
}

/** Go's float formatting as the format takes it: NaN, +Inf, -Inf, else the shortest decimal. */
function numberText(v: number | null): string {
  if (v === null || Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}
