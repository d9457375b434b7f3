/**
 * The cases of issue 14 about predict (points 1–3: columns mapped by position, its own CSV reader, a
 * missing file or a folder), for scripts/cli-cases-list.mjs; the case fields are described there.
 */
import { runCli } from "./cli-harness.mjs";

const HEAD = "sepal_length,sepal_width,petal_length,petal_width";
const SETOSA = "5.1,3.5,1.4,0.2";
const VIRGINICA = "6.3,3.3,6.0,2.5";
export const MODEL = ["iris.hmst"];
const predict = (input) => ["predict", "--model", "iris.hmst", "--input", input];

/** Predictions of the same rows with the columns in file order and reversed: equal or not. */
function shuffleProperty(r, { bin, dir }) {
  const labels = (res) =>
    res.code === 0
      ? JSON.parse(res.stdout.trim().split("\n").pop()).predictions.map((p) => p.class ?? p.label)
      : null;
  const original = labels(runCli(bin, [...predict("ordered.csv"), "--json"], { cwd: dir }));
  const shuffled = labels(r);
  if (!original || !shuffled) return `exit ${r.code}: ${(r.stderr.split("\n")[0] || "").trim()}`;
  const differ = original.filter((l, i) => l !== shuffled[i]).length;
  return `${differ} of ${original.length} predictions change when the columns are reversed`;
}

/** Points 1–3, in the order of the table. */
export function predictCases(ctx) {
  const irisLines = ctx.irisCsv.trim().split("\n");
  const reversed = (line) => line.split(",").slice(0, 4).reverse().join(",");
  return [
    // 1. predict maps CSV columns by position and ignores the header.
    {
      id: "1.1",
      input: "predict: a setosa row, header names the columns in reversed order",
      uses: MODEL,
      files: { "rev.csv": `petal_width,petal_length,sepal_width,sepal_length\n${reversed(SETOSA)}\n` },
      args: predict("rev.csv"),
    },
    {
      id: "1.2",
      input: "predict: a setosa row under wrong column names a,b,c,d",
      uses: MODEL,
      files: { "abcd.csv": `a,b,c,d\n${SETOSA}\n` },
      args: predict("abcd.csv"),
    },
    {
      id: "1.3 (added)",
      input: "predict: header has a feature missing (3 of 4 columns)",
      uses: MODEL,
      files: { "three.csv": `sepal_length,sepal_width,petal_length\n5.1,3.5,1.4\n` },
      args: predict("three.csv"),
    },
    {
      id: "1.4 (added)",
      input: "predict: the training CSV itself (target column included)",
      uses: [...MODEL, "iris.csv"],
      args: predict("iris.csv"),
    },
    {
      id: "1.5 (added)",
      input: "predict: all 45 iris rows, columns reversed, against the same rows in order",
      uses: MODEL,
      files: {
        "ordered.csv": `${irisLines.map((l) => l.split(",").slice(0, 4).join(",")).join("\n")}\n`,
        "all-rev.csv": `${irisLines.map(reversed).join("\n")}\n`,
      },
      args: [...predict("all-rev.csv"), "--json"],
      message: shuffleProperty,
    },
    // 2. predict's own split(",") reader.
    {
      id: "2.1",
      input: "predict: no header; first row has an empty cell (5.1,,1.4,0.2), second a virginica row",
      uses: MODEL,
      files: { "gap.csv": `5.1,,1.4,0.2\n${VIRGINICA}\n` },
      args: predict("gap.csv"),
    },
    {
      id: "2.2",
      input: "predict: a NaN cell",
      uses: MODEL,
      files: { "nan.csv": `${HEAD}\n5.1,NaN,1.4,0.2\n` },
      args: predict("nan.csv"),
    },
    {
      id: "2.3",
      input: "predict: a 1e400 cell",
      uses: MODEL,
      files: { "huge.csv": `${HEAD}\n1e400,3.5,1.4,0.2\n` },
      args: predict("huge.csv"),
    },
    {
      id: "2.4",
      input: 'predict: quoted numbers ("5.1","3.5",…)',
      uses: MODEL,
      files: { "quoted.csv": `${HEAD}\n"5.1","3.5","1.4","0.2"\n` },
      args: predict("quoted.csv"),
    },
    {
      id: "2.5",
      input: "predict: JSON [[1e400,3.5,1.4,0.2]]",
      uses: MODEL,
      files: { "huge.json": "[[1e400,3.5,1.4,0.2]]\n" },
      args: predict("huge.json"),
    },
    {
      id: "2.6 (added)",
      input: "predict: 1e39 (beyond float32)",
      uses: MODEL,
      files: { "f32.csv": `${HEAD}\n1e39,3.5,1.4,0.2\n` },
      args: predict("f32.csv"),
    },
    {
      id: "2.7 (added)",
      input: "predict: an empty cell in a file with a header",
      uses: MODEL,
      files: { "empty-cell.csv": `${HEAD}\n5.1,,1.4,0.2\n` },
      args: predict("empty-cell.csv"),
    },
    {
      id: "2.8 (added)",
      input: "predict: JSON array of objects keyed by feature name",
      uses: MODEL,
      files: {
        "objs.json": JSON.stringify([
          { petal_width: 0.2, petal_length: 1.4, sepal_width: 3.5, sepal_length: 5.1 },
        ]),
      },
      args: predict("objs.json"),
    },
    {
      id: "2.9 (added)",
      input: "predict: JSON Lines, one array per line",
      uses: MODEL,
      files: { "rows.jsonl": `[${SETOSA}]\n[${VIRGINICA}]\n` },
      args: predict("rows.jsonl"),
    },
    {
      id: "2.10 (added)",
      input: "predict: CSV with a byte-order mark and CRLF line ends",
      uses: MODEL,
      files: { "bom.csv": `\ufeff${HEAD}\r\n${SETOSA}\r\n` },
      args: predict("bom.csv"),
    },
    {
      id: "2.11 (added)",
      input: "predict: CSV on standard input",
      uses: MODEL,
      stdin: `${HEAD}\n${VIRGINICA}\n`,
      args: predict("-"),
    },
    {
      id: "2.12",
      input: 'predict: a line holding only "" between two rows',
      uses: MODEL,
      files: { "quote-line.csv": `${HEAD}\n${SETOSA}\n""\n${VIRGINICA}\n` },
      args: predict("quote-line.csv"),
    },
    // 3. predict on a missing file or a folder.
    { id: "3.1", input: "predict --input missing.csv", uses: MODEL, args: predict("missing.csv") },
    {
      id: "3.2",
      input: "predict --input a folder",
      uses: MODEL,
      files: { "folder/.keep": "" },
      args: predict("folder"),
    },
  ];
}
