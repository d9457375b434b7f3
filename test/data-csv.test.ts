import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { tempDir } from "./helpers/tmp.js";
import { throwsData } from "./helpers/errors.js";
import { join } from "node:path";
import { loadCsv, parseCsv } from "../src/data/index.js";

test("quoted fields: commas, escaped quotes, line breaks, CRLF", () => {
  const text =
    'a,"b, with comma","the ""label"""\r\n1,2,"x, y"\r\n"3","4","say ""hi""\nthere"\r\n5,6,plain\r\n';
  const ds = parseCsv(text, { file: "q.csv", target: 'the "label"' });
  assert.deepEqual(ds.featureNames, ["a", "b, with comma"]);
  assert.deepEqual(Array.from(ds.x), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(ds.classes, ["plain", 'say "hi"\nthere', "x, y"]);
  assert.deepEqual(Array.from(ds.labels!), [2, 1, 0]);
});

test("a line number after a multi-line quoted field is still the physical line", () => {
  const text = 'a,t\n"1",x\n"2\n",y\nabc,z\n';
  // Row "abc" starts on physical line 5 (the quoted field on line 3 spans two lines).
  throwsData(() => parseCsv(text, { file: "m.csv", target: "t" }), "m.csv:5:", '"a"');
});

test("classification: string targets one-hot in lexicographic order", () => {
  const ds = parseCsv("x,species\n1,virginica\n2,setosa\n3,versicolor\n4,setosa\n", { target: "species" });
  assert.equal(ds.task, "classification");
  assert.deepEqual(ds.classes, ["setosa", "versicolor", "virginica"]);
  assert.deepEqual(Array.from(ds.labels!), [2, 0, 1, 0]);
  assert.equal(ds.outputDim, 3);
  assert.deepEqual(Array.from(ds.y), [0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 0, 0]);
});

test("classification: numeric targets sorted numerically, not as text", () => {
  const ds = parseCsv("x,t\n1,10\n2,9\n3,2\n4,10.0\n", { target: "t" });
  assert.equal(ds.task, "classification");
  assert.deepEqual(ds.classes, ["2", "9", "10"]);
  assert.deepEqual(Array.from(ds.labels!), [2, 1, 0, 2]);
});

test("auto task: fractional or many-valued integer targets are regression", () => {
  const frac = parseCsv("x,price\n1,1.5\n2,2\n", { target: "price" });
  assert.equal(frac.task, "regression");
  assert.equal(frac.outputDim, 1);
  assert.deepEqual(Array.from(frac.y), [1.5, 2]);
  assert.equal(frac.labels, undefined);
  const rows = Array.from({ length: 21 }, (_, i) => `${i},${i * 3}`).join("\n");
  assert.equal(parseCsv(`x,t\n${rows}\n`, { target: "t" }).task, "regression");
  const twenty = Array.from({ length: 20 }, (_, i) => `${i},${i}`).join("\n");
  assert.equal(parseCsv(`x,t\n${twenty}\n`, { target: "t" }).task, "classification");
});

test("explicit task overrides auto", () => {
  assert.equal(parseCsv("x,t\n1,0\n2,1\n", { target: "t", task: "regression" }).task, "regression");
  assert.equal(parseCsv("x,t\n1,0.5\n2,1\n", { target: "t", task: "classification" }).outputDim, 2);
  throwsData(
    () => parseCsv("x,t\n1,0\n2,cat\n", { file: "r.csv", target: "t", task: "regression" }),
    "r.csv:3:",
    'column "t"',
    "expected a number",
    '"cat"',
  );
});

test("target column can be anywhere; features keep header order", () => {
  const ds = parseCsv("t,a,b\n0,1,2\n1,3,4\n", { target: "t" });
  assert.deepEqual(ds.featureNames, ["a", "b"]);
  assert.deepEqual(Array.from(ds.x), [1, 2, 3, 4]);
  assert.equal(ds.inputDim, 2);
  assert.equal(ds.n, 2);
});

test("blank trailing lines and a BOM are accepted; NaN and Inf feature cells are errors naming line and column", () => {
  const ds = parseCsv("\ufeffa,b,t\n1,-1.5,0\n-2,2e3,1\n\n\n", { target: "t" });
  assert.equal(ds.n, 2);
  assert.deepEqual(Array.from(ds.x), [1, -1.5, -2, 2000]);
  throwsData(
    () => parseCsv("a,b,t\n1,NaN,0\n", { file: "n.csv", target: "t" }),
    'n.csv:2: column "b"',
    '"NaN"',
    "missing",
  );
  throwsData(
    () => parseCsv("a,b,t\n1,2,0\n-inf,2e3,1\n", { file: "n.csv", target: "t" }),
    'n.csv:3: column "a"',
    "finite",
    '"-inf"',
  );
});

test("empty file and header-only file are DataErrors naming the file", () => {
  throwsData(() => parseCsv("", { file: "empty.csv", target: "t" }), "empty.csv", "empty");
  throwsData(() => parseCsv("\n\n", { file: "blank.csv", target: "t" }), "blank.csv", "empty");
  throwsData(() => parseCsv("a,t\n", { file: "head.csv", target: "t" }), "head.csv:1:", "no data rows");
});

test("ragged row names file, line and both field counts", () => {
  const text = "a,b,c,t\n1,2,3,0\n1,2,3,1\n1,2,3,0\n1,2,3,1\n1,2,3,0\n1,2,0\n";
  const err = throwsData(
    () => parseCsv(text, { file: "data.csv", target: "t" }),
    "data.csv:7:",
    "line 7 has 3 fields, the header has 4",
  );
  assert.equal(err.location.line, 7);
  assert.equal(err.location.file, "data.csv");
});

test("non-numeric feature cell names file, line, column and the bad text", () => {
  const text = "age,t\n1,0\n2,1\n3,0\nabc,1\n";
  const err = throwsData(
    () => parseCsv(text, { file: "data.csv", target: "t" }),
    'data.csv:5: column "age": expected a number, got "abc"',
  );
  assert.equal(err.location.field, "age");
  throwsData(() => parseCsv("age,t\n,0\n", { file: "d.csv", target: "t" }), "d.csv:2:", "empty cell");
  throwsData(() => parseCsv("age,t\n0x10,0\n", { file: "d.csv", target: "t" }), '"0x10"');
});

test("missing target column lists the columns that exist", () => {
  throwsData(
    () => parseCsv("sepal,petal,kind\n1,2,a\n", { file: "iris.csv", target: "species" }),
    "iris.csv",
    '"species"',
    '"sepal", "petal", "kind"',
  );
});

test("unclosed quote and text after a closing quote are reported with a line", () => {
  throwsData(() => parseCsv('a,t\n1,"open\n', { file: "u.csv", target: "t" }), "u.csv:2:", "never closed");
  throwsData(() => parseCsv('a,t\n"1"x,0\n', { file: "u.csv", target: "t" }), "u.csv:2:", "closing quote");
});

test("loadCsv reads a file and names its path in errors", () => {
  const dir = tempDir("csv");
  const good = join(dir, "good.csv");
  writeFileSync(good, "a,t\r\n1,x\r\n2,y\r\n");
  assert.deepEqual(loadCsv(good, { target: "t" }).classes, ["x", "y"]);
  const bad = join(dir, "bad.csv");
  writeFileSync(bad, "a,t\n1,x\nzz,y\n");
  throwsData(() => loadCsv(bad, { target: "t" }), `${bad}:3:`, 'column "a"');
  throwsData(() => loadCsv(join(dir, "missing.csv"), { target: "t" }), "missing.csv", "cannot read");
});
