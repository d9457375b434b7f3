/**
 * `GET /`: the service's live dashboard, one self-contained page (inline CSS, script and SVG; nothing
 * fetched from anywhere but the service's own `/vitals`). The page holds no data of its own, so it is
 * served without a token; its script reads `/vitals` every second, sending the token when the service
 * protects reads (taken from the page's `#token=…` fragment, which browsers never send to a server, or
 * typed into the form that appears on a 401), and keeps the latest readings for its charts.
 */
import { REPORT_CSS } from "../report/style.js";
import { type DashboardClientOptions, dashboardClient } from "./dashboard-client.js";

/** Readings the page keeps by default (10 minutes at one a second). */
export const DASHBOARD_HISTORY = 600;

/** What the page allows and needs (the same as it serves to every browser). */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

const CSS = `
header{display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 16px}
#state{font-size:12px;color:var(--muted)}
#state.live::before{content:"";display:inline-block;width:8px;height:8px;border-radius:50%;background:#1e8449;margin-right:6px}
#state.down{color:#c0392b}
.card .v.ok{color:#1e8449}.card .v.warn{color:#b9770e}.card .v.bad{color:#c0392b}
.bar{height:6px;background:var(--line);border-radius:3px;margin-top:4px;overflow:hidden}
.bar span{display:block;height:100%;width:0;background:#CC79A7;transition:width .4s}
svg .event.drift line{stroke:#d68910}
.grid.two{grid-template-columns:repeat(auto-fit,minmax(420px,1fr))}
td.muted,.muted{color:var(--muted)}
#auth{margin:8px 0;display:flex;gap:8px;align-items:center}
#auth[hidden]{display:none}
svg .event.drift .flag{fill:#d68910}
#auth input{font:inherit;padding:4px 8px;border:1px solid var(--line);border-radius:6px;min-width:260px}
.events td:first-child{font-variant-numeric:tabular-nums;white-space:nowrap}
`;

const cards: [id: string, label: string][] = [
  ["c-rows", "rows learnt"],
  ["c-steps", "optimiser steps"],
  ["c-preq", "prequential"],
  ["c-recent", "recent"],
  ["c-drifts", "drifts"],
  ["c-health", "health"],
  ["c-rps", "rows/s"],
  ["c-fill", "replay fill"],
  ["c-mem", "memory held"],
  ["c-queue", "queued rows"],
];

const chart = (id: string, title: string, note: string, height = 200): string =>
  `<figure><figcaption><h3>${title}</h3><div class="legend" id="lg-${id}"></div></figcaption><svg class="chart" id="ch-${id}" data-height="${height}" role="img" aria-label="${title}"></svg><p class="note">${note}</p></figure>`;

/**
 * The dashboard page.
 *
 * @example
 * import { createServer } from "node:http";
 * createServer((_req, res) => res.end(dashboardPage({ interval: 1000, history: 600 }))).listen(8470);
 */
export function dashboardPage(options: Partial<DashboardClientOptions> = {}): string {
  const o: DashboardClientOptions = { interval: 1000, history: DASHBOARD_HISTORY, ...options };
  const card = ([id, label]: [string, string]) =>
    `<div class="card"><div class="k">${label}</div><div class="v" id="${id}">–</div>${id === "c-fill" ? '<div class="bar"><span id="fill-bar"></span></div>' : ""}</div>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Homeostat · live learner</title><style>${REPORT_CSS}${CSS}</style></head>
<body><main>
<header><h1>Homeostat · live learner</h1><span id="state">connecting…</span></header>
<p class="sub">Read from <code>/vitals</code> every ${o.interval / 1000} s; the charts keep the latest ${o.history} readings (a reading when rows were learnt since the last).</p>
<form id="auth" hidden><label>This service protects its vitals: token <input name="token" type="password" autocomplete="off"></label><button>Use</button></form>
<div class="row">${cards.map(card).join("")}</div>
<h2>Accuracy</h2>
<div class="grid">${chart("score", "Prequential and recent accuracy over rows", 'Test-then-train: each row is predicted before it is learnt. Drifts (amber, <span id="drift-count">0</span> in view) are rises of the error the detector found; hover one for its evidence.', 260)}</div>
<h2>Plasticity and memory</h2>
<div class="grid two">
${chart("dead", "Dead units", "Per hidden layer: the fraction of ReLU units silent on every row of the probe of recent rows.")}
${chart("rank", "Effective rank", "Per hidden layer: how many directions its activations on the probe span (of its units).")}
${chart("rps", "Throughput", "Rows learnt per second between two readings (the service's rate, HTTP and log included).")}
${chart("fill", "Replay memory", "Rows held in the class-balanced reservoir, of its capacity.")}
</div>
<h2>Health events <span class="muted" id="ev-count" style="font-size:13px;font-weight:400"></span></h2>
<table class="events"><thead><tr><th>step</th><th>what</th><th>diagnosis → action</th></tr></thead><tbody id="ev-body"></tbody></table>
<footer>Homeostat's learning service · <code>GET /vitals</code> (JSON) · <code>GET /metrics</code> (Prometheus)</footer>
</main>
<script>(${dashboardClient.toString()})(${JSON.stringify(o)});</script>
</body></html>
`;
}
