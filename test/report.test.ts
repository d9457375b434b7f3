import assert from "node:assert/strict";
import { test } from "node:test";
import { envelope } from "../src/report/downsample.js";
import { parseRunRecord } from "../src/report/parse.js";
import { runRecorder, StepRecorder, streamRecorder, stringifyRunRecord } from "../src/report/record.js";
import { renderReport } from "../src/report/render.js";
import { escapeXml, lineChart } from "../src/report/svg.js";
import { NASTY_DIAGNOSIS, syntheticRecord } from "./helpers/records.js";

/** Points in each path's "d" (M and L commands). */
function pathPointCounts(html: string): number[] {
  return [...html.matchAll(/<path class="(?:line|band)" d="([^"]*)"/g)].map(
    (m) => (m[1].match(/[ML]/g) ?? []).length,
  );
}

test("envelope keeps at most maxPoints points and keeps a spike in its band", () => {
  const n = 1_000_000;
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const y = x.map((i) => (i === 123_457 ? 1000 : 1));
  const e = envelope(x, y, 500);
  assert.equal(e.x.length, 500);
  assert.equal(e.x[e.x.length - 1], n);
  assert.equal(Math.max(...e.hi!), 1000);
  assert.equal(Math.min(...e.lo!), 1);
  // Short series pass through untouched.
  assert.deepEqual(envelope([1, 2, 3], [4, 5, 6], 500).y, [4, 5, 6]);
});

test("StepRecorder stays bounded over 10⁶ steps with the right mean, extremes and last step", () => {
  const r = new StepRecorder(1024);
  let sum = 0;
  for (let s = 1; s <= 1_000_000; s++) {
    const loss = s === 500_000 ? 99 : (s % 7) / 7;
    sum += loss;
    r.add(s, loss, s / 1e6);
  }
  const s = r.series();
  assert.ok(s.step.length <= 1024 && s.step.length > 256, `${s.step.length} buckets`);
  assert.equal(s.step[s.step.length - 1], 1_000_000);
  assert.ok(
    s.step.every((v, i) => i === 0 || v > s.step[i - 1]),
    "steps increase",
  );
  assert.equal(Math.max(...s.lossMax!), 99);
  assert.equal(s.lr[s.lr.length - 1], 1);
  // Buckets hold equal numbers of steps except the last: the weighted mean is the overall mean.
  const width = s.step[0];
  const weighted = s.loss.reduce((a, m, i) => a + m * (s.step[i] - (i ? s.step[i - 1] : 0)), 0);
  assert.ok(Math.abs(weighted / 1e6 - sum / 1e6) < 1e-9, `width ${width}`);
});

test("StepRecorder records NaN losses as gaps and survives a checkpoint round trip", () => {
  const rec = runRecorder(4);
  const feed = (o: typeof rec, from: number, to: number): void => {
    for (let s = from; s <= to; s++)
      o.onBatchEnd!({ step: s, loss: s === 3 ? NaN : s, lr: 0.1 } as never, {} as never);
  };
  feed(rec, 1, 4);
  const copy = runRecorder(4);
  copy.setState!(structuredClone(rec.getState!()));
  feed(rec, 5, 10);
  feed(copy, 5, 10);
  assert.deepEqual(copy.steps.series(), rec.steps.series());
  const s = rec.steps.series();
  assert.deepEqual(s.step, [4, 8, 10]);
  assert.deepEqual(s.loss, [(1 + 2 + 4) / 3, 6.5, 9.5]);
  const one = runRecorder(4);
  feed(one, 1, 3);
  assert.ok(Number.isNaN(one.steps.series().loss[2]));
  assert.equal(one.steps.series().lossMin, undefined, "one step per bucket: no band");
});

test("streamRecorder counts steps across tasks' fits, notes where each ended, and survives a checkpoint", () => {
  // Three tasks of 5 steps, each fit numbering its steps 1..5; the loss of global step s is s.
  const feed = (rec: ReturnType<typeof streamRecorder>, tasks: number[]): void => {
    for (const t of tasks) {
      for (let s = 1; s <= 5; s++)
        rec.onBatchEnd!({ step: s, loss: 5 * t + s, lr: t + 1 } as never, {} as never);
      rec.onTrainEnd!({} as never, {} as never);
    }
  };
  const rec = streamRecorder(8);
  feed(rec, [0]);
  const resumed = streamRecorder(8);
  resumed.setState!(structuredClone(rec.getState!()));
  feed(rec, [1, 2]);
  feed(resumed, [1, 2]);
  // 15 steps in at most 8 buckets: full at step 8, so from step 9 each bucket holds two steps.
  const s = rec.steps.series();
  assert.deepEqual(s.step, [2, 4, 6, 8, 10, 12, 14, 15]);
  assert.deepEqual(s.loss, [1.5, 3.5, 5.5, 7.5, 9.5, 11.5, 13.5, 15]);
  assert.deepEqual(s.lossMax, [2, 4, 6, 8, 10, 12, 14, 15]);
  assert.deepEqual(s.lr, [1, 1, 2, 2, 2, 3, 3, 3], "each bucket's last step's rate");
  assert.deepEqual(rec.taskEnds, [5, 10, 15]);
  assert.deepEqual(resumed.steps.series(), s);
  assert.deepEqual(resumed.taskEnds, rec.taskEnds);
});

test("a continual record's loss chart marks each task boundary, with the tasks' names on hover", () => {
  const tasks = ["0/1", "2/3", "4/5"];
  const record = {
    ...syntheticRecord({ steps: 300, events: 0, continualTasks: 3 }),
    taskEnds: [100, 200, 300],
  };
  record.continual!.tasks = tasks;
  const parsed = parseRunRecord(JSON.parse(stringifyRunRecord(record)));
  assert.deepEqual(parsed.taskEnds, [100, 200, 300]);
  const html = renderReport([{ label: "cl", record: parsed }]);
  const loss = html.match(/<b>Loss<\/b>[\s\S]*?<\/figure>/)![0];
  const boundaries = loss.match(/<g class="event">[\s\S]*?<\/g>/g)!;
  assert.equal(boundaries.length, 2, "the end of the last task is the end of the chart");
  assert.ok(boundaries[0].includes("step 100 · task 1 (0/1) ends, task 2 (2/3) begins"));
  // x = 58 + step / 300 × (640 − 58 − 14): at one and two thirds of the plot's width.
  assert.ok(
    boundaries[0].includes('x1="247.3"') && boundaries[1].includes('x1="436.7"'),
    boundaries.join("\n"),
  );
  assert.match(loss, /Grey markers: task boundaries/);
  // 150 permuted tasks: markers would hide the line, so none are drawn.
  const long = { ...record, taskEnds: Array.from({ length: 150 }, (_, i) => 2 * (i + 1)) };
  assert.doesNotMatch(
    renderReport([{ label: "long", record: long }]).match(/<b>Loss<\/b>[\s\S]*?<\/figure>/)![0],
    /<g class="event">/,
  );
  const bad = JSON.parse(stringifyRunRecord(record));
  bad.taskEnds = [100, "x"];
  assert.throws(() => parseRunRecord(bad), /taskEnds\[1\]: expected a number/);
});

test("a report is self-contained HTML with every chart, event markers and the diagnosis on hover", () => {
  const record = syntheticRecord({ steps: 2000, events: 3 });
  const html = renderReport([{ label: "run a", record }]);
  assert.match(html, /^<!doctype html>/);
  assert.doesNotMatch(html, /<script/i, "no scripts");
  assert.doesNotMatch(html, /(src|href)=|url\(|@import|https?:\/\//i, "nothing loaded from anywhere");
  for (const title of [
    "Loss",
    "Accuracy per epoch",
    "Learning rate",
    "Gradient norm per layer",
    "Update ratio per layer",
    "Dead ReLU units",
    "Dormant units",
    "Effective rank per layer",
  ]) {
    assert.ok(html.includes(`<b>${title}</b>`), title);
  }
  assert.ok(!html.includes("<b>Saturated units</b>"), "no chart for a measure that has no values");
  const charts = html.match(/<svg class="chart"/g)!.length;
  const markers = html.match(/<g class="event">/g)!.length;
  assert.equal(markers, 3 * charts, "every event marked on every step chart");
  assert.ok(html.includes("event 1: half of the units of layer 0 never fire"));
  assert.ok(html.includes("Health events") && html.match(/<tr><td>/g)!.length === 3);
});

test("text from records is escaped: a diagnosis cannot inject markup", () => {
  const record = syntheticRecord({ steps: 500, events: 1, label: `<img onerror="x">` });
  const html = renderReport([{ label: `<i>label</i>`, record }]);
  assert.ok(!html.includes(NASTY_DIAGNOSIS));
  assert.ok(html.includes(escapeXml(NASTY_DIAGNOSIS)));
  assert.ok(
    !html.includes("<b>synthetic</b>") && html.includes("&lt;b&gt;synthetic&lt;/b&gt;"),
    "config is escaped",
  );
  assert.ok(!html.includes("<i>label</i>"));
  assert.equal(escapeXml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&#39;");
});

test("a 10⁶-step record renders with every path bounded and a small page", () => {
  const record = syntheticRecord({ steps: 1_000_000, checkEvery: 100, events: 30, spikeAt: 654_321 });
  // What keeps the render bounded is checked here; its time is measured by bench/report-figures.ts.
  const html = renderReport([{ label: "long", record }], { maxPoints: 600 });
  const counts = pathPointCounts(html);
  assert.ok(counts.length > 10);
  // A band is two polylines (top and bottom) over at most 600 points; a line at most 600.
  assert.ok(Math.max(...counts) <= 1200, `largest path ${Math.max(...counts)} points`);
  assert.ok(html.length < 1_500_000, `${html.length} bytes`);
  assert.ok(
    html.includes(">50<") || /y="[\d.]+" text-anchor="end">(100|50)</.test(html),
    "the spike raises the loss axis",
  );
});

test("two records are compared on the same axes", () => {
  const a = syntheticRecord({ steps: 1000, events: 1 });
  const b = syntheticRecord({ steps: 3000, events: 2, seed: 1, scale: 1.5 });
  const html = renderReport([
    { label: "adam", record: a },
    { label: "sgd", record: b },
  ]);
  assert.ok(html.includes("adam vs sgd"));
  assert.ok(html.includes('stroke-dasharray="7 4"'), "the second run is dashed");
  assert.ok(
    html.includes("<title>adam · training loss</title>") &&
      html.includes("<title>sgd · training loss</title>"),
  );
  // Shared x axis: both runs end on the longer run's last step (the 3000 tick is on every step chart).
  const charts = html.match(/<svg class="chart"/g)!.length;
  assert.equal(html.match(/text-anchor="middle">3000</g)!.length, charts);
  assert.equal(html.match(/<g class="event">/g)!.length, 3 * charts);
});

test("continual records get the heatmap, the measures and per-task accuracy over time", () => {
  const record = syntheticRecord({ steps: 100, continualTasks: 5 });
  const html = renderReport([{ label: "cl", record }]);
  assert.ok(html.includes("Continual learning") && html.includes("Accuracy matrix R"));
  assert.equal(html.match(/<svg class="heatmap"[\s\S]*?<\/svg>/)![0].match(/<rect /g)!.length, 25);
  for (const k of ["ACC", "BWT", "FWT", "joint ACC"])
    assert.ok(html.includes(`<div class="k">${k}</div>`), k);
  assert.ok(html.includes("-30.00 pts"));
  assert.ok(html.includes("<b>Accuracy on each task as training moves on</b>"));
});

test("lineChart draws an empty frame when there is no data", () => {
  const svg = lineChart({ title: "t", xLabel: "step", series: [{ name: "s", color: "#000", x: [], y: [] }] });
  assert.ok(svg.includes("no data"));
});

test("run records round-trip through JSON with NaN as null; bad records name the field", () => {
  const record = syntheticRecord({ steps: 50 });
  record.steps.loss[3] = NaN;
  const back = parseRunRecord(JSON.parse(stringifyRunRecord(record)));
  assert.ok(Number.isNaN(back.steps.loss[3]));
  assert.equal(back.steps.loss[4], record.steps.loss[4]);
  assert.ok(Number.isNaN(back.health!.points[0].layers[2].deadFraction));
  const bad = (mutate: (r: any) => void, re: RegExp): void => {
    const r = JSON.parse(stringifyRunRecord(record));
    mutate(r);
    assert.throws(
      () => parseRunRecord(r),
      (e: Error) => re.test(e.message),
    );
  };
  bad((r) => delete r.format, /^format: expected "homeostat-run-record"/);
  bad((r) => (r.version = 9), /^version: expected 1, got number 9/);
  bad((r) => (r.steps.loss[7] = "x"), /^steps\.loss\[7\]: expected a number \(or null\), got "x"/);
  bad((r) => r.steps.lr.pop(), /^steps\.lr: expected 50 entries/);
  bad((r) => (r.health.events[0].diagnosis = 3), /^health\.events\[0\]\.diagnosis: expected a string/);
  bad((r) => (r.epochs = {}), /^epochs: expected an array, got an object/);
  bad(
    (r) =>
      (r.continual = {
        strategy: "naive",
        stream: "split",
        scenario: "class",
        tasks: ["a", "b"],
        R: [[1, 0], [1]],
        ACC: 1,
        BWT: 0,
        FWT: 0,
      }),
    /^continual\.R\[1\]: expected 2 accuracies/,
  );
});

test("online plasticity records get accuracy per task and each layer's balance over the stream, parsed and rendered", () => {
  const tasks = 30;
  const layer = (k: number, t: number) => ({
    layer: String(k),
    deadFraction: t / 100,
    dormantFraction: t / 50,
    effectiveRank: 60 - t,
    meanAbsWeight: 0.1 + t / 1000,
  });
  const record = {
    ...syntheticRecord({ steps: 10 }),
    command: "continual",
    online: {
      strategy: "naive",
      stream: "permuted",
      homeostasis: ["continualBackprop"],
      accuracy: Array.from({ length: tasks }, (_, t) => 0.9 - t / 1000),
      balance: Array.from({ length: tasks + 1 }, (_, t) => [layer(0, t), layer(1, t)]),
    },
  };
  const parsed = parseRunRecord(JSON.parse(stringifyRunRecord(record as never)));
  assert.equal(parsed.online!.balance.length, tasks + 1);
  const html = renderReport([{ label: "cbp", record: parsed }]);
  assert.match(html, /Plasticity over the stream/);
  for (const title of [
    "Online accuracy per task",
    "Dead units",
    "Dormant units",
    "Effective rank",
    "Mean |w|",
  ])
    assert.ok(html.includes(title), title);
  assert.match(html, /continualBackprop/);
  const bad = { ...record, online: { ...record.online, accuracy: [0.5, "x"] } };
  assert.throws(() => parseRunRecord(JSON.parse(JSON.stringify(bad))), /online\.accuracy/);
});
