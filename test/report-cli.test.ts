import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { parseRunRecord } from "../src/report/parse.js";
import { stringifyRunRecord } from "../src/report/record.js";
import { blobsCsv, blobsRunConfig } from "./helpers/csv.js";
import { syntheticRecord } from "./helpers/records.js";
import { tempDir } from "./helpers/tmp.js";

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const dir = tempDir("report-cli");

function run(args: string[]): {
  code: number;
  stdout: string;
  stderr: string;
  json: Record<string, any> | null;
} {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: "utf8", timeout: 120_000 });
  let json: Record<string, any> | null = null;
  try {
    json = JSON.parse(r.stdout.trim().split("\n").pop()!);
  } catch {
    json = null;
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

function expectRefusal(args: string[], pattern: RegExp): void {
  const r = run(args);
  assert.equal(r.code, 2, `exit code for ${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

const trainConfig = blobsRunConfig;

test("train writes a run record beside the model, and report: in the config writes the HTML report", () => {
  write("blobs.csv", blobsCsv(90));
  write("run-config.json", trainConfig({ report: "out/run.html" }));
  const r = run(["train", "--config", "run-config.json", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json!.record, join(dir, "out", "blobs.record.json"));
  assert.equal(r.json!.report, join(dir, "out", "run.html"));
  const record = parseRunRecord(JSON.parse(readFileSync(r.json!.record, "utf8")));
  assert.equal(record.command, "train");
  assert.equal(record.epochs.length, 8);
  assert.equal(record.steps.step.length, r.json!.steps, "one entry per step for a short run");
  assert.ok(record.steps.loss.every(Number.isFinite) && record.steps.lr.every((v) => v === 0.05));
  assert.ok(record.epochs.every((e) => e.validation?.accuracy !== undefined));
  assert.ok(record.health && record.health.points.length > 0, "health statistics recorded");
  assert.deepEqual((record.config as { report: string }).report, "out/run.html");
  const html = readFileSync(r.json!.report, "utf8");
  assert.ok(html.includes("<b>Loss</b>") && html.includes("<b>Gradient norm per layer</b>"));
});

test("homeostat report renders one record or compares two", () => {
  write("a.json", stringifyRunRecord(syntheticRecord({ steps: 300 })));
  write("b.json", stringifyRunRecord(syntheticRecord({ steps: 500, seed: 2 })));
  const one = run(["report", "a.json", "--json"]);
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.json!.report, join(dir, "a.html"), "default: beside the record");
  const two = run(["report", "a.json", "b.json", "--out", "cmp/ab.html"]);
  assert.equal(two.code, 0, two.stderr);
  assert.match(two.stdout, /report written to cmp\/ab\.html/);
  assert.ok(readFileSync(join(dir, "cmp", "ab.html"), "utf8").includes("a vs b"));
});

test("bad record files are refused with exit 2, naming the file and the field", () => {
  expectRefusal(["report", "missing.json"], /missing\.json: cannot read the run record \(no such file\)/);
  mkdirSync(join(dir, "a-folder.json"), { recursive: true });
  expectRefusal(
    ["report", "a-folder.json"],
    /a-folder\.json: cannot read the run record \(it is a directory\)/,
  );
  write("empty.json", "");
  expectRefusal(["report", "empty.json"], /empty\.json: not a run record: the file is empty/);
  // --out must name an HTML file; a folder used to fail at the write with "cannot write model file".
  write("ok.json", stringifyRunRecord(syntheticRecord({ steps: 20 })));
  mkdirSync(join(dir, "reports"), { recursive: true });
  expectRefusal(
    ["report", "ok.json", "--out", "reports"],
    /--out reports: is a folder; expected the path of an HTML file, such as reports\/report\.html/,
  );
  expectRefusal(
    ["report", "ok.json", "--out", "new-folder/"],
    /--out new-folder\/: is a folder; expected the path of an HTML file/,
  );
  expectRefusal(
    ["report", "ok.json", "--out", "report.pdf"],
    /--out report\.pdf: expected the path of an HTML file \(ending in \.html\)/,
  );
  assert.deepEqual(readdirSync(join(dir, "reports")), [], "nothing written into the folder");
  assert.ok(!existsSync(join(dir, "new-folder")) && !existsSync(join(dir, "report.pdf")));
  write("garbage.json", "{ not json");
  expectRefusal(["report", "garbage.json"], /garbage\.json: not a run record: not valid JSON/);
  write("config-not-record.json", trainConfig());
  expectRefusal(
    ["report", "config-not-record.json"],
    /config-not-record\.json: format: expected "homeostat-run-record".*got nothing/,
  );
  const bad = JSON.parse(stringifyRunRecord(syntheticRecord({ steps: 20 })));
  bad.steps.loss[4] = "high";
  write("bad-field.json", JSON.stringify(bad));
  expectRefusal(
    ["report", "bad-field.json"],
    /bad-field\.json: steps\.loss\[4\]: expected a number \(or null\), got "high"/,
  );
  expectRefusal(["report"], /report needs a run record/);
  expectRefusal(["report", "a.json", "a.json", "a.json"], /unexpected argument/);
  write("bad-report.json", trainConfig({ report: "run.pdf" }));
  expectRefusal(
    ["train", "--config", "bad-report.json"],
    /bad-report\.json: report: expected the path of an HTML file/,
  );
  assert.ok(!existsSync(join(dir, "run.pdf")));
});

test("continual writes a run record with the accuracy matrix and the loss of every step, and its report", () => {
  // No "out": the record goes to runs/<config name>/ under the working directory, not beside the config;
  // the report the config names is relative to the config's folder.
  mkdirSync(join(dir, "cfgs"), { recursive: true });
  write(
    "cfgs/cl.json",
    JSON.stringify({
      report: "cl-report.html",
      continual: {
        stream: "split",
        scenario: "domain",
        tasks: 2,
        strategy: "naive",
        epochs: 1,
        batchSize: 10,
        trainPerTask: 100,
        testPerTask: 50,
        seed: 1,
        compareJoint: false,
      },
    }),
  );
  const r = run(["continual", "--config", "cfgs/cl.json", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.json!.record, join(dir, "runs", "cl", "continual.record.json"));
  assert.deepEqual(readdirSync(join(dir, "cfgs")).sort(), ["cl-report.html", "cl.json"]);
  const record = parseRunRecord(JSON.parse(readFileSync(r.json!.record, "utf8")));
  assert.deepEqual(record.continual!.R, r.json!.continual.R);
  assert.equal(record.continual!.ACC, r.json!.continual.ACC);
  // 100 rows in batches of 10, one epoch: 10 steps a task, counted over the stream.
  assert.deepEqual(
    record.steps.step,
    Array.from({ length: 20 }, (_, i) => i + 1),
  );
  assert.ok(
    record.steps.loss.every((v) => Number.isFinite(v) && v > 0) && record.steps.lr.every((v) => v === 0.001),
  );
  assert.deepEqual(record.taskEnds, [10, 20]);
  const html = readFileSync(join(dir, "cfgs", "cl-report.html"), "utf8");
  assert.ok(html.includes("Accuracy matrix R") && html.includes('<div class="k">BWT</div>'));
  const loss = html.match(/<b>Loss<\/b>[\s\S]*?<\/figure>/)![0];
  assert.equal(loss.match(/<path class="line" d="M[^"]*"/)![0].split("L").length, 20, "a point per step");
  assert.equal(loss.match(/<g class="event">/g)!.length, 1, "one task boundary");
});
