/**
 * CSV loading: a header row, numeric feature columns and one target column picked by name.
 * The reader follows RFC 4180 (quoted fields, "" escapes, CRLF or LF line ends) and reports every
 * problem with the file, the 1-based line and the column name, because a bad cell in a 50,000-row
 * file is otherwise impossible to find.
 */
import { readFileSync } from "node:fs";
import { ConfigError, DataError, where } from "../tensor/errors.js";
import { oneHot, type Dataset } from "./dataset.js";

export interface CsvOptions {
  /** Name used in error messages; `loadCsv` fills it with the path. */
  file?: string;
  /** Name of the target column (as written in the header). */
  target: string;
  /**
   * "auto" (the default) picks classification when any target cell is not a number, or when every
   * target is an integer and there are at most 20 distinct values; otherwise regression.
   */
  task?: "classification" | "regression" | "auto";
}

/** Most distinct integer targets that "auto" still reads as class labels. */
export const AUTO_MAX_CLASSES = 20;

/** One parsed record: its fields and the 1-based line it starts on. */
interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Split CSV text into records (RFC 4180). A quoted field may contain commas, line breaks and ""
 * (an escaped quote). Blank lines are skipped wherever they are, as pandas does, so a trailing newline
 * or two is harmless.
 */
function readRecords(text: string, file: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a UTF-8 byte-order mark is not part of the first name
  let line = 1;
  while (i < text.length) {
    const startLine = line;
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    let atEnd = false;
    while (!atEnd) {
      if (text[i] === '"') {
        const quoteLine = line;
        quoted = true;
        i++;
        for (;;) {
          if (i >= text.length) throw new DataError(`${where({ file, line: quoteLine })}a quoted field opened on line ${quoteLine} is never closed`, { file, line: quoteLine });
          if (text[i] === '"') {
            if (text[i + 1] === '"') { field += '"'; i += 2; continue; }
            i++;
            break;
          }
          // Copy up to the next quote in one slice, counting the line breaks it spans.
          let end = text.indexOf('"', i);
          if (end < 0) end = text.length;
          for (let k = text.indexOf("\n", i); k >= 0 && k < end; k = text.indexOf("\n", k + 1)) line++;
          field += text.slice(i, end);
          i = end;
        }
        const next = text[i];
        if (i < text.length && next !== "," && next !== "\n" && next !== "\r") {
          throw new DataError(`${where({ file, line })}expected a comma or a line end after the closing quote of field ${fields.length + 1}, got ${JSON.stringify(next)}`, { file, line });
        }
      } else {
        const start = i;
        while (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") i++;
        field = text.slice(start, i);
      }
      fields.push(field);
      field = "";
      if (text[i] === ",") { i++; continue; }
      // End of record: CRLF, LF, a lone CR, or the end of the text.
      if (text[i] === "\r") i++;
      if (text[i] === "\n") i++;
      line++;
      atEnd = true;
    }
    // A line holding only `""` is a record with one empty field, not a blank line.
    const blank = fields.length === 1 && !quoted && fields[0].trim() === "";
    if (!blank) records.push({ fields, line: startLine });
  }
  return records;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NON_FINITE_RE = /^[+-]?(?:nan|inf|infinity)$/i;

/**
 * Parse a numeric cell, or return undefined. Decimal and exponent notation only (no hex, no empty
 * cell read as 0, which `Number("")` would do). NaN, Inf and Infinity (any case, signed) are accepted as
 * numbers on purpose: the health check reports non-finite inputs with their row and column, which is
 * more useful than refusing the file here.
 *
 * @example
 * parseNumberCell(" 1.5e3 "); // 1500
 * parseNumberCell("");        // undefined
 */
export function parseNumberCell(cell: string): number | undefined {
  const s = cell.trim();
  if (NUMBER_RE.test(s)) return Number(s);
  if (NON_FINITE_RE.test(s)) {
    if (/nan/i.test(s)) return NaN;
    return s.startsWith("-") ? -Infinity : Infinity;
  }
  return undefined;
}

/**
 * Parse CSV text into a Dataset. Every column other than `target` is a numeric feature.
 * Classification targets are one-hot encoded with classes sorted numerically when every target is a
 * finite number (class names are then the numbers as JavaScript prints them, so "1" and "1.0" are one
 * class), and otherwise by code-unit order of the trimmed text. NaN and Inf feature cells pass through
 * as numbers; the training health check reports them.
 *
 * @example
 * const ds = parseCsv("x1,x2,label\n1,2,cat\n3,4,dog\n", { file: "pets.csv", target: "label" });
 * ds.classes; // ["cat", "dog"]
 */
export function parseCsv(text: string, opts: CsvOptions): Dataset {
  const file = opts.file ?? "<csv>";
  const task = opts.task ?? "auto";
  if (task !== "auto" && task !== "classification" && task !== "regression") {
    throw new ConfigError(`task must be "classification", "regression" or "auto", got ${JSON.stringify(task)}`, { field: "task" });
  }
  const records = readRecords(text, file);
  if (records.length === 0) throw new DataError(`${file}: the file is empty; expected a header row and at least one data row`, { file });
  const header = records[0].fields.map((h) => h.trim());
  const rows = records.slice(1);
  if (rows.length === 0) throw new DataError(`${where({ file, line: records[0].line })}the file has a header but no data rows`, { file, line: records[0].line });

  const targetCol = header.indexOf(opts.target.trim());
  if (targetCol < 0) {
    throw new DataError(`${file}: no column named ${JSON.stringify(opts.target)}; the columns are ${header.map((h) => JSON.stringify(h)).join(", ")}`, { file, field: opts.target });
  }
  if (header.indexOf(header[targetCol], targetCol + 1) >= 0) {
    throw new DataError(`${file}: the header has more than one column named ${JSON.stringify(header[targetCol])}; rename one so the target is unambiguous`, { file, field: header[targetCol] });
  }

  const n = rows.length;
  const featureCols = header.map((_, c) => c).filter((c) => c !== targetCol);
  const inputDim = featureCols.length;
  const x = new Float32Array(n * inputDim);
  const targets: string[] = new Array(n);
  for (let r = 0; r < n; r++) {
    const { fields, line } = rows[r];
    if (fields.length !== header.length) {
      throw new DataError(`${where({ file, line })}line ${line} has ${fields.length} field${fields.length === 1 ? "" : "s"}, the header has ${header.length}`, { file, line });
    }
    for (let k = 0; k < inputDim; k++) {
      const c = featureCols[k];
      const v = parseNumberCell(fields[c]);
      if (v === undefined) throw cellError(file, line, header[c], "a number", fields[c]);
      x[r * inputDim + k] = v;
    }
    targets[r] = fields[targetCol].trim();
  }

  const resolved = task === "auto" ? autoTask(targets) : task;
  const base = { x, n, inputDim, featureNames: featureCols.map((c) => header[c]) };
  if (resolved === "regression") {
    const y = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const v = parseNumberCell(targets[r]);
      if (v === undefined) throw cellError(file, rows[r].line, header[targetCol], "a number (regression target)", targets[r]);
      y[r] = v;
    }
    return { ...base, y, outputDim: 1, task: "regression" };
  }
  const { classes, labels } = encodeClasses(targets, (r) => {
    throw cellError(file, rows[r].line, header[targetCol], "a class label", targets[r]);
  });
  return { ...base, y: oneHot(labels, classes.length), outputDim: classes.length, task: "classification", labels, classes };
}

function cellError(file: string, line: number, column: string, expected: string, got: string): DataError {
  const shown = got.trim() === "" ? "an empty cell" : JSON.stringify(got);
  return new DataError(`${where({ file, line })}column ${JSON.stringify(column)}: expected ${expected}, got ${shown}`, { file, line, field: column });
}

/** The "auto" rule: text anywhere → classification; few distinct integers → classification; else regression. */
function autoTask(targets: string[]): "classification" | "regression" {
  const distinct = new Set<number>();
  let allIntegers = true;
  for (const t of targets) {
    const v = parseNumberCell(t);
    if (v === undefined) return "classification";
    if (!Number.isInteger(v)) allIntegers = false;
    else distinct.add(v);
  }
  return allIntegers && distinct.size <= AUTO_MAX_CLASSES ? "classification" : "regression";
}

/** Class names in sorted order and the class index of each row. `onEmpty(row)` must throw. */
function encodeClasses(targets: string[], onEmpty: (row: number) => never): { classes: string[]; labels: Int32Array } {
  const numbers = targets.map((t) => parseNumberCell(t));
  const numeric = numbers.every((v) => v !== undefined && Number.isFinite(v));
  let names: string[];
  if (numeric) {
    const values = [...new Set(numbers as number[])].sort((a, b) => a - b);
    names = values.map((v) => String(v));
  } else {
    const empty = targets.findIndex((t) => t === "");
    if (empty >= 0) onEmpty(empty);
    names = [...new Set(targets)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
  const index = new Map(names.map((name, i) => [name, i]));
  const labels = new Int32Array(targets.length);
  for (let r = 0; r < targets.length; r++) {
    labels[r] = index.get(numeric ? String(numbers[r]) : targets[r])!;
  }
  return { classes: names, labels };
}

/**
 * Read a CSV file (UTF-8) and parse it with `parseCsv`; error messages name the path.
 *
 * @example
 * const ds = loadCsv("iris.csv", { target: "species" });
 */
export function loadCsv(path: string, opts: CsvOptions): Dataset {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new DataError(`${path}: cannot read the file: ${(err as Error).message}`, { file: opts.file ?? path });
  }
  return parseCsv(text, { ...opts, file: opts.file ?? path });
}
