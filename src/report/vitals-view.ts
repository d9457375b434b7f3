/**
 * The vitals loop's part of a report: each detection of the vital signs (loss of plasticity,
 * forgetting, dead units beyond their budget), the remedy it called for, and that remedy's outcome (verified, rolled back, exhausted),
 * in the order they happened. The same events are also markers on every chart and rows of the events table.
 */
import type { ReportRun } from "./record.js";
import { eventColor } from "./style.js";
import { escapeXml } from "./svg.js";

const DETECTIONS = new Set(["plasticityLoss", "forgetting", "deadUnits"]);
const ACTIONS = new Set([
  "remedyApplied",
  "replayRaised",
  "replayLowered",
  "consolidationRaised",
  "consolidationLowered",
]);
const OUTCOMES = new Set(["remedyVerified", "remedyRolledBack", "remedyExhausted", "remedyBudgetRenewed"]);

/** Whether an event is the vitals loop's: a detection, an action or an outcome. */
export const isLoopEvent = (kind: string): boolean =>
  DETECTIONS.has(kind) || ACTIONS.has(kind) || OUTCOMES.has(kind);

/** The vital sign an event concerns: memory for forgetting and replay, plasticity otherwise. */
function sign(kind: string, evidence: Record<string, number>): string {
  return kind === "forgetting" ||
    kind.startsWith("replay") ||
    kind.startsWith("consolidation") ||
    "share" in evidence ||
    "strength" in evidence
    ? "memory"
    : "plasticity";
}

/**
 * The loop's detections, remedies and outcomes as a section ("" when a run has none).
 *
 * @example
 * vitalsSection([{ label: "run", record }]); // "<section><h2>Vital signs loop</h2>…"
 */
export function vitalsSection(runs: readonly ReportRun[]): string {
  const events = runs.flatMap(({ label, record }) =>
    (record.health?.events ?? []).filter((e) => isLoopEvent(e.kind)).map((e) => ({ label, ...e })),
  );
  if (events.length === 0) return "";
  const count = (set: Set<string>) => events.filter((e) => set.has(e.kind)).length;
  const outcome = (k: string) => events.filter((e) => e.kind === k).length;
  const many = runs.length > 1;
  const rows = events
    .slice(0, 300)
    .map(
      (e) =>
        `<tr>${many ? `<td>${escapeXml(e.label)}</td>` : ""}<td>${e.step}</td><td>${sign(e.kind, e.evidence)}</td>` +
        `<td><span class="kind" style="border-color:${eventColor(e.kind)}">${escapeXml(e.kind)}</span></td>` +
        `<td>${escapeXml(e.diagnosis)}</td><td>${escapeXml(e.action)}</td></tr>`,
    );
  return (
    `<section><h2>Vital signs loop</h2><p class="note">${count(DETECTIONS)} detections, ${count(ACTIONS)} remedies applied or changed; ` +
    `outcomes: ${outcome("remedyVerified")} verified, ${outcome("remedyRolledBack")} rolled back, ${outcome("remedyExhausted")} with no remedy left${outcome("remedyBudgetRenewed") > 0 ? `, ${outcome("remedyBudgetRenewed")} budgets renewed` : ""}.</p>` +
    `<table class="events"><thead><tr>${many ? "<th>run</th>" : ""}<th>step</th><th>sign</th><th>kind</th><th>evidence and diagnosis</th><th>action</th></tr></thead><tbody>${rows.join("")}</tbody></table>` +
    `${events.length > rows.length ? `<p class="note">${events.length - rows.length} more not shown.</p>` : ""}</section>`
  );
}
