/**
 * Inline SVG charts as strings: a line chart (linear or log y, bands, event markers with hover text)
 * and a heatmap. No chart library and no script: the report must open anywhere, offline, forever.
 */
import { envelope } from "./downsample.js";

/** Text for HTML and SVG: the five characters that could break out of an element or attribute. */
export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

export interface LineSeries {
  name: string;
  color: string;
  /** SVG stroke-dasharray, e.g. "6 4" for the second run of a comparison. */
  dash?: string;
  x: readonly number[];
  y: readonly number[];
  lo?: readonly number[];
  hi?: readonly number[];
  /** Draw dots at each point (sparse series such as per-epoch metrics). */
  dots?: boolean;
}

export interface Marker {
  x: number;
  color: string;
  /** Hover text (plain words; escaped here). */
  tip: string;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  series: readonly LineSeries[];
  markers?: readonly Marker[];
  logY?: boolean;
  /** Fix the y range (fractions: [0, 1]). */
  yDomain?: [number, number];
  xDomain?: [number, number];
  /** Points per series after downsampling. */
  maxPoints?: number;
  width?: number;
  height?: number;
}

const M = { left: 58, right: 14, top: 10, bottom: 34 };
const r1 = (v: number): string => (Math.round(v * 10) / 10).toString();

/** About `count` round tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  return ticks;
}

export function formatTick(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${+(v / 1e3).toPrecision(3)}k`;
  if (a < 1e-3) return v.toExponential(0);
  return `${+v.toPrecision(3)}`;
}

function extent(values: Iterable<number>, positiveOnly: boolean): [number, number] {
  let lo = Infinity,
    hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (positiveOnly && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

/** Path data for a polyline broken at NaN (each finite run becomes one "M … L …" piece). */
function linePath(
  xs: readonly number[],
  ys: readonly number[],
  sx: (v: number) => number,
  sy: (v: number) => number,
): string {
  let d = "";
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    if (!Number.isFinite(y) || !Number.isFinite(sy(y))) {
      pen = false;
      continue;
    }
    d += `${pen ? "L" : "M"}${r1(sx(xs[i]))} ${r1(sy(y))}`;
    pen = true;
  }
  return d;
}

function bandPath(
  xs: readonly number[],
  lo: readonly number[],
  hi: readonly number[],
  sx: (v: number) => number,
  sy: (v: number) => number,
): string {
  let d = "";
  let run: number[] = [];
  const flush = (): void => {
    if (run.length > 1) {
      d += run.map((i, k) => `${k ? "L" : "M"}${r1(sx(xs[i]))} ${r1(sy(hi[i]))}`).join("");
      d += `${run
        .slice()
        .reverse()
        .map((i) => `L${r1(sx(xs[i]))} ${r1(sy(lo[i]))}`)
        .join("")}Z`;
    }
    run = [];
  };
  for (let i = 0; i < xs.length; i++) {
    if (Number.isFinite(sy(lo[i])) && Number.isFinite(sy(hi[i]))) run.push(i);
    else flush();
  }
  flush();
  return d;
}

/**
 * One line chart as an `<svg>` element (scales with its container; viewBox in pixels).
 *
 * @example
 * lineChart({ title: "loss", xLabel: "step", series: [{ name: "run", color: "#0072B2", x: [1, 2], y: [2.3, 1.1] }] });
 */
export function lineChart(o: LineChartOptions): string {
  const W = o.width ?? 640,
    H = o.height ?? 230;
  const maxPoints = o.maxPoints ?? 600;
  const series = o.series.map((s) => ({ ...s, ...envelope(s.x, s.y, maxPoints, s.lo, s.hi) }));
  const logY = o.logY ?? false;
  const ys = function* (): Generator<number> {
    for (const s of series) {
      yield* s.y;
      if (s.lo) yield* s.lo;
      if (s.hi) yield* s.hi;
    }
  };
  const xs = function* (): Generator<number> {
    for (const s of series) yield* s.x;
  };
  let [x0, x1] = o.xDomain ?? extent(xs(), false);
  let [y0, y1] = o.yDomain ?? extent(ys(), logY);
  const empty = !Number.isFinite(x0) || !Number.isFinite(y0);
  if (empty) [x0, x1, y0, y1] = [0, 1, logY ? 1 : 0, logY ? 10 : 1];
  if (x1 === x0) x1 = x0 + 1;
  if (logY) {
    y0 = 10 ** Math.floor(Math.log10(y0));
    y1 = 10 ** Math.ceil(Math.log10(y1));
    if (y1 === y0) y1 = y0 * 10;
  } else if (!o.yDomain) {
    const pad = (y1 - y0) * 0.05 || Math.abs(y0) * 0.1 || 1;
    const t = niceTicks(y0 - pad, y1 + pad);
    [y0, y1] = [Math.min(t[0], y0), Math.max(t[t.length - 1], y1)];
  }
  const iw = W - M.left - M.right,
    ih = H - M.top - M.bottom;
  const sx = (v: number): number => M.left + ((v - x0) / (x1 - x0)) * iw;
  const sy = logY
    ? (v: number): number =>
        v > 0 ? M.top + ih - ((Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0))) * ih : NaN
    : (v: number): number => M.top + ih - ((v - y0) / (y1 - y0)) * ih;
  const yTicks = logY ? logTicks(y0, y1) : niceTicks(y0, y1);
  const xTicks = niceTicks(x0, x1, 6);
  const parts: string[] = [];
  parts.push(`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeXml(o.title)}">`);
  parts.push(`<rect class="plot" x="${M.left}" y="${M.top}" width="${iw}" height="${ih}"/>`);
  for (const t of yTicks)
    parts.push(
      `<line class="grid" x1="${M.left}" x2="${M.left + iw}" y1="${r1(sy(t))}" y2="${r1(sy(t))}"/><text class="tick" x="${M.left - 6}" y="${r1(sy(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`,
    );
  for (const t of xTicks)
    parts.push(
      `<line class="grid" x1="${r1(sx(t))}" x2="${r1(sx(t))}" y1="${M.top}" y2="${M.top + ih}"/><text class="tick" x="${r1(sx(t))}" y="${M.top + ih + 15}" text-anchor="middle">${formatTick(t)}</text>`,
    );
  parts.push(
    `<text class="axis" x="${M.left + iw / 2}" y="${H - 3}" text-anchor="middle">${escapeXml(o.xLabel)}</text>`,
  );
  if (empty)
    parts.push(
      `<text class="empty" x="${M.left + iw / 2}" y="${M.top + ih / 2}" text-anchor="middle">no data</text>`,
    );
  for (const s of series) {
    if (s.lo && s.hi) {
      const d = bandPath(s.x, s.lo, s.hi, sx, sy);
      if (d) parts.push(`<path class="band" d="${d}" fill="${s.color}"/>`);
    }
  }
  for (const s of series) {
    const d = linePath(s.x, s.y, sx, sy);
    if (d)
      parts.push(
        `<path class="line" d="${d}" stroke="${s.color}"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}><title>${escapeXml(s.name)}</title></path>`,
      );
    if (s.dots) {
      for (let i = 0; i < s.x.length; i++) {
        if (!Number.isFinite(sy(s.y[i]))) continue;
        parts.push(
          `<circle class="dot" cx="${r1(sx(s.x[i]))}" cy="${r1(sy(s.y[i]))}" r="2.6" fill="${s.color}"><title>${escapeXml(`${s.name}: ${formatTick(s.y[i])} at ${formatTick(s.x[i])}`)}</title></circle>`,
        );
      }
    }
  }
  for (const m of o.markers ?? []) {
    if (m.x < x0 || m.x > x1) continue;
    const x = r1(sx(m.x));
    parts.push(
      `<g class="event"><title>${escapeXml(m.tip)}</title><rect class="hit" x="${r1(sx(m.x) - 4)}" y="${M.top}" width="8" height="${ih}"/>` +
        `<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + ih}" stroke="${m.color}"/><path d="M${r1(sx(m.x) - 5)} ${M.top}h10l-5 7z" fill="${m.color}"/></g>`,
    );
  }
  parts.push("</svg>");
  return parts.join("");
}

function logTicks(y0: number, y1: number): number[] {
  const out: number[] = [];
  const a = Math.round(Math.log10(y0)),
    b = Math.round(Math.log10(y1));
  const every = Math.max(1, Math.ceil((b - a) / 6));
  for (let k = a; k <= b; k += every) out.push(10 ** k);
  return out;
}

/** Blue ramp for accuracies in [0, 1]: light (0) to dark (1). */
export function rampColor(v: number): string {
  if (!Number.isFinite(v)) return "#eee";
  const t = Math.max(0, Math.min(1, v));
  const lerp = (a: number, b: number): number => Math.round(a + (b - a) * t);
  return `rgb(${lerp(240, 8)},${lerp(246, 64)},${lerp(252, 129)})`;
}

/**
 * A matrix as coloured cells with their values (percent), row and column labels, and hover text.
 *
 * @example
 * heatmap([[0.9, 0.1], [0.6, 0.95]], ["after 1", "after 2"], ["task 1", "task 2"], "R");
 */
export function heatmap(
  values: readonly (readonly number[])[],
  rowLabels: readonly string[],
  colLabels: readonly string[],
  title: string,
): string {
  const cell = 46,
    left = 78,
    top = 22;
  const W = left + cell * colLabels.length + 4,
    H = top + cell * rowLabels.length + 4;
  const parts = [
    `<svg class="heatmap" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeXml(title)}">`,
  ];
  colLabels.forEach((c, j) =>
    parts.push(
      `<text class="tick" x="${left + cell * j + cell / 2}" y="${top - 7}" text-anchor="middle">${escapeXml(c)}</text>`,
    ),
  );
  rowLabels.forEach((r, i) => {
    parts.push(
      `<text class="tick" x="${left - 6}" y="${top + cell * i + cell / 2 + 4}" text-anchor="end">${escapeXml(r)}</text>`,
    );
    colLabels.forEach((c, j) => {
      const v = values[i]?.[j] ?? NaN;
      const x = left + cell * j,
        y = top + cell * i;
      const text = Number.isFinite(v) ? (100 * v).toFixed(1) : "–";
      parts.push(
        `<g><title>${escapeXml(`${r}, ${c}: ${Number.isFinite(v) ? `${(100 * v).toFixed(2)}%` : "not measured"}`)}</title>` +
          `<rect x="${x}" y="${y}" width="${cell - 2}" height="${cell - 2}" rx="3" fill="${rampColor(v)}"${i === j ? ' class="diag"' : ""}/>` +
          `<text x="${x + (cell - 2) / 2}" y="${y + cell / 2 + 3}" text-anchor="middle" class="cell" fill="${v > 0.55 ? "#fff" : "#123"}">${text}</text></g>`,
      );
    });
  });
  parts.push("</svg>");
  return parts.join("");
}
