/**
 * The report: one self-contained HTML page (inline CSS, inline SVG, no script, no font or image from
 * anywhere) for one run record, or two compared on the same axes. Every series is downsampled to a few
 * hundred points, so a record of a million steps gives a page of the same size as a short run.
 */
import { continualSection } from "./continual-view.js";
import { onlineSection } from "./online-view.js";
import type { ReportRun, RunRecord } from "./record.js";
import { eventColor, LAYER_COLORS, REPORT_CSS, RUN_COLORS, RUN_DASH, TASK_BOUNDARY_COLOR } from "./style.js";
import { escapeXml, formatTick, lineChart, type LineSeries, type Marker } from "./svg.js";

export type { ReportRun } from "./record.js";

export interface ReportOptions {
  title?: string;
  /** Points per series after downsampling (default 600: about one per pixel). */
  maxPoints?: number;
}

/**
 * The report's HTML text.
 *
 * @example
 * writeFileSync("run.html", renderReport([{ label: "run", record }]));
 */
export function renderReport(runs: readonly ReportRun[], opts: ReportOptions = {}): string {
  if (runs.length === 0 || runs.length > 2) throw new RangeError("renderReport: one run, or two to compare");
  const maxPoints = opts.maxPoints ?? 600;
  const title =
    opts.title ??
    (runs.length === 1 ? `Homeostat · ${runs[0].label}` : `Homeostat · ${runs[0].label} vs ${runs[1].label}`);
  const maxStep = Math.max(1, ...runs.map(({ record }) => lastStep(record)));
  const xDomain: [number, number] = [0, maxStep];
  const markers = eventMarkers(runs);
  const ctx = { runs, maxPoints, xDomain, markers };
  const body = [
    `<header><h1>${escapeXml(title)}</h1><p class="sub">${runs.map((r, i) => legendSwatch(i) + escapeXml(describeRun(r))).join("<br>")}</p></header>`,
    summaryCards(runs),
    trainingSection(ctx),
    healthSection(ctx),
    continualSection(runs),
    onlineSection(runs),
    eventsSection(runs),
    configSection(runs),
    `<footer>Written by homeostat report · self-contained: no scripts, fonts or images from the network.</footer>`,
  ]
    .filter(Boolean)
    .join("\n");
  return (
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeXml(title)}</title><style>${REPORT_CSS}</style></head>\n<body><main>\n${body}\n</main></body></html>\n`
  );
}

interface Ctx {
  runs: readonly ReportRun[];
  maxPoints: number;
  xDomain: [number, number];
  markers: Marker[];
}

function lastStep(r: RunRecord): number {
  const s = r.steps.step;
  const e = r.epochs.length ? r.epochs[r.epochs.length - 1].steps : 0;
  const h = r.health?.points.length ? r.health.points[r.health.points.length - 1].step : 0;
  return Math.max(s.length ? s[s.length - 1] : 0, e, h);
}

function describeRun({ label, record }: ReportRun): string {
  const bits = [label, record.command];
  if (record.createdAt) bits.push(record.createdAt.replace("T", " ").replace(/\.\d+Z$/, " UTC"));
  return bits.join(" · ");
}

const legendSwatch = (i: number): string =>
  `<svg class="sw" viewBox="0 0 26 10" width="26" height="10"><line x1="1" x2="25" y1="5" y2="5" stroke="${RUN_COLORS[i]}" stroke-width="2.5"${RUN_DASH[i] ? ` stroke-dasharray="${RUN_DASH[i]}"` : ""}/></svg>`;

function eventMarkers(runs: readonly ReportRun[]): Marker[] {
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

/** Beyond this many tasks a marker per boundary would hide the loss line (150 permuted tasks): none are drawn. */
const MAX_TASK_MARKERS = 40;

/** The end of each task but the last of continual runs, as markers on the loss chart. */
function taskMarkers(runs: readonly ReportRun[]): Marker[] {
  return runs.flatMap(({ label, record }) => {
    const ends = record.taskEnds ?? [];
    if (ends.length > MAX_TASK_MARKERS) return [];
    const names = record.continual?.tasks ?? [];
    return ends.slice(0, -1).map((step, k) => ({
      x: step,
      color: TASK_BOUNDARY_COLOR,
      tip: `${runs.length > 1 ? `${label} · ` : ""}step ${step} · task ${k + 1}${names[k] ? ` (${names[k]})` : ""} ends, task ${k + 2}${names[k + 1] ? ` (${names[k + 1]})` : ""} begins`,
    }));
  });
}

function card(label: string, value: string): string {
  return `<div class="card"><div class="k">${escapeXml(label)}</div><div class="v">${escapeXml(value)}</div></div>`;
}

const pct = (v: number | undefined): string =>
  v === undefined || !Number.isFinite(v) ? "–" : `${(100 * v).toFixed(2)}%`;
const num = (v: unknown): number => (typeof v === "number" ? v : NaN);

function summaryCards(runs: readonly ReportRun[]): string {
  return runs
    .map(({ label, record: r }, i) => {
      const s = r.summary ?? {};
      const last = r.epochs[r.epochs.length - 1];
      const cards: string[] = [];
      if (r.test?.accuracy !== undefined) cards.push(card("test accuracy", pct(r.test.accuracy)));
      if (r.test) cards.push(card("test loss", formatTick(r.test.loss)));
      if (last?.validation?.accuracy !== undefined)
        cards.push(card("validation accuracy", pct(last.validation.accuracy)));
      if (r.steps.step.length) cards.push(card("steps", Math.round(lastStep(r)).toLocaleString("en-US")));
      if (r.epochs.length) cards.push(card("epochs", String(r.epochs.length)));
      if (Number.isFinite(num(s.wallSeconds)))
        cards.push(card("wall time", `${num(s.wallSeconds).toFixed(1)} s`));
      if (Number.isFinite(num(s.samplesPerSecond)))
        cards.push(card("samples/s", Math.round(num(s.samplesPerSecond)).toLocaleString("en-US")));
      if (r.health) {
        const ev = r.health.events;
        cards.push(
          card(
            "health events",
            `${ev.length}${ev.some((e) => e.repaired) ? ` (${ev.filter((e) => e.repaired).length} repaired)` : ""}`,
          ),
        );
      }
      const status =
        typeof s.failed === "string"
          ? `<p class="bad">Training failed: ${escapeXml(s.failed)}</p>`
          : typeof s.stopReason === "string"
            ? `<p class="note">${escapeXml(s.stopReason)}</p>`
            : "";
      return `<section class="cards">${runs.length > 1 ? `<h2>${legendSwatch(i)}${escapeXml(label)}</h2>` : ""}<div class="row">${cards.join("")}</div>${status}</section>`;
    })
    .join("\n");
}

function figure(title: string, legend: string[], svg: string, note = ""): string {
  return `<figure><figcaption><b>${escapeXml(title)}</b>${legend.length ? `<span class="legend">${legend.join("")}</span>` : ""}</figcaption>${svg}${note ? `<p class="note">${note}</p>` : ""}</figure>`;
}

function legendItem(name: string, color: string, dash?: string): string {
  return `<span><svg class="sw" viewBox="0 0 26 10" width="26" height="10"><line x1="1" x2="25" y1="5" y2="5" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ""}/></svg>${escapeXml(name)}</span>`;
}

function trainingSection(c: Ctx): string {
  const figs: string[] = [];
  const named = (i: number, what: string): string =>
    c.runs.length > 1 ? `${c.runs[i].label} · ${what}` : what;
  // Loss per step (mean with min–max band), with each epoch's validation loss as dots.
  const loss: LineSeries[] = [];
  c.runs.forEach(({ record: r }, i) => {
    loss.push({
      name: named(i, "training loss"),
      color: RUN_COLORS[i],
      dash: RUN_DASH[i],
      x: r.steps.step,
      y: r.steps.loss,
      lo: r.steps.lossMin,
      hi: r.steps.lossMax,
    });
    const val = r.epochs.filter((e) => e.validation);
    if (val.length)
      loss.push({
        name: named(i, "validation loss"),
        color: "#6b4fbb",
        dash: RUN_DASH[i],
        x: val.map((e) => e.steps),
        y: val.map((e) => e.validation!.loss),
        dots: val.length <= 60,
      });
  });
  if (loss.some((s) => s.x.length)) {
    const tasks = taskMarkers(c.runs);
    figs.push(
      figure(
        "Loss",
        loss.map((s) => legendItem(s.name, s.color, s.dash)),
        lineChart({
          title: "loss",
          xLabel: "step",
          series: loss,
          markers: [...tasks, ...c.markers],
          xDomain: c.xDomain,
          maxPoints: c.maxPoints,
          logY: wideRange(loss),
        }),
        "Line: mean loss per bucket of steps; band: the lowest and highest batch loss in it. " +
          (tasks.length
            ? `Grey markers: task boundaries${c.markers.length ? "; coloured ones: health events" : ""}`
            : "Markers: health events") +
          " (hover for details).",
      ),
    );
  }
  const acc: LineSeries[] = [];
  c.runs.forEach(({ record: r }, i) => {
    const tr = r.epochs.filter((e) => e.train.accuracy !== undefined);
    if (tr.length)
      acc.push({
        name: named(i, "training accuracy"),
        color: RUN_COLORS[i],
        dash: RUN_DASH[i],
        x: tr.map((e) => e.steps),
        y: tr.map((e) => e.train.accuracy!),
        dots: tr.length <= 60,
      });
    const va = r.epochs.filter((e) => e.validation?.accuracy !== undefined);
    if (va.length)
      acc.push({
        name: named(i, "validation accuracy"),
        color: "#6b4fbb",
        dash: RUN_DASH[i],
        x: va.map((e) => e.steps),
        y: va.map((e) => e.validation!.accuracy!),
        dots: va.length <= 60,
      });
  });
  if (acc.length)
    figs.push(
      figure(
        "Accuracy per epoch",
        acc.map((s) => legendItem(s.name, s.color, s.dash)),
        lineChart({
          title: "accuracy",
          xLabel: "step",
          series: acc,
          markers: c.markers,
          xDomain: c.xDomain,
          maxPoints: c.maxPoints,
        }),
      ),
    );
  const lr: LineSeries[] = c.runs.map(({ record: r }, i) => ({
    name: named(i, "learning rate"),
    color: RUN_COLORS[i],
    dash: RUN_DASH[i],
    x: r.steps.step,
    y: r.steps.lr,
  }));
  if (lr.some((s) => s.x.length))
    figs.push(
      figure(
        "Learning rate",
        lr.map((s) => legendItem(s.name, s.color, s.dash)),
        lineChart({
          title: "learning rate",
          xLabel: "step",
          series: lr,
          markers: c.markers,
          xDomain: c.xDomain,
          maxPoints: c.maxPoints,
          logY: wideRange(lr, true),
        }),
      ),
    );
  return figs.length ? `<section><h2>Training</h2><div class="grid">${figs.join("")}</div></section>` : "";
}

/**
 * A log axis when the finite positive values span more than two decades. With `typical`, the median
 * stands for the low end: a cosine schedule ending at 0 reads better on a linear axis, step decays over
 * several decades on a log one.
 */
function wideRange(series: readonly LineSeries[], typical = false): boolean {
  const values: number[] = [];
  for (const s of series) for (const v of s.y) if (v > 0 && Number.isFinite(v)) values.push(v);
  if (!values.length) return false;
  values.sort((a, b) => a - b);
  const lo = typical ? values[Math.floor(values.length / 2)] : values[0];
  return values[values.length - 1] / lo > 100;
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

function healthSection(c: Ctx): string {
  const withHealth = c.runs.filter((r) => r.record.health?.points.length);
  if (!withHealth.length) return "";
  const figs: string[] = [];
  for (const spec of HEALTH_CHARTS) {
    const series: LineSeries[] = [];
    c.runs.forEach(({ label, record }, i) => {
      const points = record.health?.points ?? [];
      const names = [...new Set(points.flatMap((p) => p.layers.map((l) => l.layer)))];
      names.forEach((name, k) => {
        const x: number[] = [],
          y: number[] = [];
        // Values measured only at some checks (effective rank) or for some layers: skip the gaps, do not break the line.
        for (const p of points) {
          const v = p.layers.find((q) => q.layer === name)?.[spec.key] as number | undefined;
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
    });
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

function eventsSection(runs: readonly ReportRun[]): string {
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

function configSection(runs: readonly ReportRun[]): string {
  return `<section><h2>Run config</h2>${runs
    .map(
      ({ label, record }) =>
        `<details><summary>${escapeXml(label)}</summary><pre>${escapeXml(JSON.stringify(record.config, null, 2) ?? "")}</pre></details>`,
    )
    .join("")}</section>`;
}
