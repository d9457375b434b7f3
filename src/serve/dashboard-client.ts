/**
 * The dashboard's script, run in the browser: it polls `/vitals`, keeps the latest `history` readings and
 * redraws the charts (inline SVG) and the health events. dashboard.ts inlines it into the page with
 * `Function.prototype.toString`, so it must not use anything outside its own body (no imports, no
 * module constants); it is type-checked here with the DOM's types all the same.
 */

export interface DashboardClientOptions {
  /** Milliseconds between two readings of /vitals. */
  interval: number;
  /** Readings kept in the page (the charts' window). */
  history: number;
}

/**
 * Start polling and drawing; called by the page's inline script.
 *
 * @example
 * dashboardClient({ interval: 1000, history: 600 }); // in the page: <script>(…)({…})</script>
 */
export function dashboardClient(o: DashboardClientOptions): void {
  type Vitals = {
    task: string;
    rows: number;
    steps: number;
    prequential: { accuracy: number | null; loss: number | null };
    recent: { accuracy: number | null; loss: number | null; window: number };
    drifts: { row: number; evidence: { message: string } }[];
    replay: { size: number; capacity: number };
    health: {
      status: string;
      events: number;
      repairs: number;
      recent: {
        step: number;
        kind: string;
        layer?: string;
        diagnosis: string;
        action: string;
        repaired?: boolean;
      }[];
      failures: { row: number; step: number; diagnosis: string }[];
    };
    balance: {
      layers: { layer: string; deadFraction: number; effectiveRank: number; units: number }[];
    } | null;
    samplesPerSecond: number;
    memoryBytes: number;
    service?: { seq: number; queuedRows: number; logBytes: number };
  };
  type Point = {
    rows: number;
    a: number | null;
    b: number | null;
    rps: number | null;
    fill: number;
    dead: number[];
    rank: number[];
  };
  const COLORS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];
  const NS = "http://www.w3.org/2000/svg";
  const $ = (id: string) => document.getElementById(id) as HTMLElement;
  const points: Point[] = [];
  let lastRead: { t: number; rows: number } | null = null;
  let lastRows = -1;

  // A token comes in the fragment (#token=…, which browsers never send) and is kept for the tab only.
  const fragment = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fragment) {
    sessionStorage.setItem("homeostat-token", fragment);
    history.replaceState(null, "", location.pathname + location.search);
  }
  const form = $("auth") as HTMLFormElement;
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem("homeostat-token", (form.elements.namedItem("token") as HTMLInputElement).value);
    form.hidden = true;
  });

  const fmt = (x: number | null | undefined, digits = 3): string =>
    x === null || x === undefined || !Number.isFinite(x)
      ? "–"
      : Number(x.toPrecision(digits)).toLocaleString("en-US");
  const pct = (x: number | null | undefined): string =>
    x === null || x === undefined || !Number.isFinite(x) ? "–" : `${(100 * x).toFixed(1)}%`;
  const el = (name: string, attrs: Record<string, string | number>, parent?: Element): SVGElement => {
    const e = document.createElementNS(NS, name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    parent?.appendChild(e);
    return e;
  };
  const ticks = (lo: number, hi: number): number[] => {
    const span = hi - lo || 1;
    const step0 = 10 ** Math.floor(Math.log10(span / 4));
    const step = [1, 2, 5, 10].map((m) => m * step0).find((s) => span / s <= 5) ?? step0 * 10;
    const out: number[] = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
      out.push(Number(v.toPrecision(12)));
    return out;
  };

  /** A line chart of `series` over rows, with vertical markers, into the <svg id>. */
  function draw(
    id: string,
    series: { name: string; color: string; values: (number | null)[]; dash?: string }[],
    y: { min?: number; max?: number; format: (v: number) => string },
    markers: { row: number; title: string; cls: string }[] = [],
  ): void {
    const svg = $(id) as unknown as SVGSVGElement;
    // Drawn at the size it is shown, so that its text stays the page's size.
    const W = Math.max(320, Math.round(svg.getBoundingClientRect().width) || 560);
    const H = Number(svg.dataset.height ?? 200);
    const L = 48;
    const R = 22;
    const T = 10;
    const B = 26;
    svg.replaceChildren();
    svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
    el("rect", { class: "plot", x: L, y: T, width: W - L - R, height: H - T - B }, svg);
    const xs = points.map((p) => p.rows);
    const all = series.flatMap((s) => s.values).filter((v): v is number => v !== null && Number.isFinite(v));
    if (xs.length < 2 || all.length === 0) {
      el("text", { class: "empty", x: W / 2, y: H / 2, "text-anchor": "middle" }, svg).textContent =
        "waiting for rows…";
      return;
    }
    const x0 = xs[0];
    const x1 = xs[xs.length - 1] > x0 ? xs[xs.length - 1] : x0 + 1;
    let lo = y.min ?? Math.min(...all);
    let hi = y.max ?? Math.max(...all);
    if (hi - lo < 1e-9) [lo, hi] = [lo - 0.5, hi + 0.5];
    const px = (r: number) => L + ((r - x0) / (x1 - x0)) * (W - L - R);
    const py = (v: number) => T + (1 - (v - lo) / (hi - lo)) * (H - T - B);
    for (const t of ticks(lo, hi)) {
      el("line", { class: "grid", x1: L, x2: W - R, y1: py(t), y2: py(t) }, svg);
      el("text", { class: "tick", x: L - 5, y: py(t) + 4, "text-anchor": "end" }, svg).textContent =
        y.format(t);
    }
    for (const t of ticks(x0, x1)) {
      if (t < x0) continue;
      el("text", { class: "tick", x: px(t), y: H - 8, "text-anchor": "middle" }, svg).textContent = fmt(t, 4);
    }
    for (const m of markers.filter((m) => m.row >= x0 && m.row <= x1)) {
      const g = el("g", { class: `event ${m.cls}` }, svg);
      el("title", {}, g).textContent = m.title;
      el("line", { x1: px(m.row), x2: px(m.row), y1: T, y2: H - B }, g);
      el("path", { class: "flag", d: `M${px(m.row) - 5},${T}h10l-5,7z` }, g);
      el("rect", { class: "hit", x: px(m.row) - 4, y: T, width: 8, height: H - T - B }, g);
    }
    for (const s of series) {
      let d = "";
      s.values.forEach((v, i) => {
        if (v === null || !Number.isFinite(v)) return;
        d += `${d === "" || s.values[i - 1] === null ? "M" : "L"}${px(xs[i]).toFixed(1)},${py(v).toFixed(1)}`;
      });
      el(
        "path",
        { class: "line", d, stroke: s.color, ...(s.dash ? { "stroke-dasharray": s.dash } : {}) },
        svg,
      );
    }
  }

  function legend(id: string, items: { name: string; color: string; dash?: string }[]): void {
    $(id).innerHTML = items
      .map(
        (i) =>
          `<span><svg width="18" height="8" class="sw"><line x1="0" x2="18" y1="4" y2="4" stroke="${i.color}" stroke-width="2" ${i.dash ? `stroke-dasharray="${i.dash}"` : ""}/></svg>${i.name}</span>`,
      )
      .join("");
  }

  function card(id: string, value: string, cls = ""): void {
    const v = $(id);
    v.textContent = value;
    v.className = `v ${cls}`;
  }

  function update(v: Vitals): void {
    const now = performance.now();
    const cls = v.task === "classification";
    const rps = lastRead && now > lastRead.t ? ((v.rows - lastRead.rows) * 1000) / (now - lastRead.t) : null;
    lastRead = { t: now, rows: v.rows };
    const layers = v.balance?.layers ?? [];
    if (v.rows !== lastRows) {
      lastRows = v.rows;
      points.push({
        rows: v.rows,
        a: cls ? v.prequential.accuracy : v.prequential.loss,
        b: cls ? v.recent.accuracy : v.recent.loss,
        rps,
        fill: v.replay.capacity > 0 ? v.replay.size / v.replay.capacity : 0,
        dead: layers.map((l) => l.deadFraction),
        rank: layers.map((l) => l.effectiveRank),
      });
      if (points.length > o.history) points.splice(0, points.length - o.history);
    }
    document.body.dataset.rows = String(v.rows);
    card("c-rows", fmt(v.rows, 9));
    card("c-steps", fmt(v.steps, 9));
    card("c-preq", cls ? pct(v.prequential.accuracy) : fmt(v.prequential.loss));
    card("c-recent", cls ? pct(v.recent.accuracy) : fmt(v.recent.loss));
    card("c-drifts", String(v.drifts.length), v.drifts.length > 0 ? "warn" : "");
    card(
      "c-health",
      v.health.status,
      v.health.status === "healthy" ? "ok" : v.health.status === "restored" ? "bad" : "warn",
    );
    card("c-rps", rps === null ? "–" : fmt(Math.max(0, rps), 3));
    card("c-fill", `${pct(v.replay.capacity > 0 ? v.replay.size / v.replay.capacity : 0)}`);
    card("c-mem", `${fmt(v.memoryBytes / 2 ** 20, 3)} MiB`);
    card("c-queue", v.service ? fmt(v.service.queuedRows, 6) : "–");
    $("fill-bar").style.width = pct(v.replay.capacity > 0 ? v.replay.size / v.replay.capacity : 0);
    const drifts = v.drifts.map((d) => ({
      row: d.row,
      title: `drift at row ${d.row}: ${d.evidence.message}`,
      cls: "drift",
    }));
    const name = cls ? "accuracy" : "loss";
    const scoreSeries = [
      { name: `prequential ${name}`, color: "#0b62d6", values: points.map((p) => p.a) },
      {
        name: `recent ${name} (last ${v.recent.window} rows)`,
        color: "#d1495b",
        values: points.map((p) => p.b),
      },
    ];
    draw(
      "ch-score",
      scoreSeries,
      cls ? { min: 0, max: 1, format: (t) => `${Math.round(100 * t)}%` } : { format: (t) => fmt(t) },
      drifts,
    );
    legend("lg-score", [...scoreSeries, { name: "drift", color: "#d68910", dash: "3 3" }]);
    const layerSeries = (key: "dead" | "rank") =>
      layers.map((l, k) => ({
        name: `layer ${l.layer}`,
        color: COLORS[k % COLORS.length],
        values: points.map((p) => p[key][k] ?? null),
      }));
    draw("ch-dead", layerSeries("dead"), { min: 0, max: 1, format: (t) => `${Math.round(100 * t)}%` });
    legend("lg-dead", layerSeries("dead"));
    draw("ch-rank", layerSeries("rank"), { min: 0, format: (t) => fmt(t) });
    legend("lg-rank", layerSeries("rank"));
    draw("ch-rps", [{ name: "rows/s", color: "#009E73", values: points.map((p) => p.rps) }], {
      min: 0,
      format: (t) => fmt(t),
    });
    draw("ch-fill", [{ name: "replay fill", color: "#CC79A7", values: points.map((p) => p.fill) }], {
      min: 0,
      max: 1,
      format: (t) => `${Math.round(100 * t)}%`,
    });
    $("drift-count").textContent = String(
      drifts.filter((d) => points.length > 0 && d.row >= points[0].rows).length,
    );
    events(v);
  }

  function events(v: Vitals): void {
    const rows = [
      ...v.health.failures.map((f) => ({
        step: f.step,
        kind: "failed",
        text: `${f.diagnosis} — went back to the last healthy state`,
        repaired: false,
      })),
      ...[...v.health.recent].reverse().map((e) => ({
        step: e.step,
        kind: e.kind + (e.layer !== undefined ? ` · layer ${e.layer}` : ""),
        text: `${e.diagnosis} → ${e.action}`,
        repaired: e.repaired === true,
      })),
    ].sort((a, b) => b.step - a.step);
    $("ev-count").textContent =
      `${v.health.events} found, ${v.health.repairs} repaired${v.health.events > v.health.recent.length ? ` · the latest ${v.health.recent.length} shown` : ""}`;
    const body = $("ev-body");
    body.replaceChildren();
    if (rows.length === 0)
      body.innerHTML = `<tr><td colspan="3" class="muted">Nothing found: the health monitor checks every 100 steps.</td></tr>`;
    for (const r of rows) {
      const tr = document.createElement("tr");
      const color = /fail|nonFinite|exploding|divergence/.test(r.kind)
        ? "#c0392b"
        : r.repaired
          ? "#1e8449"
          : "#d68910";
      tr.innerHTML = `<td>${r.step}</td><td><span class="kind" style="border-color:${color}"></span></td><td></td>`;
      (tr.children[1].firstChild as HTMLElement).textContent = r.kind;
      tr.children[2].textContent = r.text + (r.repaired ? " [repaired]" : "");
      body.appendChild(tr);
    }
  }

  async function poll(): Promise<void> {
    try {
      const token = sessionStorage.getItem("homeostat-token");
      const res = await fetch("vitals", {
        cache: "no-store",
        headers: token ? { Authorization: `Bearer ${token}` } : {},
      });
      if (res.status === 401) {
        form.hidden = false;
        $("state").textContent = "needs the token";
      } else if (!res.ok) $("state").textContent = `GET /vitals: ${res.status}`;
      else {
        update((await res.json()) as Vitals);
        $("state").textContent = `live · read ${new Date().toLocaleTimeString()}`;
        $("state").className = "live";
      }
    } catch {
      $("state").textContent = "the service does not answer; retrying";
      $("state").className = "down";
    }
    setTimeout(poll, o.interval);
  }
  void poll();
}
