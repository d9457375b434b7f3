/**
 * The health part of a report: per-layer statistics over steps (gradient and weight norms, update
 * ratio, dead, dormant and saturated units, effective rank), the events table, and the events as
 * markers on every chart.
 */
import { type ChartContext, figure, legendItem } from "./figure.js";
import type { ReportRun } from "./record.js";
import { eventColor, LAYER_COLORS, RUN_DASH } from "./style.js";
import { escapeXml, lineChart, type LineSeries, type Marker } from "./svg.js";

/** Each health event after the start as a marker, its diagnosis and action as the tooltip. */
export function eventMarkers(runs: readonly ReportRun[]): Marker[] {
  return runs.flatMap(({ label, record }) =>
    (record.health?.events ?? [])
      .filter((e) => e.step > 0)
      .map((e) => ({
        x: e.step,
        color: eventColor(e.kind),
        tip: `${runs.length > 1 ? `${label} · ` : ""}step ${e.step} · ${e.kind}${e.layer !== undefined ? ` (layer ${e.layer})` : ""}${e.repaired ? " [repaired]" : ""}\n${e.diagnosis}${e.action ? `\n→ ${e.action}` : ""}`,
      })),
  );
}

type LayerKey =
  | "gradNorm"
  | "weightNorm"
  | "updateRatio"
  | "deadFraction"
  | "dormantFraction"
  | "saturatedFraction"
  | "effectiveRank";

const HEALTH_CHARTS: { key: LayerKey; title: string; logY?: boolean; fraction?: boolean; note?: string }[] = [
  {
    key: "gradNorm",
    title: "Gradient norm per layer",
    logY: true,
    note: "‖∇W‖ of each dense layer at each check: vanishing gradients sink towards 0, exploding ones shoot up.",
  },
  {
    key: "updateRatio",
    title: "Update ratio per layer",
    logY: true,
    note: "‖ΔW‖/‖W‖ of one optimiser step; around 10⁻³ is the usual healthy range.",
  },
  { key: "weightNorm", title: "Weight norm per layer", logY: true },
  {
    key: "deadFraction",
    title: "Dead ReLU units",
    fraction: true,
    note: "Fraction of ReLU units never active over a window of checks.",
  },
  {
    key: "dormantFraction",
    title: "Dormant units",
    fraction: true,
    note: "Fraction of units whose mean |activation| is far below the layer's average (Sokar et al. 2023).",
  },
  {
    key: "saturatedFraction",
    title: "Saturated units",
    fraction: true,
    note: "Fraction of sigmoid/tanh outputs within 1% of their bounds.",
  },
  {
    key: "effectiveRank",
    title: "Effective rank per layer",
    note: "exp(entropy) of the normalised singular values of a layer's representation: collapse shows as a fall.",
  },
];

export function healthSection(c: ChartContext): string {
  const withHealth = c.runs.filter((r) => r.record.health?.points.length);
  if (!withHealth.length) return "";
  const figs: string[] = [];
  for (const spec of HEALTH_CHARTS) {
    const series = c.runs.flatMap((run, i) => layerSeries(c, run, i, spec.key));
    if (!series.length) continue;
    figs.push(
      figure(
        spec.title,
        series.map((s) => legendItem(s.name, s.color, s.dash)),
        lineChart({
          title: spec.title,
          xLabel: "step",
          series,
          markers: c.markers,
          xDomain: c.xDomain,
          maxPoints: c.maxPoints,
          logY: spec.logY,
          yDomain: spec.fraction ? [0, 1] : undefined,
        }),
        spec.note ? escapeXml(spec.note) : "",
      ),
    );
  }
  return `<section><h2>Health</h2><div class="grid">${figs.join("")}</div></section>`;
}

/** One line per layer of run `i` for the statistic `key`, coloured by layer, dashed by run. */
function layerSeries(c: ChartContext, { label, record }: ReportRun, i: number, key: LayerKey): LineSeries[] {
  const series: LineSeries[] = [];
  const points = record.health?.points ?? [];
  const names = [...new Set(points.flatMap((p) => p.layers.map((l) => l.layer)))];
  names.forEach((name, k) => {
    const x: number[] = [],
      y: number[] = [];
    // Values measured only at some checks (effective rank) or for some layers: skip the gaps, do not break the line.
    for (const p of points) {
      const v = p.layers.find((q) => q.layer === name)?.[key] as number | undefined;
      if (v !== undefined && Number.isFinite(v)) {
        x.push(p.step);
        y.push(v);
      }
    }
    if (!y.length) return;
    series.push({
      name: `${c.runs.length > 1 ? `${label} · ` : ""}layer ${name}`,
      color: LAYER_COLORS[k % LAYER_COLORS.length],
      dash: RUN_DASH[i],
      x,
      y,
    });
  });
  return series;
}

export function eventsSection(runs: readonly ReportRun[]): string {
  const rows = runs.flatMap(({ label, record }) =>
    (record.health?.events ?? []).map(
      (e) =>
        `<tr><td>${runs.length > 1 ? `${escapeXml(label)}</td><td>` : ""}${e.step === 0 ? "before" : e.step}</td><td><span class="kind" style="border-color:${eventColor(e.kind)}">${escapeXml(e.kind)}</span></td>` +
        `<td>${e.layer === undefined ? "" : escapeXml(e.layer)}</td><td>${escapeXml(e.diagnosis)}</td><td>${escapeXml(e.action)}${e.repaired ? ' <b class="ok">repaired</b>' : ""}</td></tr>`,
    ),
  );
  if (!rows.length)
    return runs.some((r) => r.record.health)
      ? `<section><h2>Health events</h2><p class="note">No health events: the monitor found nothing wrong.</p></section>`
      : "";
  const shown = rows.slice(0, 500);
  return (
    `<section><h2>Health events</h2><table class="events"><thead><tr>${runs.length > 1 ? "<th>run</th>" : ""}<th>step</th><th>kind</th><th>layer</th><th>diagnosis</th><th>action</th></tr></thead><tbody>${shown.join("")}</tbody></table>` +
    `${rows.length > shown.length ? `<p class="note">${rows.length - shown.length} more events not shown.</p>` : ""}</section>`
  );
}
