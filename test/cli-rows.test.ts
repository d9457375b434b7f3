import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeModel } from "../src/io/model.js";
import { Rng } from "../src/tensor/rng.js";
import { tempDir } from "./helpers/tmp.js";

// Issue 14: every row that enters (train, eval, predict) goes through one reader; columns by name.
const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const IRIS = fileURLToPath(new URL("../../examples/iris-like.csv", import.meta.url));
const dir = tempDir("cli-rows");
const FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

function run(args: string[], input?: string): { code: number; stdout: string; stderr: string; json: any } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    encoding: "utf8",
    input,
    timeout: 120_000,
  });
  const last = r.stdout.trim().split("\n").pop() ?? "";
  let json = null;
  try {
    json = JSON.parse(last);
  } catch {
    json = null;
  }
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr, json };
}

function write(name: string, content: string): string {
  writeFileSync(join(dir, name), content);
  return name;
}

function refused(args: string[], pattern: RegExp, input?: string): string {
  const r = run(args, input);
  assert.equal(r.code, 2, `exit code of ${args.join(" ")}: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  return r.stderr;
}

const config = (over: Record<string, unknown> = {}) =>
  JSON.stringify({
    seed: 1,
    data: { format: "csv", path: IRIS, target: "species", normalize: "standardize" },
    model: {
      layers: [
        { type: "dense", units: 16, activation: "relu" },
        { type: "dense", units: 3, activation: "softmax" },
      ],
    },
    loss: "crossEntropy",
    optimizer: { type: "adam", lr: 0.02 },
    epochs: 25,
    batchSize: 16,
    out: "iris.hmst",
    ...over,
  });

/** The iris rows (features only) as arrays, and the species of each. */
const irisRows = readFileSync(IRIS, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((l) => l.split(","));

function csv(columns: string[], rows: string[][]): string {
  return `${[
    columns.join(","),
    ...rows.map((r) => columns.map((c) => r[[...FEATURES, "species"].indexOf(c)]).join(",")),
  ].join("\n")}\n`;
}

before(() => {
  write("iris.json", config());
  const t = run(["train", "--config", "iris.json", "--quiet"]);
  assert.equal(t.code, 0, t.stderr);
});

const predictions = (file: string): unknown[] => {
  const r = run(["predict", "--model", "iris.hmst", "--input", file, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  return r.json.predictions;
};

test("property: shuffling a headered CSV's columns changes no prediction; a wrong name is exit 2 naming both sets", () => {
  const rows = irisRows.filter((_, i) => i % 5 === 0);
  const reference = predictions(write("ordered.csv", csv(FEATURES, rows)));
  assert.equal(reference.length, rows.length);
  const rng = new Rng(14);
  for (let trial = 0; trial < 6; trial++) {
    // Features in a random order, the target column (ignored by predict) somewhere among them on odd trials.
    const perm = Array.from(rng.permutation(FEATURES.length), (i) => FEATURES[i]);
    const columns = trial % 2 === 1 ? [...perm.slice(0, 2), "species", ...perm.slice(2)] : perm;
    assert.deepEqual(
      predictions(write(`shuffled-${trial}.csv`, csv(columns, rows))),
      reference,
      columns.join(","),
    );
    const wrong = [...columns];
    const k = Math.floor(rng.next() * FEATURES.length);
    const renamed = wrong.indexOf(FEATURES[k]);
    wrong[renamed] = `${FEATURES[k]}_cm`;
    const stderr = refused(
      [
        "predict",
        "--model",
        "iris.hmst",
        "--input",
        write(`wrong-${trial}.csv`, csv(columns, rows).replace(/^.*\n/, `${wrong.join(",")}\n`)),
      ],
      /do not match the model's features/,
    );
    assert.match(stderr, new RegExp(`missing "${FEATURES[k]}"`));
    assert.match(stderr, new RegExp(`unknown "${FEATURES[k]}_cm"`));
  }
  // The same rows as JSON objects with their keys in another order, and as JSON Lines.
  const objects = rows.map((r) =>
    Object.fromEntries([...FEATURES].reverse().map((f) => [f, Number(r[FEATURES.indexOf(f)])])),
  );
  assert.deepEqual(predictions(write("rows.json", JSON.stringify(objects))), reference);
  assert.deepEqual(
    predictions(write("rows.jsonl", objects.map((o) => JSON.stringify(o)).join("\n"))),
    reference,
  );
  // A headerless file is read by position.
  assert.deepEqual(
    predictions(write("headerless.csv", rows.map((r) => r.slice(0, 4).join(",")).join("\n"))),
    reference,
  );
});

test("predict reads cells as training does: quoted numbers accepted; NaN, 1e400, empty cells refused with line and column", () => {
  const quoted = predictions(write("quoted.csv", '"5.1","3.5",1.4,0.2\n'));
  assert.deepEqual(quoted, predictions(write("plain.csv", "5.1,3.5,1.4,0.2\n")));
  refused(
    ["predict", "--model", "iris.hmst", "--input", write("nan.csv", "5.1,NaN,1.4,0.2\n")],
    /nan\.csv:1: column "sepal_width": a missing value \("NaN"\)/,
  );
  refused(
    ["predict", "--model", "iris.hmst", "--input", write("big.csv", "5.1,3.5,1e400,0.2\n")],
    /big\.csv:1: column "petal_length".*float32.*"1e400"/,
  );
  // A headerless file whose first row has an empty cell: the row is data (line 1), not a header to drop.
  refused(
    ["predict", "--model", "iris.hmst", "--input", write("gap.csv", "5.1,,1.4,0.2\n6.7,3.0,5.9,2.3\n")],
    /gap\.csv:1: column "sepal_width".*empty cell/,
  );
  refused(
    ["predict", "--model", "iris.hmst", "--input", "-"],
    /standard input: row 1: column "sepal_length".*too large/,
    "[[1e400, 1, 1, 1]]",
  );
  refused(
    ["predict", "--model", "iris.hmst", "--input", "missing.csv"],
    /missing\.csv: cannot read the input: no such file \(ENOENT\)/,
  );
  refused(["predict", "--model", "iris.hmst", "--input", "."], /cannot read the input: it is a directory/);
  refused(
    ["predict", "--model", "iris.hmst", "--input", write("only-header.csv", `${FEATURES.join(",")}\n`)],
    /no rows to predict/,
  );
});

test("eval matches labels by the model's class names: any subset is fine, an unknown label is named with its line", () => {
  const all = run(["eval", "--model", "iris.hmst", "--data", IRIS, "--json"]);
  assert.equal(all.code, 0, all.stderr);
  const versicolor = irisRows.filter((r) => r[4] === "versicolor");
  const sub = run([
    "eval",
    "--model",
    "iris.hmst",
    "--data",
    write("versicolor.csv", csv([...FEATURES].reverse().concat("species"), versicolor)),
    "--json",
  ]);
  assert.equal(sub.code, 0, sub.stderr);
  assert.equal(sub.json.test.samples, versicolor.length);
  // Its accuracy is the share of those rows that predict calls "versicolor".
  const p = predictions(write("versicolor-features.csv", csv(FEATURES, versicolor))) as { label: string }[];
  assert.equal(sub.json.test.accuracy, p.filter((q) => q.label === "versicolor").length / versicolor.length);
  const withDog = csv([...FEATURES, "species"], [...versicolor.slice(0, 3), ["5", "3", "1", "0.2", "dog"]]);
  refused(
    ["eval", "--model", "iris.hmst", "--data", write("dog.csv", withDog)],
    /dog\.csv:5: column "species".*unknown label "dog"/,
  );
  refused(
    ["eval", "--model", "iris.hmst", "--data", IRIS, "--config", "iris.json"],
    /one source of data.*--config and --data/,
  );
});

test("training refuses what it cannot learn from: an infinite target or feature, epochs 0; nothing is written", () => {
  const reg = [
    "x1,x2,y",
    ...Array.from({ length: 40 }, (_, i) => `${i % 7},${(i * 3) % 5},${(i % 7) * 0.5 + 0.25}`),
  ];
  write("inf-target.csv", [...reg.slice(0, 10), "1,2,inf", ...reg.slice(10)].join("\n"));
  const regConfig = (path: string, out: string) =>
    config({
      data: { format: "csv", path, target: "y" },
      loss: "mse",
      out,
      model: {
        layers: [
          { type: "dense", units: 4, activation: "relu" },
          { type: "dense", units: 1 },
        ],
      },
    });
  write("inf-target.json", regConfig("inf-target.csv", "inf-target.hmst"));
  refused(
    ["train", "--config", "inf-target.json"],
    /inf-target\.csv:11: column "y": expected a finite number, got "inf"/,
  );
  write("inf-feature.csv", [...reg.slice(0, 5), "Infinity,2,1.5", ...reg.slice(5)].join("\n"));
  write("inf-feature.json", regConfig("inf-feature.csv", "inf-feature.hmst"));
  refused(["train", "--config", "inf-feature.json"], /inf-feature\.csv:6: column "x1"/);
  write("zero.json", config({ epochs: 0, out: "zero.hmst" }));
  refused(["train", "--config", "zero.json"], /epochs.*≥ 1|epochs.*at least 1/);
  for (const f of ["inf-target.hmst", "inf-feature.hmst", "zero.hmst"])
    assert.ok(!existsSync(join(dir, f)), f);
});

test("integer regression targets read as classes: the CLI says so and names the regression setting", () => {
  const scores = Array.from({ length: 60 }, (_, i) => (i % 9) + ((i * 7) % 11));
  const rows = ["a,b,score", ...scores.map((y, i) => `${i % 9},${(i * 7) % 11},${y}`)];
  const distinct = new Set(scores).size;
  assert.ok(distinct <= 20);
  write("scores.csv", rows.join("\n"));
  write(
    "scores.json",
    config({
      data: { format: "csv", path: "scores.csv", target: "score" },
      out: "scores.hmst",
      model: {
        layers: [
          { type: "dense", units: 4, activation: "relu" },
          { type: "dense", units: 1 },
        ],
      },
      loss: "mse",
    }),
  );
  refused(
    ["train", "--config", "scores.json"],
    new RegExp(`"score" holds only integers \\(${distinct} distinct values\\).*"task": "regression"`),
  );
});

test('data.missing "mean": training fills empty cells with the training mean and predict fills them the same way', () => {
  const rows = irisRows.map((r, i) => (i % 10 === 3 ? [r[0], "", r[2], r[3], r[4]] : r));
  write("gappy.csv", csv([...FEATURES, "species"], rows));
  write(
    "gappy.json",
    config({
      data: {
        format: "csv",
        path: "gappy.csv",
        target: "species",
        normalize: "standardize",
        missing: "mean",
      },
      out: "gappy.hmst",
    }),
  );
  const t = run(["train", "--config", "gappy.json", "--quiet"]);
  assert.equal(t.code, 0, t.stderr);
  const saved = decodeModel(readFileSync(join(dir, "gappy.hmst")), "gappy.hmst").impute!;
  assert.equal(saved.mode, "mean");
  // The fill value is the mean of the training split's present values (the split is seeded, not the file's).
  const present = rows.filter((r) => r[1] !== "").map((r) => Number(r[1]));
  assert.ok(Math.min(...present) < saved.values[1] && saved.values[1] < Math.max(...present));
  const r = run([
    "predict",
    "--model",
    "gappy.hmst",
    "--input",
    write("gap1.csv", "5.1,,1.4,0.2\n"),
    "--json",
  ]);
  assert.equal(r.code, 0, r.stderr);
  const filled = run([
    "predict",
    "--model",
    "gappy.hmst",
    "--input",
    write("filled.csv", `5.1,${saved.values[1].toPrecision(9)},1.4,0.2\n`),
    "--json",
  ]);
  assert.deepEqual(r.json.predictions, filled.json.predictions);
  write(
    "gappy-strict.json",
    config({ data: { format: "csv", path: "gappy.csv", target: "species" }, out: "strict.hmst" }),
  );
  refused(
    ["train", "--config", "gappy-strict.json"],
    /gappy\.csv:5: column "sepal_width": a missing value.*"missing": "mean"/,
  );
});
