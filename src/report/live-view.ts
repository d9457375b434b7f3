/**
 * The live part of a report (`homeostat live`): prequential accuracy over the whole stream and over the
 * recent window, with a vertical marker at each detected drift, then the vital signs over time (replay
 * memory fill and labels known). A regression learner's charts show its loss instead. Two runs share the
 * axes, the second dashed.
 */
import { figure, legendItem } from "./figure.js";
import type { LiveRecord } from "./live-record.js";
import type { ReportRun } from "./record.js";
import { LAYER_COLORS, RUN_COLORS, RUN_DASH } from "./style.js";
import { escapeXml, lineChart, type LineSeries, type Marker } from "./svg.js";

/** Drifts: amber, as the health events that warn are. */
const DRIFT_COLOR = "#d68910";

export function liveSection(runs: readonly ReportRun[]): string {
  const on = runs.flatMap(({ label, record }, i) => (record.live ? [{ label, live: record.live, i }] : []));
  if (!on.length) return "";
  const name = (label: string, what: string): string => (on.length > 1 ? `${label} · ${what}` : what);
  const classify = on.every((r) => r.live.task === "classification");
  const pair = (whole: keyof LiveRecord, recent: keyof LiveRecord, what: string): LineSeries[] =>
    on.flatMap(({ label, live, i }) => [
      {
        name: name(label, what),
        color: RUN_COLORS[i],
        dash: RUN_DASH[i],
        x: live.rows,
        y: live[whole] as number[],
      },
      {
        name: name(label, `recent ${what}`),
        color: LAYER_COLORS[2],
        dash: RUN_DASH[i],
        x: live.rows,
        y: live[recent] as number[],
      },
    ]);
  const markers: Marker[] = on.flatMap(({ label, live }) =>
    live.drifts.map((row) => ({
      x: row,
      color: DRIFT_COLOR,
      tip: `${on.length > 1 ? `${label} · ` : ""}drift detected at labelled row ${row}`,
    })),
  );
  const score = classify
    ? pair("accuracy", "recentAccuracy", "accuracy")
    : pair("loss", "recentLoss", "loss");
  const vitals: LineSeries[] = on.flatMap(({ label, live, i }) => [
    {
      name: name(label, "replay fill"),
      color: LAYER_COLORS[1],
      dash: RUN_DASH[i],
      x: live.rows,
      y: live.replay.map((n) => (live.replayCapacity > 0 ? n / live.replayCapacity : 0)),
    },
  ]);
  const labels: LineSeries[] = on.map(({ label, live, i }) => ({
    name: name(label, "labels known"),
    color: LAYER_COLORS[3],
    dash: RUN_DASH[i],
    x: live.rows,
    y: live.labels,
  }));
  const chart = (title: string, series: LineSeries[], note: string, extra: Record<string, unknown> = {}) =>
    figure(
      title,
      series.map((s) => legendItem(s.name, s.color, s.dash)),
      lineChart({ title, xLabel: "labelled rows", series, ...extra }),
      escapeXml(note),
    );
  const figs = [
    chart(
      classify ? "Prequential accuracy" : "Prequential loss",
      score,
      `Each row scored before it was learnt (test-then-train), over the whole stream and over the recent window; amber markers: ${markers.length} drift${markers.length === 1 ? "" : "s"} detected.`,
      { markers, ...(classify ? { yDomain: [0, 1] } : {}) },
    ),
    chart("Replay memory fill", vitals, "Rows the replay memory holds, as a fraction of its capacity.", {
      yDomain: [0, 1],
    }),
  ];
  if (classify) figs.push(chart("Labels known", labels, "Labels the growing head has an output unit for."));
  const cards = on
    .map(({ label, live }) => {
      const last = live.rows.length - 1;
      const acc = live.accuracy[last];
      const bits = [
        `${count(live.input.rows)} rows (${count(live.input.observed)} learnt, ${count(live.input.predicted)} predicted, ${count(live.input.rejected)} rejected)`,
        classify && Number.isFinite(acc) ? `prequential accuracy ${(100 * acc).toFixed(2)}%` : "",
        `${live.drifts.length} drifts`,
      ].filter(Boolean);
      return `<p class="note">${escapeXml(name(label, bits.join(" · ")))}</p>`;
    })
    .join("");
  return `<section><h2>Live learning</h2>${cards}<div class="grid">${figs.join("")}</div></section>`;
}

const count = (n: number): string => n.toLocaleString("en-US");
