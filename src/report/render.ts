/**
 * The report: one self-contained HTML page (inline CSS, inline SVG, no script, no font or image from
 * anywhere) for one run record, or two compared on the same axes. Every series is downsampled to a few
 * hundred points, so a record of a million steps gives a page of the same size as a short run.
 */
import { continualSection } from "./continual-view.js";
import { type ChartContext, legendSwatch } from "./figure.js";
import { eventMarkers, eventsSection, healthSection } from "./health-view.js";
import { vitalsSection } from "./vitals-view.js";
import { liveSection } from "./live-view.js";
import { onlineSection } from "./online-view.js";
import type { ReportRun, RunRecord } from "./record.js";
import { REPORT_CSS } from "./style.js";
import { escapeXml, formatTick } from "./svg.js";
import { trainingSection } from "./training-view.js";

export type { ReportRun } from "./record.js";

/** Options of `renderReport`: the page's title and how many points each series keeps. */
export interface ReportOptions {
  title?: string;
  /** Points per series after downsampling (default 600: about one per pixel). */
  maxPoints?: number;
}

/**
 * The report's HTML text.
 *
 * @example
 * import { readFileSync, writeFileSync } from "node:fs";
 * const record = parseRunRecord(JSON.parse(readFileSync("model.record.json", "utf8")));
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
  const ctx: ChartContext = { runs, maxPoints, xDomain, markers };
  const body = [
    `<header><h1>${escapeXml(title)}</h1><p class="sub">${runs.map((r, i) => legendSwatch(i) + escapeXml(describeRun(r))).join("<br>")}</p></header>`,
    summaryCards(runs),
    trainingSection(ctx),
    healthSection(ctx),
    continualSection(runs),
    onlineSection(runs),
    liveSection(runs),
    vitalsSection(runs),
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
function configSection(runs: readonly ReportRun[]): string {
  return `<section><h2>Run config</h2>${runs
    .map(
      ({ label, record }) =>
        `<details><summary>${escapeXml(label)}</summary><pre>${escapeXml(JSON.stringify(record.config, null, 2) ?? "")}</pre></details>`,
    )
    .join("")}</section>`;
}
