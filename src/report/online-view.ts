/**
 * The plasticity part of a report: online accuracy task by task, and each hidden layer's balance (dead
 * and dormant units, effective rank, mean |w|) before each task. Two runs — say plain backprop and a
 * regulator — share the axes, the second dashed.
 */
import type { ReportRun } from "./record.js";
import { LAYER_COLORS, RUN_COLORS, RUN_DASH } from "./style.js";
import { escapeXml, lineChart, type LineSeries } from "./svg.js";

type Measure = "deadFraction" | "dormantFraction" | "effectiveRank" | "meanAbsWeight";

export function onlineSection(runs: readonly ReportRun[]): string {
  const on = runs.map((r, i) => ({ ...r, i })).filter((r) => r.record.online);
  if (!on.length) return "";
  const name = (label: string, what: string): string => (on.length > 1 ? `${label} · ${what}` : what);
  const accuracy: LineSeries[] = on.map(({ label, record, i }) => {
    const a = record.online!.accuracy;
    const regs = record.online!.homeostasis.join(" + ") || "plain backprop";
    return {
      name: name(label, regs),
      color: RUN_COLORS[i],
      dash: RUN_DASH[i],
      x: a.map((_, t) => t + 1),
      y: a,
    };
  });
  const perLayer = (m: Measure): LineSeries[] =>
    on.flatMap(({ label, record, i }) => {
      const b = record.online!.balance;
      return (b[0] ?? []).map((l, k) => ({
        name: name(label, `layer ${l.layer}`),
        color: LAYER_COLORS[k % LAYER_COLORS.length],
        dash: RUN_DASH[i],
        x: b.map((_, t) => t + 1),
        y: b.map((layers) => layers[k]?.[m] ?? NaN),
      }));
    });
  const legend = (series: LineSeries[]): string =>
    series
      .map(
        (s) =>
          `<span><svg class="sw" viewBox="0 0 26 10" width="26" height="10"><line x1="1" x2="25" y1="5" y2="5" stroke="${s.color}" stroke-width="2.5"${s.dash ? ` stroke-dasharray="${s.dash}"` : ""}/></svg>${escapeXml(s.name)}</span>`,
      )
      .join("");
  const chart = (
    title: string,
    note: string,
    series: LineSeries[],
    extra: { yDomain?: [number, number] } = {},
  ): string =>
    `<figure><figcaption><b>${escapeXml(title)}</b><span class="legend">${legend(series)}</span></figcaption>` +
    lineChart({ title, xLabel: "task", series, ...extra }) +
    `<p class="note">${escapeXml(note)}</p></figure>`;
  return (
    `<section><h2>Plasticity over the stream</h2><div class="grid">` +
    chart(
      "Online accuracy per task",
      "Accuracy on each batch before the network learned from it, over the task's one pass: a falling line is lost plasticity.",
      accuracy,
      { yDomain: [0, 1] },
    ) +
    chart(
      "Dead units",
      "Fraction of each hidden layer never active on the probe rows, before each task.",
      perLayer("deadFraction"),
      { yDomain: [0, 1] },
    ) +
    chart(
      "Dormant units (τ = 0.025)",
      "Units whose mean |activation| is under 2.5% of the layer's average (Sokar et al. 2023).",
      perLayer("dormantFraction"),
      { yDomain: [0, 1] },
    ) +
    chart(
      "Effective rank",
      "exp(entropy of the normalised singular values) of each hidden representation: how many directions it still uses.",
      perLayer("effectiveRank"),
    ) +
    chart(
      "Mean |w|",
      "Mean absolute incoming weight of each hidden layer: growth here often comes with lost plasticity.",
      perLayer("meanAbsWeight"),
    ) +
    `</div></section>`
  );
}
