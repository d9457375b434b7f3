/** Canvas drawings of the playground: decision regions with the data, small line charts, unit cells. */
import type { Points } from "./datasets.js";
import type { UnitHealth } from "./session.js";

/** Class colours: region tint and point fill. */
export const CLASS_COLORS: [number, number, number][] = [
  [11, 98, 214],
  [232, 124, 32],
  [28, 150, 96],
];
export const HEALTH_COLORS: Record<UnitHealth, string> = {
  healthy: "#2e9d5b",
  dormant: "#c9b3e6",
  saturated: "#e08a1e",
  dead: "#3a3f4b",
};

/** Fit a canvas's backing store to its CSS size times the device pixel ratio; returns the context in CSS pixels. */
export function context2d(canvas: HTMLCanvasElement): { g: CanvasRenderingContext2D; w: number; h: number } {
  const dpr = window.devicePixelRatio || 1;
  const w = canvas.clientWidth,
    h = canvas.clientHeight;
  if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(h * dpr);
  }
  const g = canvas.getContext("2d")!;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  return { g, w, h };
}

const raster = document.createElement("canvas");

/** Regions tinted by the predicted class (stronger where the model is sure), then the points on top. */
export function drawBoundary(
  canvas: HTMLCanvasElement,
  probs: { p: Float32Array; classes: number },
  grid: number,
  points: Points,
): void {
  const { g, w, h } = context2d(canvas);
  raster.width = raster.height = grid;
  const rg = raster.getContext("2d")!;
  const img = rg.createImageData(grid, grid);
  const k = probs.classes;
  for (let i = 0; i < grid * grid; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (probs.p[i * k + c] > probs.p[i * k + best]) best = c;
    const conf = Math.max(0, (probs.p[i * k + best] - 1 / k) / (1 - 1 / k));
    const [r, gg, b] = CLASS_COLORS[best];
    const mix = 0.12 + 0.45 * conf;
    img.data[4 * i] = 255 + (r - 255) * mix;
    img.data[4 * i + 1] = 255 + (gg - 255) * mix;
    img.data[4 * i + 2] = 255 + (b - 255) * mix;
    img.data[4 * i + 3] = 255;
  }
  rg.putImageData(img, 0, 0);
  g.imageSmoothingEnabled = true;
  g.imageSmoothingQuality = "high";
  g.drawImage(raster, 0, 0, w, h);
  for (let i = 0; i < points.labels.length; i++) {
    const [r, gg, b] = CLASS_COLORS[points.labels[i]];
    const px = ((points.x[2 * i] + 1) / 2) * w,
      py = ((1 - points.x[2 * i + 1]) / 2) * h;
    g.beginPath();
    g.arc(px, py, 3.2, 0, 2 * Math.PI);
    g.fillStyle = `rgb(${r},${gg},${b})`;
    g.fill();
    g.lineWidth = 1;
    g.strokeStyle = "#fff";
    g.stroke();
  }
}

/** The first `n` inputs of a digits task as an 8-column grid, each with its predicted class (green right, red wrong). */
export function drawDigits(canvas: HTMLCanvasElement, points: Points, probs: Float32Array, n: number): void {
  const { g, w } = context2d(canvas);
  g.fillStyle = "#fff";
  g.fillRect(0, 0, w, canvas.clientHeight);
  const cols = 8,
    cell = w / cols,
    side = 28,
    k = points.classes;
  const img = new ImageData(side, side);
  raster.width = raster.height = side;
  const rg = raster.getContext("2d")!;
  g.imageSmoothingEnabled = false;
  g.font = "600 11px system-ui, sans-serif";
  g.textAlign = "center";
  for (let i = 0; i < Math.min(n, points.labels.length); i++) {
    for (let p = 0; p < side * side; p++) {
      const v = 255 - Math.round(255 * points.x[i * points.dim + p]);
      img.data[4 * p] = img.data[4 * p + 1] = img.data[4 * p + 2] = v;
      img.data[4 * p + 3] = 255;
    }
    rg.putImageData(img, 0, 0);
    const x = (i % cols) * cell,
      y = Math.floor(i / cols) * cell;
    g.drawImage(raster, x + 6, y + 2, cell - 12, cell - 16);
    let best = 0;
    for (let c = 1; c < k; c++) if (probs[i * k + c] > probs[i * k + best]) best = c;
    g.fillStyle = best === points.labels[i] ? "#1e8449" : "#c0392b";
    g.fillText(String(best), x + cell / 2, y + cell - 3);
  }
  g.textAlign = "start";
}

export interface CanvasSeries {
  x: readonly number[];
  y: readonly number[];
  color: string;
  width?: number;
}

/** A small line chart with a few gridlines; `log` for losses. Task switches as vertical marks. */
export function drawLines(
  canvas: HTMLCanvasElement,
  series: readonly CanvasSeries[],
  o: { log?: boolean; y?: [number, number]; marks?: readonly number[]; label: string },
): void {
  const { g, w, h } = context2d(canvas);
  g.clearRect(0, 0, w, h);
  const L = 40,
    R = 8,
    T = 16,
    B = 18;
  let x0 = Infinity,
    x1 = -Infinity,
    y0 = Infinity,
    y1 = -Infinity;
  const tf = (v: number): number => (o.log ? Math.log10(Math.max(v, 1e-6)) : v);
  for (const s of series)
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.y[i])) continue;
      x0 = Math.min(x0, s.x[i]);
      x1 = Math.max(x1, s.x[i]);
      y0 = Math.min(y0, tf(s.y[i]));
      y1 = Math.max(y1, tf(s.y[i]));
    }
  if (o.y) [y0, y1] = [tf(o.y[0]), tf(o.y[1])];
  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#5b6474";
  g.fillText(o.label, L, 11);
  if (!Number.isFinite(x0) || x1 === x0) return;
  if (y1 - y0 < 1e-9) {
    y0 -= 0.5;
    y1 += 0.5;
  }
  if (o.log) {
    y0 = Math.floor(y0);
    y1 = Math.ceil(y1);
  }
  const sx = (v: number): number => L + ((v - x0) / (x1 - x0)) * (w - L - R);
  const sy = (v: number): number => T + (1 - (tf(v) - y0) / (y1 - y0)) * (h - T - B);
  g.strokeStyle = "#e6e9ef";
  g.lineWidth = 1;
  const ticks = o.log
    ? Array.from({ length: y1 - y0 + 1 }, (_, i) => 10 ** (y0 + i))
    : [0, 0.25, 0.5, 0.75, 1].map((f) => (o.y ? o.y[0] + f * (o.y[1] - o.y[0]) : 0));
  for (const t of ticks) {
    const y = sy(t);
    g.beginPath();
    g.moveTo(L, y);
    g.lineTo(w - R, y);
    g.stroke();
    g.fillText(o.log ? logLabel(t) : t.toFixed(2).replace(/\.?0+$/, "") || "0", 4, y + 4);
  }
  g.fillText(`step ${Math.round(x1).toLocaleString("en-US")}`, w - R - 80, h - 4);
  g.strokeStyle = "#9aa3b2";
  g.setLineDash([3, 3]);
  for (const m of o.marks ?? []) {
    const x = sx(m);
    g.beginPath();
    g.moveTo(x, T);
    g.lineTo(x, h - B);
    g.stroke();
  }
  g.setLineDash([]);
  for (const s of series) {
    g.strokeStyle = s.color;
    g.lineWidth = s.width ?? 1.6;
    g.beginPath();
    let pen = false;
    for (let i = 0; i < s.x.length; i++) {
      if (!Number.isFinite(s.y[i])) {
        pen = false;
        continue;
      }
      if (pen) g.lineTo(sx(s.x[i]), sy(s.y[i]));
      else g.moveTo(sx(s.x[i]), sy(s.y[i]));
      pen = true;
    }
    g.stroke();
  }
}

function logLabel(t: number): string {
  const k = Math.round(Math.log10(t));
  return k >= -3 && k <= 3 ? String(10 ** k >= 1 ? 10 ** k : Number((10 ** k).toFixed(-k))) : `1e${k}`;
}
