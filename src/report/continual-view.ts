/**
 * The continual-learning part of a report: the task × task accuracy matrix as a heatmap, the measures
 * (ACC, BWT, FWT, forgetting), and each task's accuracy as later tasks are trained.
 */
import type { ReportRun } from "./record.js";
import { LAYER_COLORS, RUN_DASH, signedPts } from "./style.js";
import { escapeXml, heatmap, lineChart, type LineSeries } from "./svg.js";

export function continualSection(runs: readonly ReportRun[]): string {
  const cl = runs.filter((r) => r.record.continual);
  if (!cl.length) return "";
  const blocks = cl.map(({ label, record }) => {
    const c = record.continual!;
    const t = c.tasks.length;
    const rows = c.R.map((_, i) => `after ${i + 1}`);
    const cols = c.tasks.map((_, j) => `task ${j + 1}`);
    const measures = [
      ["ACC", `${(100 * c.ACC).toFixed(2)}%`, "mean final accuracy over all tasks"],
      ["BWT", signedPts(c.BWT), "backward transfer: negative is forgetting"],
      [
        "FWT",
        signedPts(c.FWT),
        "forward transfer: accuracy on a task before training it, over the untrained model",
      ],
    ];
    if (c.forgetting)
      measures.push([
        "forgetting",
        signedPts(c.forgetting.maxOverEarlier),
        "Chaudhry et al. 2018: best accuracy ever minus final, mean over tasks",
      ]);
    if (c.jointACC !== null && c.jointACC !== undefined)
      measures.push([
        "joint ACC",
        `${(100 * c.jointACC).toFixed(2)}%`,
        "a model trained on all tasks at once (upper bound)",
      ]);
    return (
      `<div class="cl"><h3>${escapeXml(label)} · ${escapeXml(c.strategy)} on ${escapeXml(c.stream)} (${escapeXml(c.scenario)}-incremental), ${t} tasks</h3>` +
      `<div class="row">${measures.map(([k, v, tip]) => `<div class="card" title="${escapeXml(tip)}"><div class="k">${k}</div><div class="v">${escapeXml(v)}</div></div>`).join("")}</div>` +
      `<figure><figcaption><b>Accuracy matrix R</b><span class="legend">row: after training task i · column: accuracy on task j (%)</span></figcaption>${heatmap(c.R, rows, cols, "accuracy matrix")}</figure>` +
      `<p class="note">Tasks: ${c.tasks.map((n, j) => `${j + 1} = ${escapeXml(n)}`).join(", ")}</p></div>`
    );
  });
  // Each task's accuracy after each training stage, all runs on the same axes.
  const series: LineSeries[] = [];
  runs.forEach(({ label, record }, i) => {
    const c = record.continual;
    if (!c) return;
    c.tasks.forEach((_, j) => {
      const x: number[] = [],
        y: number[] = [];
      c.R.forEach((row, s) => {
        x.push(s + 1);
        y.push(s >= j ? row[j] : NaN);
      });
      series.push({
        name: `${runs.length > 1 ? `${label} · ` : ""}task ${j + 1}`,
        color: LAYER_COLORS[j % LAYER_COLORS.length],
        dash: RUN_DASH[i],
        x,
        y,
        dots: true,
      });
    });
  });
  const legend = series.map(
    (s) =>
      `<span><svg class="sw" viewBox="0 0 26 10" width="26" height="10"><line x1="1" x2="25" y1="5" y2="5" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/></svg>${escapeXml(s.name)}</span>`,
  );
  const overTime =
    `<figure><figcaption><b>Accuracy on each task as training moves on</b><span class="legend">${legend.join("")}</span></figcaption>` +
    lineChart({ title: "per-task accuracy", xLabel: "after training task", series, yDomain: [0, 1] }) +
    `<p class="note">A falling line is forgetting; a task's first point is its accuracy just after it was trained.</p></figure>`;
  return `<section><h2>Continual learning</h2><div class="grid">${blocks.join("")}${overTime}</div></section>`;
}
