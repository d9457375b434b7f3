/**
 * A labelled data set from CSV: a header row, numeric feature columns and one target column picked by
 * name, read through the one row reader (rows.ts) that eval and predict use too, so every cell is read
 * the same strict way and every problem names the file, the 1-based line and the column. Text in, no
 * file system: `loadCsv` (data/files.ts, Node) reads the file.
 */
import { ConfigError, DataError, where } from "../tensor/errors.js";
import { oneHot, type Dataset } from "./dataset.js";
import {
  cellError,
  columnIndex,
  isNumberLike,
  numericColumns,
  readNumber,
  readTable,
  type Table,
} from "./rows.js";

export interface CsvOptions {
  /** Name used in error messages; `loadCsv` fills it with the path. */
  file?: string;
  /** Name of the target column (as written in the header). */
  target: string;
  /**
   * "auto" (the default) picks classification when any target cell is not a number, or when every
   * target is an integer and there are at most 20 distinct values; otherwise regression. The choice and
   * how to change it are in the dataset's `taskNote`.
   */
  task?: "classification" | "regression" | "auto";
  /**
   * The feature columns, by name, in the order the model takes them (a trained model's `featureNames`).
   * The file may hold them in any order; a missing or unknown column is an error. Default: every column
   * but the target, in file order.
   */
  features?: readonly string[];
  /**
   * The class names in output-unit order (a trained model's classes): each label is matched by name, a
   * file may hold any subset of them, and an unknown label is an error naming it. Default: the labels
   * found in the file, sorted.
   */
  classes?: readonly string[];
  /**
   * A missing feature value (an empty cell, NaN): an error naming it ("error", the default), or kept as
   * NaN for the caller to impute ("keep"; see `fillMissing`).
   */
  missing?: "error" | "keep";
}

/** Most distinct integer targets that "auto" still reads as class labels. */
export const AUTO_MAX_CLASSES = 20;

/**
 * Parse CSV text into a Dataset. Every column other than `target` is a numeric feature (or the columns
 * `features` names, matched by name). Classification targets are one-hot encoded; without `classes`, the
 * classes are sorted numerically when every target is a number (class names are then the numbers as
 * JavaScript prints them, so "1" and "1.0" are one class), and otherwise by code-unit order of the
 * trimmed text. Empty, NaN, infinite and out-of-range cells are errors naming the line and column.
 *
 * @example
 * const ds = parseCsv("x1,x2,label\n1,2,cat\n3,4,dog\n", { file: "pets.csv", target: "label" });
 * ds.classes; // ["cat", "dog"]
 */
export function parseCsv(text: string, opts: CsvOptions): Dataset {
  const file = opts.file ?? "<csv>";
  const task = opts.task ?? "auto";
  if (task !== "auto" && task !== "classification" && task !== "regression") {
    throw new ConfigError(
      `task must be "classification", "regression" or "auto", got ${JSON.stringify(task)}`,
      { field: "task" },
    );
  }
  const table = readTable(text, file, "required");
  if (table.rows.length === 0)
    throw new DataError(`${where({ file, line: table.headerLine })}the file has a header but no data rows`, {
      file,
      line: table.headerLine,
    });
  if (!table.names)
    throw new DataError(
      `${file}: expected rows with named columns (a CSV header row, or JSON objects), so that the target ${JSON.stringify(opts.target)} can be found`,
      { file },
    );
  const header = table.names;
  const target = opts.target.trim();
  const targetCol = header.indexOf(target);
  if (targetCol < 0) {
    throw new DataError(
      `${file}: no column named ${JSON.stringify(opts.target)}; the columns are ${header.map((h) => JSON.stringify(h)).join(", ")}`,
      { file, field: opts.target },
    );
  }
  const featureNames = opts.features ? [...opts.features] : header.filter((_, c) => c !== targetCol);
  const cols = columnIndex(table, featureNames, [target]);
  const hint =
    opts.missing === undefined || opts.missing === "error"
      ? 'set "missing": "mean" or "zero" in the run config\'s data to impute it'
      : "";
  const x = numericColumns(table, cols, featureNames, opts.missing ?? "error", hint);
  const n = table.rows.length;
  const targets = table.rows.map((r) => String(r.cells[targetCol]).trim());
  const base = { x, n, inputDim: featureNames.length, featureNames };
  const inferred = task === "auto" ? autoTask(targets, target) : { task, note: undefined };
  if (inferred.task === "regression") {
    const y = new Float32Array(n);
    table.rows.forEach((r, i) => {
      const at = { file, row: r.row, line: r.line, column: target };
      const v = readNumber(r.cells[targetCol], at);
      if (Number.isNaN(v))
        throw cellError(
          at,
          "a number (regression target)",
          targets[i] === "" ? "an empty cell" : JSON.stringify(targets[i]),
        );
      y[i] = v;
    });
    return {
      ...base,
      y,
      outputDim: 1,
      task: "regression",
      ...(inferred.note ? { taskNote: inferred.note } : {}),
    };
  }
  const { classes, labels } = encodeClasses(targets, table, target, opts.classes);
  return {
    ...base,
    y: oneHot(labels, classes.length),
    outputDim: classes.length,
    task: "classification",
    labels,
    classes,
    ...(inferred.note ? { taskNote: inferred.note } : {}),
  };
}

/** A target cell as a number the way labels compare ("1.0" is 1), or undefined when it is not one. */
function labelNumber(cell: string): number | undefined {
  return /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(cell) && Number.isFinite(Number(cell))
    ? Number(cell)
    : undefined;
}

/**
 * The "auto" rule: text anywhere → classification; few distinct integers → classification, with a note
 * saying so and how to ask for regression; else regression.
 */
function autoTask(
  targets: string[],
  column: string,
): { task: "classification" | "regression"; note?: string } {
  const distinct = new Set<number>();
  let allIntegers = true;
  for (const t of targets) {
    // An empty cell decides nothing (either reader reports it with its line); a NaN, infinite or
    // overflowing number is a bad regression target, which must not turn the column into classes.
    if (t === "") continue;
    if (isNumberLike(t) && labelNumber(t) === undefined) {
      allIntegers = false;
      continue;
    }
    const v = labelNumber(t);
    if (v === undefined) return { task: "classification" };
    if (!Number.isInteger(v)) allIntegers = false;
    else distinct.add(v);
  }
  if (!allIntegers || distinct.size > AUTO_MAX_CLASSES) return { task: "regression" };
  return {
    task: "classification",
    note: `the target column ${JSON.stringify(column)} holds only integers (${distinct.size} distinct values), so it is read as ${distinct.size} classes; to predict it as a number, set "task": "regression" in the run config's data`,
  };
}

/**
 * Class names in output-unit order and the class index of each row. With `known` (a model's classes),
 * each label is looked up by name (a number also by its printed form, so "1.0" is class "1"); otherwise
 * the classes are the labels found, sorted.
 */
function encodeClasses(
  targets: string[],
  table: Table,
  column: string,
  known?: readonly string[],
): { classes: string[]; labels: Int32Array } {
  const numbers = targets.map(labelNumber);
  let names: string[];
  if (known) names = [...known];
  else if (numbers.every((v) => v !== undefined))
    names = [...new Set(numbers as number[])].sort((a, b) => a - b).map(String);
  else names = [...new Set(targets)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(names.map((name, i) => [name, i]));
  const labels = new Int32Array(targets.length);
  targets.forEach((t, r) => {
    const c = index.get(t) ?? (numbers[r] !== undefined ? index.get(String(numbers[r])) : undefined);
    if (c === undefined || t === "") {
      const row = table.rows[r];
      const at = { file: table.file, row: row.row, line: row.line, column };
      if (t === "") throw cellError(at, "a class label", "an empty cell");
      throw cellError(
        at,
        `one of the model's classes (${names.map((s) => JSON.stringify(s)).join(", ")})`,
        `the unknown label ${JSON.stringify(t)}`,
      );
    }
    labels[r] = c;
  });
  return { classes: names, labels };
}
