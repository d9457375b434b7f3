import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeContainer, encodeContainer } from "../src/io/container.js";
import { LEARNER_FILE, loadLearner, openLearner } from "../src/io/learner-file.js";
import { Learner, type LearnerConfig } from "../src/learner/learner.js";
import { Rng } from "../src/tensor/rng.js";
import { tempDir } from "./helpers/tmp.js";
import { useBackend } from "../src/backend/index.js";

// A new learner in the CLI runs where the library runs in Node by default (wasm where it loads, one
// thread); the learners compared with its answers here do too.
useBackend("auto", { threads: 1 });

// Issue 17, the command line: `homeostat live` answers each row as the library's Learner would.
const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const dir = tempDir("cli-live");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lines: any[];
}

function run(args: string[], input?: string): Run {
  const r = spawnSync(process.execPath, [BIN, "live", ...args], {
    cwd: dir,
    encoding: "utf8",
    input,
    timeout: 60_000,
  });
  const lines = r.stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, lines };
}

const write = (name: string, text: string): string => {
  writeFileSync(join(dir, name), text);
  return name;
};

const CONFIG: LearnerConfig = { task: "classification", hidden: [8], seed: 3, window: 50 };
write("live.json", JSON.stringify(CONFIG));

/** Two features in [0, 1) with 4 decimals (so the CSV text is the number), label by which is larger. */
function rows(n: number, seed: number): { x: number[]; y: string }[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const x = [Number(rng.next().toFixed(4)), Number(rng.next().toFixed(4))];
    return { x, y: x[0] > x[1] ? "up" : "down" };
  });
}

/** What the library's Learner answers for the same rows: observe labelled rows, predict the others. */
function reference(input: { x: number[]; y: string | number | null }[], cfg: LearnerConfig = CONFIG) {
  const learner = Learner.create(cfg);
  const lines = input.map(({ x, y }, i) => {
    const p = y === null ? learner.predict(x) : learner.observe(x, y);
    return "value" in p
      ? { row: i + 1, value: p.value }
      : { row: i + 1, label: p.label, probability: p.probability };
  });
  return { learner, lines };
}

const csv = (data: { x: number[]; y: string | null }[]): string =>
  `a,b,label\n${data.map(({ x, y }) => `${x.join(",")},${y ?? ""}`).join("\n")}\n`;

test("a CSV stream: one line per row in order, equal to the Learner's answers; bad rows refused by line", () => {
  const data: { x: number[]; y: string | null }[] = rows(60, 1);
  data[29] = { ...data[29], y: null }; // a prediction request
  const text = csv(data).split("\n");
  // Data row r is on line r + 1. Break rows 20 (width), 25 (NaN) and 40 (text); the learner must skip them.
  text[20] = "0.5,0.5,0.1,up";
  text[25] = "NaN,0.2,down";
  text[40] = "0.3,high,up";
  write("rows.csv", text.join("\n"));
  const r = run(["--config", "live.json", "--input", "rows.csv"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, 60);
  const bad = new Map([
    [20, /^rows\.csv:21: line 21 has 4 fields, the header has 3$/],
    [25, /^rows\.csv:26: column "a": a missing value/],
    [40, /^rows\.csv:41: column "b": expected a number, got "high"$/],
  ]);
  const kept = data.map((d, i) => ({ ...d, row: i + 1 })).filter((d) => !bad.has(d.row));
  const ref = reference(kept);
  r.lines.forEach((line, i) => {
    assert.equal(line.row, i + 1);
    if (bad.has(line.row)) assert.match(line.error, bad.get(line.row)!);
  });
  const answered = r.lines.filter((l) => !bad.has(l.row));
  assert.deepEqual(
    answered,
    ref.lines.map((l, i) => ({ ...l, row: kept[i].row })),
  );
  // The request on row 30 was predicted with a label known by then, and not learnt from.
  assert.ok(typeof r.lines[29].label === "string");
  assert.equal(ref.learner.vitals().rows, 60 - 3 - 1);
});

test("JSON Lines from standard input, --json summary last; a headerless CSV's label is its last value", () => {
  const data: { x: number[]; y: string | null }[] = rows(40, 2);
  data[9] = { ...data[9], y: null };
  const jsonl = `${data.map(({ x, y }) => JSON.stringify(y === null ? { x } : { x, y })).join("\n")}\n{"x":[1,2,3],"y":"up"}\n`;
  const r = run(["-c", "live.json", "--json"], jsonl);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, 42);
  const ref = reference(data);
  assert.deepEqual(r.lines.slice(0, 40), ref.lines);
  assert.deepEqual(r.lines[40], { row: 41, error: "standard input:41: x: expected 2 values, got 3" });
  const { live } = r.lines[41];
  const v = ref.learner.vitals();
  assert.equal(live.rows, 41);
  assert.equal(live.observed, 39);
  assert.equal(live.predicted, 1);
  assert.equal(live.rejected, 1);
  assert.equal(live.steps, v.steps);
  assert.deepEqual(live.prequential, { accuracy: v.prequential.accuracy, loss: v.prequential.loss });
  assert.deepEqual(live.drifts, v.drifts);
  assert.deepEqual(live.vitals.replay, v.replay);
  assert.equal(r.stderr, "", "--json: no human line");
  // A headerless CSV: the label is the last value, and a label that reads as a number is one (1, not "1"),
  // as JSON's is. (Its first row must be all numbers, or it is taken for a header.)
  const numbered = data.map(({ x, y }) => ({ x, y: y === null ? null : y === "up" ? 1 : 0 }));
  const plain = numbered.map(({ x, y }) => `${x.join(",")},${y ?? ""}`).join("\n");
  const h = run(["-c", "live.json", "-i", "-", "--quiet"], plain);
  assert.equal(h.code, 0, h.stderr);
  assert.deepEqual(h.lines, reference(numbered).lines);
  assert.ok(h.lines.some((l) => l.label === 1));
});

test("regression on named JSON rows, predictions to a file, the record drawn by homeostat report", () => {
  write(
    "reg.json",
    JSON.stringify({ task: "regression", hidden: [4], seed: 5, target: "price", record: { every: 10 } }),
  );
  const rng = new Rng(9);
  const data = Array.from({ length: 30 }, () => {
    const a = Number(rng.next().toFixed(3));
    const b = Number(rng.next().toFixed(3));
    return { b, a, price: 2 * a - b }; // keys out of the learner's order on purpose: matched by name
  });
  write("reg.jsonl", data.map((d) => JSON.stringify(d)).join("\n"));
  const r = run(["-c", "reg.json", "-i", "reg.jsonl", "-p", "out.jsonl", "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, "");
  const lines = readFileSync(join(dir, "out.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const learner = Learner.create({ task: "regression", hidden: [4], seed: 5 });
  const want = data.map((d, i) => ({
    row: i + 1,
    ...(learner.observe({ b: d.b, a: d.a }, d.price) as { value: number }),
  }));
  assert.deepEqual(lines, want);
  const record = JSON.parse(readFileSync(join(dir, "runs/reg/live.record.json"), "utf8"));
  assert.equal(record.command, "live");
  assert.deepEqual(record.live.rows, [10, 20, 30]);
  assert.equal(record.live.loss[2], learner.vitals().prequential.loss);
  const rep = spawnSync(process.execPath, [BIN, "report", "runs/reg/live.record.json", "--out", "reg.html"], {
    cwd: dir,
    encoding: "utf8",
  });
  assert.equal(rep.status, 0, rep.stderr);
  assert.match(readFileSync(join(dir, "reg.html"), "utf8"), /Live learning/);
});

test("--resume continues bit-identically: checkpoint after 120 rows, resume with the other 80", () => {
  const data = rows(200, 4);
  write("ck.json", JSON.stringify({ ...CONFIG, checkpoint: { every: 50 }, record: { every: 20 } }));
  write("all.csv", csv(data));
  write("first.csv", csv(data.slice(0, 120)));
  write("rest.csv", csv(data.slice(120)));
  const whole = run(["-c", "ck.json", "-i", "all.csv", "--checkpoint", "whole", "--quiet"]);
  assert.equal(whole.code, 0, whole.stderr);
  const first = run(["-c", "ck.json", "-i", "first.csv", "--checkpoint", "split", "--quiet"]);
  assert.equal(first.code, 0, first.stderr);
  const rest = run(["--resume", "split", "-i", "rest.csv", "--json"]);
  assert.equal(rest.code, 0, rest.stderr);
  // The answers after the resume are the uninterrupted run's (rows numbered within the new input).
  assert.deepEqual(
    rest.lines.slice(0, -1).map(({ row, ...a }) => a),
    whole.lines.slice(120).map(({ row, ...a }) => a),
  );
  assert.equal(rest.lines.at(-1).live.resumed, join(dir, "split"));
  return Promise.all([loadLearner(join(dir, "whole")), loadLearner(join(dir, "split"))]).then(([a, b]) => {
    const sa = { ...a.getState(), seconds: 0 };
    const sb = { ...b.getState(), seconds: 0 };
    assert.deepEqual(sb, sa);
    const rec = (d: string) => JSON.parse(readFileSync(join(dir, d, "live.record.json"), "utf8")).live;
    assert.deepEqual(rec("split"), rec("whole"), "the record covers the whole stream too");
    assert.equal(rec("whole").rows.length, 10);
  });
});

test("a learner continues on the kernels its file names: js without flags, another with a warning", async () => {
  const data = rows(200, 6);
  write("k.json", JSON.stringify(CONFIG));
  write("k-first.csv", csv(data.slice(0, 120)));
  write("k-rest.csv", csv(data.slice(120)));
  const first = run([
    "-c",
    "k.json",
    "-i",
    "k-first.csv",
    "--checkpoint",
    "on-js",
    "--backend",
    "js",
    "--json",
  ]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.lines.at(-1).live.backend, "js");
  assert.equal(openLearner(join(dir, "on-js")).backend, "js");
  // A file from before the backend was kept: the same learner, the field taken out of its header.
  const { header, tensors } = decodeContainer(readFileSync(join(dir, "on-js", LEARNER_FILE)));
  const { format, version, tensors: listed, backend, ...older } = header;
  assert.equal(backend, "js");
  mkdirSync(join(dir, "unnamed"), { recursive: true });
  writeFileSync(join(dir, "unnamed", LEARNER_FILE), encodeContainer(older, tensors));
  assert.equal(openLearner(join(dir, "unnamed")).backend, null);

  // The uninterrupted learner on js, then back to this file's kernels.
  useBackend("js");
  const { learner: uninterrupted, lines } = reference(data);
  // The CLI's learner knows the CSV's column names; the reference was given arrays.
  const want = { ...uninterrupted.getState(), seconds: 0, format: null };
  useBackend("auto", { threads: 1 });
  for (const folder of ["on-js", "unnamed"]) {
    const rest = run(["--resume", folder, "-i", "k-rest.csv", "--json"]);
    assert.equal(rest.code, 0, rest.stderr);
    assert.equal(rest.stderr, "", folder);
    assert.equal(rest.lines.at(-1).live.backend, "js", folder);
    assert.deepEqual(
      rest.lines.slice(0, -1).map(({ row, ...a }) => a),
      lines.slice(120).map(({ row, ...a }) => a),
      folder,
    );
    const resumed = await loadLearner(join(dir, folder));
    assert.deepEqual({ ...resumed.getState(), seconds: 0, format: null }, want, folder);
  }
  // Told other kernels, it runs on them and says that its bits part from here.
  const moved = run(["--resume", "unnamed", "-i", "k-rest.csv", "--backend", "wasm", "--json"]);
  assert.equal(moved.code, 0, moved.stderr);
  assert.equal(moved.lines.at(-1).live.backend, "wasm");
  assert.match(moved.stderr, /warning: the learner ran on the js kernels and continues on wasm/);
  assert.equal(openLearner(join(dir, "unnamed")).backend, "wasm");
});

test("an open pipe: each row is answered before the next is written; Ctrl-C ends in a checkpoint", async () => {
  const child = spawn(
    process.execPath,
    [BIN, "live", "-c", "live.json", "--quiet", "--checkpoint", "piped"],
    {
      cwd: dir,
    },
  );
  let buffered = "";
  const nextLine = async (): Promise<any> => {
    while (!buffered.includes("\n")) buffered += String((await once(child.stdout, "data"))[0]);
    const [line, ...rest] = buffered.split("\n");
    buffered = rest.join("\n");
    return JSON.parse(line);
  };
  const data = rows(3, 5);
  const ref = reference(data);
  child.stdin.write("a,b,label\n");
  for (const [i, { x, y }] of data.entries()) {
    child.stdin.write(`${x.join(",")},${y}\n`); // the stream stays open: the answer must come anyway
    assert.deepEqual(await nextLine(), ref.lines[i]);
  }
  // The pipe stays open; SIGINT ends the stream as its end would: saved, exit 0.
  child.kill("SIGINT");
  const [code] = await once(child, "exit");
  assert.equal(code, 0);
  const saved = await loadLearner(join(dir, "piped"));
  // The same learner as the library's after those rows (which took them as arrays, not by name).
  const same = (l: Learner) => ({ ...l.getState(), seconds: 0, format: null });
  assert.deepEqual(same(saved), same(ref.learner));
});

test("bad usage and bad input exit 2 with a message naming the file or field", () => {
  write("typo.json", JSON.stringify({ task: "classification", hiden: [8] }));
  write("badtarget.json", JSON.stringify({ task: "classification", target: "nope" }));
  write("other.json", JSON.stringify({ ...CONFIG, hidden: [16] }));
  write("two.csv", csv(rows(5, 7)));
  run(["-c", "live.json", "-i", "two.csv", "--checkpoint", "saved", "--quiet"]);
  const cases: [string[], RegExp][] = [
    [[], /live needs --config live\.json/],
    [["-c", "missing.json"], /missing\.json: cannot read the run config/],
    [
      ["-c", "typo.json", "-i", "two.csv"],
      /typo\.json: learner\.hiden: unknown key.*or one of the live command's: input/,
    ],
    [["-c", "live.json", "--nope"], /Unknown option '--nope'/],
    [["-c", "live.json", "-i", "absent.csv"], /absent\.csv: cannot read the input: no such file/],
    [
      ["-c", "badtarget.json", "-i", "two.csv"],
      /target: two\.csv has no column "nope"; its columns are "a", "b", "label"/,
    ],
    [["--resume", "nowhere"], /--resume nowhere: no learner\.hmst there/],
    [["--resume", "saved", "--seed", "2"], /leave out --seed/],
    [
      ["--resume", "saved", "-c", "other.json", "-i", "two.csv"],
      /other\.json: the learner saved in saved was made with another config \(hidden: \[8\] there, \[16\] here\)/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const r = run(args, "");
    assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(" "));
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  }
});
