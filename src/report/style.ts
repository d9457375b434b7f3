/** The report's look: colours shared by charts and legends, and the page's CSS (inline, system fonts only). */

/** Colour of each run when one series stands for a run; a second run is also dashed. */
export const RUN_COLORS = ["#0b62d6", "#d1495b"];
export const RUN_DASH = [undefined, "7 4"];
/** Okabe–Ito: distinguishable with every common colour-vision deficiency. */
export const LAYER_COLORS = [
  "#0072B2",
  "#E69F00",
  "#009E73",
  "#CC79A7",
  "#56B4E9",
  "#D55E00",
  "#7a6f00",
  "#000000",
];

const FAILURES = new Set(["nonFinite", "divergence", "explodingGradients", "failed", "nonFiniteData"]);
const REPAIRS = new Set([
  "rollback",
  "learningRateCut",
  "learningRateRaise",
  "gradientClipping",
  "unitReinit",
  "weightRescale",
  "remedyApplied",
  "remedyVerified",
  "replayRaised",
  "replayLowered",
]);
export function eventColor(kind: string): string {
  if (FAILURES.has(kind)) return "#c0392b";
  if (REPAIRS.has(kind)) return "#1e8449";
  return "#d68910";
}

/** Task boundaries of continual runs: a neutral grey, apart from the health events' red, green and amber. */
export const TASK_BOUNDARY_COLOR = "#8a93a3";

export const signedPts = (x: number): string =>
  Number.isFinite(x) ? `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)} pts` : "–";

export const REPORT_CSS = `
:root{--fg:#1d2433;--muted:#5b6474;--line:#e3e7ee;--bg:#f6f7fb;--card:#fff}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1280px;margin:0 auto;padding:20px 24px 40px}
header h1{font-size:22px;margin:4px 0 2px}
.sub{color:var(--muted);margin:0 0 12px}
h2{font-size:17px;margin:22px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line);display:flex;align-items:center;gap:8px}
h3{font-size:14px;margin:4px 0 8px}
.row{display:flex;flex-wrap:wrap;gap:10px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px;min-width:110px}
.card .k{color:var(--muted);font-size:12px}
.card .v{font-size:18px;font-weight:600;font-variant-numeric:tabular-nums}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:14px}
figure,.cl{margin:0;background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 12px}
figcaption{display:flex;flex-wrap:wrap;gap:4px 14px;align-items:baseline;margin-bottom:4px}
.legend{display:flex;flex-wrap:wrap;gap:2px 12px;color:var(--muted);font-size:12px}
.legend span{display:inline-flex;align-items:center;gap:4px}
.sw{vertical-align:middle}
svg.chart{width:100%;height:auto;display:block}
svg .plot{fill:#fcfcfe;stroke:var(--line)}
svg .grid{stroke:#edf0f5;stroke-width:1}
svg .tick{font-size:11px;fill:var(--muted);font-variant-numeric:tabular-nums}
svg .axis{font-size:11.5px;fill:var(--muted)}
svg .empty{font-size:13px;fill:#9aa3b2}
svg .line{fill:none;stroke-width:1.7;stroke-linejoin:round}
svg .band{opacity:.16}
svg .event line{stroke-width:1;stroke-dasharray:3 3;opacity:.75}
svg .event .hit{fill:transparent}
svg .event:hover line{stroke-width:2.2;opacity:1;stroke-dasharray:none}
svg .cell{font-size:11.5px;font-variant-numeric:tabular-nums}
svg .diag{stroke:#1d2433;stroke-width:1.5}
.note{color:var(--muted);font-size:12px;margin:6px 0 0}
.bad{color:#c0392b;font-weight:600}
.ok{color:#1e8449}
table.events{border-collapse:collapse;width:100%;background:var(--card);border:1px solid var(--line);font-size:13px}
.events th,.events td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
.events th{background:#eef1f6;font-weight:600}
.kind{border-left:4px solid;padding-left:6px;white-space:nowrap}
details{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:6px 10px;margin:6px 0}
pre{overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
footer{margin-top:26px;color:var(--muted);font-size:12px}
`;
