import { test } from "node:test";
import assert from "node:assert/strict";
import { throwsData } from "./helpers/errors.js";
import {
  columnIndex,
  fillMissing,
  fillValues,
  numericColumns,
  parseCsv,
  readNumber,
  readTable,
} from "../src/data/index.js";

const at = { file: "f.csv", row: 3, line: 4, column: "x" };

test("readNumber: decimal, exponent and quoted numbers; missing values are NaN", () => {
  assert.equal(readNumber(" 1.5e3 ", at), 1500);
  assert.equal(readNumber("5.1", at), 5.1);
  assert.equal(readNumber("-.5", at), -0.5);
  assert.equal(readNumber(7, at), 7);
  for (const missing of ["", "  ", "NaN", "nan", null, undefined])
    assert.ok(Number.isNaN(readNumber(missing, at)), String(missing));
});

test("readNumber: infinities, float32 overflow, text and JSON non-numbers are errors naming line and column", () => {
  throwsData(() => readNumber("inf", at), 'f.csv:4: column "x"', "finite", '"inf"');
  throwsData(() => readNumber("-Infinity", at), "f.csv:4:", '"-Infinity"');
  throwsData(() => readNumber("1e400", at), "f.csv:4:", "float32", '"1e400"');
  // 1e39 is a finite double but not a float32: stored as Infinity, it would poison training.
  throwsData(() => readNumber("1e39", at), "float32", '"1e39"');
  throwsData(() => readNumber("-3.5e38", at), "float32");
  assert.equal(readNumber("3.4e38", at), 3.4e38);
  throwsData(() => readNumber("0x10", at), "expected a number", '"0x10"');
  throwsData(() => readNumber("1,5", at), '"1,5"');
  // JSON.parse turns 1e400 into Infinity; the message says so instead of "got null".
  const err = throwsData(
    () => readNumber(JSON.parse("[1e400]")[0], { file: "in.json", row: 2, column: "a" }),
    "in.json: row 2:",
    "too large",
  );
  assert.ok(!/null/.test(err.message), err.message);
  throwsData(() => readNumber(true, at), "boolean");
});

test("readTable: a first row is a header only when it holds a name, so an empty first cell keeps its row", () => {
  const named = readTable("b,a\n2,1\n", "t.csv");
  assert.deepEqual(named.names, ["b", "a"]);
  assert.equal(named.rows.length, 1);
  const headerless = readTable(",2,3\n4,5,6\n", "h.csv");
  assert.equal(headerless.names, undefined);
  assert.equal(headerless.rows.length, 2);
  assert.equal(headerless.rows[0].line, 1);
  throwsData(
    () => numericColumns(headerless, [0, 1, 2], ["a", "b", "c"], "error"),
    'h.csv:1: column "a"',
    "missing value",
    "empty cell",
  );
  // NaN and Inf words are numbers, not names: such a first row is data.
  assert.equal(readTable("NaN,inf\n1,2\n", "n.csv").rows.length, 2);
  assert.deepEqual(readTable("\ufeffx,y\r\n1,2\r\n", "bom.csv").names, ["x", "y"]);
});

test('readTable: a line holding only "" is a record with one empty field, not a blank line', () => {
  const t = readTable('label\nx\n""\ny\n', "q.csv", "required");
  assert.equal(t.rows.length, 3);
  assert.deepEqual(
    t.rows.map((r) => r.cells[0]),
    ["x", "", "y"],
  );
  throwsData(() => parseCsv('a,label\n1,x\n""\n', { file: "q.csv", target: "label" }), "q.csv:3:", "1 field");
});

test("readTable: duplicate and empty header names are refused", () => {
  throwsData(() => readTable("a,b,a\n1,2,3\n", "d.csv"), "d.csv:1:", '"a" twice');
  throwsData(() => readTable("a,,b\n1,2,3\n", "d.csv", "required"), "d.csv:1:", "column 2", "no name");
});

test("readTable: JSON arrays, objects, JSON Lines and the learner's {x} rows", () => {
  assert.deepEqual(
    readTable("[[1,2],[3,4]]", "a.json").rows.map((r) => r.cells),
    [
      [1, 2],
      [3, 4],
    ],
  );
  assert.deepEqual(
    readTable("[1,2]", "one.json").rows.map((r) => r.cells),
    [[1, 2]],
  );
  const objects = readTable('[{"a":1,"b":2},{"b":4,"a":3}]', "o.json");
  assert.deepEqual(objects.names, ["a", "b"]);
  assert.deepEqual(
    objects.rows.map((r) => r.cells),
    [
      [1, 2],
      [3, 4],
    ],
  );
  const lines = readTable('{"a":1,"b":2}\n\n{"a":3,"b":4}\n', "l.jsonl");
  assert.deepEqual(
    lines.rows.map((r) => [r.line, ...r.cells]),
    [
      [1, 1, 2],
      [3, 3, 4],
    ],
  );
  assert.deepEqual(
    readTable('{"x":[1,2],"y":"cat"}\n{"x":[3,4]}\n', "x.jsonl").rows.map((r) => r.cells),
    [
      [1, 2],
      [3, 4],
    ],
  );
  assert.deepEqual(
    readTable("[1,2]\n[3,4]\n", "arr.jsonl").rows.map((r) => r.cells),
    [
      [1, 2],
      [3, 4],
    ],
  );
  throwsData(() => readTable('{"a":1}\n{"a":2,"c":3}\n', "k.jsonl"), "k.jsonl:2:", '"c" is new');
  throwsData(() => readTable('{"a":1,"b":2}\n{"a":2}\n', "k.jsonl"), "k.jsonl:2:", '"b" is missing');
  throwsData(() => readTable('[{"a":1},[2]]', "m.json"), "m.json: row 2:", "an array", "objects");
  throwsData(() => readTable('{"a":1}\n{"a":\n', "bad.jsonl"), "bad.jsonl:2:", "not valid JSON");
  throwsData(() => readTable("[]", "e.json"), "e.json", "no rows");
  throwsData(() => readTable('["a"]\n"b"\n', "s.jsonl"), "s.jsonl:2:", "expected a row");
});

test("columnIndex: named columns match in any order; missing and unknown names are listed with both sets", () => {
  const t = readTable("petal,species,sepal\n1,a,2\n", "c.csv");
  assert.deepEqual(columnIndex(t, ["sepal", "petal"], ["species"]), [2, 0]);
  const err = throwsData(
    () => columnIndex(t, ["sepal", "width"], ["species"]),
    "c.csv",
    'missing "width"',
    'unknown "petal"',
    'expected the columns "sepal", "width"',
    'the file has "petal", "species", "sepal"',
  );
  assert.equal(err.location.field, "width");
  const positional = readTable("1,2\n3,4,5\n", "p.csv");
  throwsData(
    () => columnIndex(positional, ["a", "b"]),
    "p.csv:2: line 2 has 3 values, expected 2",
    '"a", "b"',
  );
  assert.deepEqual(columnIndex(readTable("1,2\n3,4\n", "p.csv"), ["a", "b"]), [0, 1]);
  // A headerless row with a text cell is read as a header; the message says why.
  throwsData(
    () => columnIndex(readTable("1,2,cat\n3,4,dog\n", "l.csv"), ["a", "b"]),
    'unknown "1", "2", "cat"',
    "read as a header because it holds text",
  );
});

test("parseCsv with a model's features reads reordered columns into the model's order", () => {
  const original = parseCsv("a,b,c,t\n1,2,3,x\n4,5,6,y\n", { target: "t" });
  const shuffled = parseCsv("c,t,a,b\n3,x,1,2\n6,y,4,5\n", {
    target: "t",
    features: original.featureNames,
    classes: original.classes,
  });
  assert.deepEqual(Array.from(shuffled.x), Array.from(original.x));
  assert.deepEqual(shuffled.featureNames, ["a", "b", "c"]);
  assert.deepEqual(Array.from(shuffled.labels!), [0, 1]);
  throwsData(
    () => parseCsv("a,b,d,t\n1,2,3,x\n", { file: "w.csv", target: "t", features: ["a", "b", "c"] }),
    'missing "c"',
    'unknown "d"',
  );
});

test("parseCsv with a model's classes: labels matched by name, any subset, unknown labels named with their line", () => {
  const classes = ["setosa", "versicolor", "virginica"];
  const subsetOnly = parseCsv("x,s\n1,virginica\n2,virginica\n", { target: "s", classes });
  assert.deepEqual(Array.from(subsetOnly.labels!), [2, 2]);
  assert.equal(subsetOnly.outputDim, 3);
  assert.deepEqual(Array.from(subsetOnly.y), [0, 0, 1, 0, 0, 1]);
  throwsData(
    () => parseCsv("x,s\n1,setosa\n2,dog\n", { file: "e.csv", target: "s", classes }),
    'e.csv:3: column "s"',
    'unknown label "dog"',
    '"setosa", "versicolor", "virginica"',
  );
  // Numeric class names match by value: "1.0" is class "1".
  assert.deepEqual(
    Array.from(parseCsv("x,t\n1,1.0\n2,3\n", { target: "t", classes: ["1", "2", "3"] }).labels!),
    [0, 2],
  );
});

test("auto task: integer targets read as classes say so and how to ask for regression", () => {
  const ds = parseCsv("x,quality\n1,3\n2,5\n3,8\n4,5\n", { target: "quality" });
  assert.equal(ds.task, "classification");
  assert.match(ds.taskNote!, /"quality".*3 distinct values.*3 classes.*"task": "regression"/);
  assert.equal(parseCsv("x,t\n1,a\n2,b\n", { target: "t" }).taskNote, undefined);
  assert.equal(parseCsv("x,t\n1,0\n2,1\n", { target: "t", task: "classification" }).taskNote, undefined);
});

test("an infinite or overflowing regression target is a data error before training, not a column of classes", () => {
  throwsData(
    () => parseCsv("x,y\n1,2.5\n2,inf\n3,1\n", { file: "r.csv", target: "y" }),
    'r.csv:3: column "y"',
    '"inf"',
  );
  throwsData(
    () => parseCsv("x,y\n1,2\n2,1e400\n3,1\n", { file: "r.csv", target: "y" }),
    "r.csv:3:",
    "float32",
  );
  throwsData(
    () => parseCsv("x,y\n1,2.5\n2,\n", { file: "r.csv", target: "y" }),
    "r.csv:3:",
    "regression target",
    "empty cell",
  );
});

test("missing feature values: kept as NaN on request, filled with the column mean of present values", () => {
  const ds = parseCsv("a,b,t\n1,,x\n3,4,y\nNaN,8,x\n", { target: "t", missing: "keep" });
  assert.ok(Number.isNaN(ds.x[1]) && Number.isNaN(ds.x[4]));
  const mean = fillValues(ds.x, 2, "mean");
  assert.deepEqual(Array.from(mean), [2, 6]); // (1 + 3) / 2, (4 + 8) / 2
  assert.deepEqual(Array.from(fillValues(ds.x, 2, "zero")), [0, 0]);
  assert.equal(fillMissing(ds.x, 2, mean), 2);
  assert.deepEqual(Array.from(ds.x), [1, 6, 3, 4, 2, 8]);
  // A column with no value at all is filled with 0, not NaN.
  assert.deepEqual(Array.from(fillValues(Float32Array.of(NaN, 1, NaN, 2), 2, "mean")), [0, 1.5]);
  throwsData(
    () => parseCsv("a,t\n,x\n", { file: "m.csv", target: "t" }),
    'm.csv:2: column "a"',
    "missing value",
    '"missing": "mean"',
  );
});
