/**
 * The frame every chart of the report shares: the context charts are drawn in (runs, x axis, health
 * markers), a captioned figure, and legend swatches in the runs' colours and dashes.
 */
import type { ReportRun } from "./record.js";
import { RUN_COLORS, RUN_DASH } from "./style.js";
import { escapeXml, type Marker } from "./svg.js";

/** What every chart of a report is drawn against: the same runs, x range and event markers. */
export interface ChartContext {
  runs: readonly ReportRun[];
  maxPoints: number;
  xDomain: [number, number];
  markers: Marker[];
}

/** The swatch of run `i`'s line style, for headers. */
export const legendSwatch = (i: number): string =>
  `<svg class="sw" viewBox="0 0 26 10" width="26" height="10"><line x1="1" x2="25" y1="5" y2="5" stroke="${RUN_COLORS[i]}" stroke-width="2.5"${RUN_DASH[i] ? ` stroke-dasharray="${RUN_DASH[i]}"` : ""}/></svg>`;

export function figure(title: string, legend: string[], svg: string, note = ""): string {
  return `<figure><figcaption><b>${escapeXml(title)}</b>${legend.length ? `<span class="legend">${legend.join("")}</span>` : ""}</figcaption>${svg}${note ? `<p class="note">${note}</p>` : ""}</figure>`;
}

export function legendItem(name: string, color: string, dash?: string): string {
  return `<span><svg class="sw" viewBox="0 0 26 10" width="26" height="10"><line x1="1" x2="25" y1="5" y2="5" stroke="${color}" stroke-width="2.5"${dash ? ` stroke-dasharray="${dash}"` : ""}/></svg>${escapeXml(name)}</span>`;
}
