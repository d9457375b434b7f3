import assert from "node:assert/strict";
import { test } from "node:test";
import { parseLiveConfig } from "../src/cli/live-config.js";
import { progressLine } from "../src/cli/live-io.js";
import { liveRow, targetColumn } from "../src/cli/live-rows.js";
import { readRowStream, type StreamedRow } from "../src/data/row-stream.js";
import { LiveSampler, parseLiveRecord } from "../src/report/live-record.js";
import { ConfigError, DataError } from "../src/tensor/errors.js";

async function collect(text: string, faults: "throw" | "yield" = "yield"): Promise<StreamedRow[]> {
  const out: StreamedRow[] = [];
  for await (const r of readRowStream([text], "s", "auto", faults)) out.push(r);
  return out;
}

test("readRowStream with faults 'yield': a bad row comes out with its error and the stream goes on", async () => {
  const rows = await collect("a,b,y\n1,2,x\n1,2\n3,4,z\n");
  assert.deepEqual(
    rows.map((r) => [r.row, r.line, r.cells, r.error?.message]),
    [
      [1, 2, ["1", "2", "x"], undefined],
      [2, 3, [], "s:3: line 3 has 2 fields, the header has 3"],
      [3, 4, ["3", "4", "z"], undefined],
    ],
  );
  const json = await collect('{"x":[1],"y":"a"}\nnope\n{"x":[2]}\n{"x":[3],"y":null}\n');
  assert.deepEqual(
    json.map((r) => [r.row, r.line, r.cells, r.label, r.error === undefined]),
    [
      [1, 1, [1], "a", true],
      [2, 2, [], undefined, false],
      [3, 3, [2], null, true],
      [4, 4, [3], null, true],
    ],
  );
  assert.match(json[1].error!.message, /^s:2: not valid JSON/);
  await assert.rejects(collect("a,b\n1,2\n1\n", "throw"), /s:3: line 3 has 1 field, the header has 2/);
});

test("targetColumn: the named target, else label / y / target, else the last column", () => {
  assert.equal(targetColumn(["a", "b", "c"], undefined, "f"), 2);
  assert.equal(targetColumn(["y", "a", "label"], undefined, "f"), 2, "label before y");
  assert.equal(targetColumn(["target", "a", "b"], undefined, "f"), 0);
  assert.equal(targetColumn(["a", "price", "b"], "price", "f"), 1);
  assert.equal(targetColumn(undefined, undefined, "f"), -1);
  assert.throws(
    () => targetColumn(["a", "b"], "c", "f.csv"),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.message, 'target: f.csv has no column "c"; its columns are "a", "b"');
      return true;
    },
  );
  assert.throws(() => targetColumn(undefined, "c", "f.csv"), /f\.csv has no column names/);
});

test("liveRow: named features, a number-like label as a number, an empty label as a request", () => {
  const names = ["a", "label", "b"];
  const at = (cells: unknown[], extra: Partial<StreamedRow> = {}): StreamedRow => ({
    cells,
    row: 4,
    line: 5,
    names,
    ...extra,
  });
  assert.deepEqual(liveRow(at([" 1.5", "2", "-3e1"]), 1, "classification", "f"), {
    x: { a: 1.5, b: -30 },
    y: 2,
  });
  assert.deepEqual(liveRow(at(["1", " cat ", "2"]), 1, "classification", "f"), {
    x: { a: 1, b: 2 },
    y: "cat",
  });
  assert.deepEqual(liveRow(at(["1", "", "2"]), 1, "classification", "f"), { x: { a: 1, b: 2 }, y: null });
  assert.deepEqual(liveRow(at(["1", "0.25", "2"]), 1, "regression", "f"), { x: { a: 1, b: 2 }, y: 0.25 });
  // Positional cells, the label last (-1); a {"x", "y"} row keeps all its cells as features.
  assert.deepEqual(liveRow({ cells: ["1", "2", "3"], row: 1 }, -1, "classification", "f"), {
    x: [1, 2],
    y: 3,
  });
  assert.deepEqual(liveRow({ cells: [1, 2], row: 1, label: null }, -1, "classification", "f"), {
    x: [1, 2],
    y: null,
  });
  assert.deepEqual(liveRow({ cells: [1, 2], row: 1, label: "a" }, -1, "classification", "f"), {
    x: [1, 2],
    y: "a",
  });
  const refused = (r: StreamedRow, task: "classification" | "regression", message: string) =>
    assert.throws(
      () => liveRow(r, 1, task, "f.csv"),
      (e: unknown) => {
        assert.ok(e instanceof DataError);
        assert.equal(e.message, message);
        return true;
      },
    );
  refused(
    at(["NaN", "x", "1"]),
    "classification",
    'f.csv:5: column "a": a missing value (empty, null or NaN); the learner needs every feature',
  );
  refused(at(["1", "x", "two"]), "classification", 'f.csv:5: column "b": expected a number, got "two"');
  refused(
    at(["1", "NaN", "2"]),
    "regression",
    'f.csv:5: column "label": the target is NaN; expected a number',
  );
  refused(
    { cells: ["1"], row: 2, line: 3 },
    "classification",
    "f.csv:3: expected features and a label, got 1 value",
  );
});

test("LiveSampler: samples every K labelled rows; past maxPoints keeps multiples of 2K", () => {
  const sampler = new LiveSampler("classification", 1, 4);
  const vitals = (rows: number) => ({
    task: "classification" as const,
    rows,
    prequential: { accuracy: rows / 100, loss: 1 / rows },
    recent: { accuracy: null, loss: null },
    replay: { size: rows, capacity: 50 },
    labels: ["a", "b"],
    drifts: [{ row: 3 }],
  });
  for (let n = 1; n <= 10; n++) if (sampler.due(n)) sampler.add(vitals(n));
  // 1..5 sampled, thinned to 2, 4 (every 2); then 6, 8, 10 make five again: thinned to 4, 8 (every 4).
  const r = sampler.record();
  assert.equal(r.every, 4);
  assert.deepEqual(r.rows, [4, 8]);
  assert.deepEqual(r.accuracy, [0.04, 0.08]);
  assert.deepEqual(r.loss, [0.25, 0.125]);
  assert.ok(Number.isNaN(r.recentAccuracy[0]));
  assert.deepEqual(r.replay, [4, 8]);
  assert.equal(r.replayCapacity, 50);
  assert.deepEqual(r.labels, [2, 2]);
  assert.deepEqual(r.drifts, [3]);
  // Through JSON (NaN → null) and back.
  const back = parseLiveRecord(JSON.parse(JSON.stringify(r)));
  assert.deepEqual(back, r);
  assert.throws(
    () => parseLiveRecord({ ...JSON.parse(JSON.stringify(r)), loss: [1] }),
    /live\.loss: expected 2 entries \(as many as live\.rows\), got 1/,
  );
});

test("parseLiveConfig: learner keys apart from the command's; paths against the config's folder", () => {
  const c = parseLiveConfig(
    {
      task: "regression",
      hidden: [4],
      input: "rows.csv",
      predictions: "-",
      target: "price",
      checkpoint: { dir: "ck", every: 10 },
      record: { every: 5 },
    },
    "/cfg",
    "/runs/live",
  );
  assert.deepEqual(c, {
    learner: { task: "regression", hidden: [4] },
    input: "/cfg/rows.csv",
    predictions: "-",
    target: "price",
    checkpoint: { dir: "/cfg/ck", every: 10 },
    record: { path: undefined, every: 5 },
    serve: {},
    runDir: "/runs/live",
  });
  assert.throws(
    () => parseLiveConfig({ task: "classification", inptu: "x" }, "/", "/"),
    /learner\.inptu: unknown key; expected one of .*\btask\b.*; or one of the live command's: input, predictions, target, checkpoint, record, serve/,
  );
  assert.throws(
    () => parseLiveConfig({ task: "classification", checkpoint: { every: 0 } }, "/", "/"),
    /checkpoint\.every: expected a number ≥ 1, got 0/,
  );
  assert.throws(
    () => parseLiveConfig({ task: "classification", record: { path: "r.html" } }, "/", "/"),
    /record\.path: expected the path of a JSON file/,
  );
  assert.throws(() => parseLiveConfig({ task: "sorting" }, "/", "/"), /learner\.task/);
});

test("progressLine shows rows, rate, both accuracies, drifts and replay fill", () => {
  const line = progressLine(12345, 678.4, {
    rows: 12000,
    prequential: { accuracy: 0.9125, loss: 0.3 },
    recent: { accuracy: 0.93, loss: 0.2 },
    drifts: [{}, {}],
    replay: { size: 512, capacity: 1000 },
  });
  assert.equal(line, "live  12,345 rows  678 rows/s  acc 91.25%  recent 93.00%  drifts 2  replay 512/1,000");
  const reg = progressLine(1, 1, {
    rows: 1,
    prequential: { accuracy: null, loss: 0.5 },
    recent: { accuracy: null, loss: null },
    drifts: [],
    replay: { size: 0, capacity: 0 },
  });
  assert.match(reg, /acc loss 0\.5000 {2}recent –/);
});
