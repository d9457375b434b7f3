/**
 * The training part of a report: loss per step (with its min–max band, validation loss and task
 * boundaries), accuracy per epoch, and the learning rate, each run on the same axes.
 */
import { type ChartContext, figure, legendItem } from "./figure.js";
import type { ReportRun } from "./record.js";
import { RUN_COLORS, RUN_DASH, TASK_BOUNDARY_COLOR } from "./style.js";
import { lineChart, type LineSeries, type Marker } from "./svg.js";

export function trainingSection(c: ChartContext): string {
  const figs = [lossFigure(c), accuracyFigure(c), learningRateFigure(c)].filter(Boolean);
  return figs.length ? `<section><h2>Training</h2><div class="grid">${figs.join("")}</div></section>` : "";
}

/** A series' name, prefixed with its run's label when two runs are compared. */
const named = (c: ChartContext, i: number, what: string): string =>
  c.runs.length > 1 ? `${c.runs[i].label} · ${what}` : what;

/** Loss per step (mean with min–max band), with each epoch's validation loss as dots. */
function lossFigure(c: ChartContext): string {
  const loss: LineSeries[] = [];
  c.runs.forEach(({ record: r }, i) => {
    loss.push({
      name: named(c, i, "training loss"),
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
        name: named(c, i, "validation loss"),
        color: "#6b4fbb",
        dash: RUN_DASH[i],
        x: val.map((e) => e.steps),
        y: val.map((e) => e.validation!.loss),
        dots: val.length <= 60,
      });
  });
  if (!loss.some((s) => s.x.length)) return "";
  const tasks = taskMarkers(c.runs);
  return figure(
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
  );
}

/** Training and validation accuracy per epoch, where the records have them. */
function accuracyFigure(c: ChartContext): string {
  const acc: LineSeries[] = [];
  c.runs.forEach(({ record: r }, i) => {
    const tr = r.epochs.filter((e) => e.train.accuracy !== undefined);
    if (tr.length)
      acc.push({
        name: named(c, i, "training accuracy"),
        color: RUN_COLORS[i],
        dash: RUN_DASH[i],
        x: tr.map((e) => e.steps),
        y: tr.map((e) => e.train.accuracy!),
        dots: tr.length <= 60,
      });
    const va = r.epochs.filter((e) => e.validation?.accuracy !== undefined);
    if (va.length)
      acc.push({
        name: named(c, i, "validation accuracy"),
        color: "#6b4fbb",
        dash: RUN_DASH[i],
        x: va.map((e) => e.steps),
        y: va.map((e) => e.validation!.accuracy!),
        dots: va.length <= 60,
      });
  });
  if (!acc.length) return "";
  return figure(
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
  );
}

function learningRateFigure(c: ChartContext): string {
  const lr: LineSeries[] = c.runs.map(({ record: r }, i) => ({
    name: named(c, i, "learning rate"),
    color: RUN_COLORS[i],
    dash: RUN_DASH[i],
    x: r.steps.step,
    y: r.steps.lr,
  }));
  if (!lr.some((s) => s.x.length)) return "";
  return figure(
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
