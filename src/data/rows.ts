/**
 * One reader for every row that enters Homeostat (training, eval, predict): CSV or JSON text becomes a
 * table of cells, with column names when the input has them; numbers are read strictly; columns are
 * matched by name. A bad cell is an error naming the file, the line and the column, never a silent NaN,
 * and a file whose columns are in another order gives the same rows, never confidently wrong answers.
 */
import { DataError, where } from "../tensor/errors.js";
import { readRecords } from "./csv-records.js";

/** One row of a table: its cells (strings from CSV, JSON values from JSON) and where it came from. */
export interface TableRow {
  cells: unknown[];
  /** 1-based data row. */
  row: number;
  /** 1-based line in the file, where the format has lines (CSV, JSON Lines). */
  line?: number;
  /** The `y` of a `{"x": row, "y": label}` row (null when it has no `y`); absent for every other form. */
  label?: unknown;
}

export interface Table {
  /** Name used in messages: the path, or "standard input". */
  file: string;
  /** Column names, when the input names its columns (a CSV header, JSON objects). */
  names?: string[];
  /** The line the CSV header is on. */
  headerLine?: number;
  rows: TableRow[];
}

/** Whether a CSV's first record is its header: always ("required"), or when it holds a name ("auto"). */
export type HeaderRule = "required" | "auto";

/** "file:line: " or "file: row N: ", the prefix of every message about a row. */
export function rowWhere(file: string, r: { row: number; line?: number }): string {
  return r.line !== undefined ? where({ file, line: r.line }) : `${file}: row ${r.row}: `;
}

/**
 * Read CSV or JSON text as a table. JSON is recognised by its first character (`[` or `{`): an array of
 * rows, or JSON Lines (one row a line); a row is an array (by position) or an object keyed by column name,
 * or `{"x": row}` as the learner's streams write it. With `header: "auto"`, a CSV's first record is a
 * header when one of its cells is neither empty nor a number, so a headerless file whose first row has an
 * empty cell keeps that row (and its empty cell is reported).
 *
 * @example
 * readTable("b,a\n2,1\n", "t.csv").names; // ["b", "a"]
 */
export function readTable(text: string, file: string, header: HeaderRule = "auto"): Table {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const first = body.trimStart()[0];
  if (first === "[" || first === "{") return readJsonTable(body, file);
  const records = readRecords(body, file);
  if (records.length === 0)
    throw new DataError(
      `${file}: the file is empty; expected ${header === "required" ? "a header row and " : ""}rows of comma-separated numbers`,
      { file },
    );
  const names = headerOf(records[0], header, file);
  const rows = records
    .slice(names ? 1 : 0)
    .map((r, i) => ({ cells: r.fields as unknown[], row: i + 1, line: r.line }));
  if (!names) return { file, rows };
  for (const r of rows) checkWidth(r, names, file);
  return { file, names, headerLine: records[0].line, rows };
}

/** The column names a CSV's first record gives, or undefined when it is a data row (see `readTable`). */
export function headerOf(
  first: { fields: string[]; line: number },
  header: HeaderRule,
  file: string,
): string[] | undefined {
  if (header !== "required" && !first.fields.some((c) => c.trim() !== "" && !isNumberLike(c)))
    return undefined;
  const names = first.fields.map((h) => h.trim());
  checkNames(names, file, first.line);
  return names;
}

/** A CSV row under a header has as many fields as the header. */
export function checkWidth(r: TableRow, names: readonly string[], file: string): void {
  if (r.cells.length !== names.length) {
    throw new DataError(
      `${where({ file, line: r.line })}line ${r.line} has ${plural(r.cells.length, "field")}, the header has ${names.length}`,
      { file, line: r.line },
    );
  }
}

function checkNames(names: string[], file: string, line: number): void {
  const blank = names.indexOf("");
  if (blank >= 0)
    throw new DataError(
      `${where({ file, line })}column ${blank + 1} of the header has no name; every column needs one`,
      { file, line },
    );
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new DataError(
        `${where({ file, line })}the header names ${JSON.stringify(n)} twice; column names must be unique`,
        { file, line, field: n },
      );
    seen.add(n);
  }
}

function readJsonTable(text: string, file: string): Table {
  let items: { value: unknown; line?: number }[];
  try {
    const v = JSON.parse(text) as unknown;
    // One row alone ([1, 2] or {"a": 1}) is a table of one row.
    const one =
      !Array.isArray(v) ||
      (v.length > 0 && v.every((c) => !Array.isArray(c) && (c === null || typeof c !== "object")));
    items = (one ? [v] : (v as unknown[])).map((value) => ({ value }));
  } catch (e) {
    items = readJsonLines(text, file, (e as Error).message);
  }
  if (items.length === 0) throw new DataError(`${file}: no rows (an empty JSON array)`, { file });
  const shape: JsonShape = {};
  const rows = items.map(({ value, line }, i) => jsonRow(value, { row: i + 1, line }, shape, file));
  const names = shape.names;
  return names ? { file, names, rows } : { file, rows };
}

/** What the JSON rows read so far look like: objects with these names, or arrays (names undefined). */
export interface JsonShape {
  names?: string[];
  arrays?: boolean;
}

/**
 * One JSON row as cells: an array by position, an object by name (every object with the first one's
 * keys), or the learner's `{"x": row, "y": label}` (y is not a feature). `shape` carries what the rows
 * before it looked like, so a stream can be read one row at a time.
 */
export function jsonRow(
  value: unknown,
  r: { row: number; line?: number },
  shape: JsonShape,
  file: string,
): TableRow {
  const line = r.line;
  const v = value;
  if (
    isObject(v) &&
    Object.keys(v).every((k) => k === "x" || k === "y") &&
    (Array.isArray(v.x) || isObject(v.x))
  )
    return { ...jsonRow(v.x, r, shape, file), label: v.y ?? null };
  if (Array.isArray(v)) {
    if (shape.names)
      throw new DataError(
        `${rowWhere(file, r)}an array, but the rows before it are objects; use one form for every row`,
        { file, line },
      );
    shape.arrays = true;
    return { ...r, cells: v };
  }
  if (isObject(v)) {
    if (shape.arrays)
      throw new DataError(
        `${rowWhere(file, r)}an object, but the rows before it are arrays; use one form for every row`,
        { file, line },
      );
    const names = (shape.names ??= Object.keys(v));
    const extra = Object.keys(v).filter((k) => !names.includes(k));
    const lacking = names.filter((k) => !(k in v));
    if (extra.length > 0 || lacking.length > 0) {
      throw new DataError(
        `${rowWhere(file, r)}its keys differ from the first row's: ${[...extra.map((k) => `${JSON.stringify(k)} is new`), ...lacking.map((k) => `${JSON.stringify(k)} is missing`)].join(", ")}`,
        { file, line },
      );
    }
    return { ...r, cells: names.map((k) => v[k]) };
  }
  throw new DataError(
    `${rowWhere(file, r)}expected a row (an array of numbers or an object of named values), got ${describeValue(v)}`,
    { file, line },
  );
}

/** JSON Lines: one JSON value per non-blank line. `whole` is why the text failed as one JSON document. */
function readJsonLines(text: string, file: string, whole: string): { value: unknown; line: number }[] {
  const lines = text.split(/\r\n|\n|\r/);
  const items: { value: unknown; line: number }[] = [];
  lines.forEach((s, i) => {
    if (s.trim() === "") return;
    try {
      items.push({ value: JSON.parse(s), line: i + 1 });
    } catch (e) {
      const detail =
        items.length === 0 && lines.filter((l) => l.trim() !== "").length === 1
          ? whole
          : (e as Error).message;
      throw new DataError(`${where({ file, line: i + 1 })}not valid JSON (${detail})`, { file, line: i + 1 });
    }
  });
  return items;
}

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const NAN_RE = /^[+-]?nan$/i;
const INFINITY_RE = /^[+-]?(?:inf|infinity)$/i;
/** The largest finite float32: a larger number would become Infinity in a Float32Array. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** Whether a cell reads as a number, finite or not ("1e5", "NaN", "-inf"). */
export function isNumberLike(cell: string): boolean {
  const s = cell.trim();
  return NUMBER_RE.test(s) || NAN_RE.test(s) || INFINITY_RE.test(s);
}

/** Where a cell is, for messages. */
export interface CellAt {
  file: string;
  row: number;
  line?: number;
  column: string;
}

/**
 * A cell as a number, strictly: decimal and exponent notation (a quoted "5.1" too; no hex, no empty cell
 * read as 0 as `Number("")` would). A missing value (an empty cell, JSON null, "NaN") is returned as NaN
 * for the caller to refuse or impute; an infinity, a value beyond float32's range (1e400, 1e39) or text is
 * an error naming the row and column.
 *
 * @example
 * readNumber(" 1.5e3 ", { file: "a.csv", row: 1, line: 2, column: "x" }); // 1500
 */
export function readNumber(cell: unknown, at: CellAt): number {
  let v: number;
  if (typeof cell === "number") v = cell;
  else if (cell === null || cell === undefined) return NaN;
  else if (typeof cell === "string") {
    const s = cell.trim();
    if (s === "" || NAN_RE.test(s)) return NaN;
    if (INFINITY_RE.test(s)) throw cellError(at, "a finite number", JSON.stringify(cell));
    if (!NUMBER_RE.test(s)) throw cellError(at, "a number", JSON.stringify(cell));
    v = Number(s);
  } else throw cellError(at, "a number", describeValue(cell));
  if (Number.isNaN(v)) return NaN;
  if (!Number.isFinite(v) || Math.abs(v) > FLOAT32_MAX) {
    const shown =
      typeof cell === "string"
        ? JSON.stringify(cell)
        : Number.isFinite(v)
          ? String(v)
          : "a number too large for float64 (it reads as Infinity)";
    throw cellError(at, `a finite number within float32's range (±${FLOAT32_MAX.toPrecision(3)})`, shown);
  }
  return v;
}

/** The message for a missing value: what it was and, when the caller knows one, how to impute it. */
export function missingError(cell: unknown, at: CellAt, hint = ""): DataError {
  const what =
    typeof cell === "string" && cell.trim() !== ""
      ? ` (${JSON.stringify(cell)})`
      : cell === null
        ? " (null)"
        : " (an empty cell)";
  return new DataError(
    `${rowWhere(at.file, at)}column ${JSON.stringify(at.column)}: a missing value${what}; expected a number${hint ? `; ${hint}` : ""}`,
    { file: at.file, line: at.line, field: at.column },
  );
}

export function cellError(at: CellAt, expected: string, got: string): DataError {
  return new DataError(
    `${rowWhere(at.file, at)}column ${JSON.stringify(at.column)}: expected ${expected}, got ${got}`,
    { file: at.file, line: at.line, field: at.column },
  );
}

/**
 * Which cell of each row holds each expected column. A table with names is matched by name, in any
 * order: a name the model does not know, or one it needs that is absent, is an error listing both sets
 * (`ignore` names columns that may be present and are skipped, such as the target). A table without
 * names is read by position, and every row must have exactly `expected.length` cells.
 *
 * @example
 * columnIndex(readTable("b,a\n2,1\n", "t.csv"), ["a", "b"]); // [1, 0]
 */
export function columnIndex(
  table: Table,
  expected: readonly string[],
  ignore: readonly string[] = [],
): number[] {
  const { file, names } = table;
  if (!names) {
    for (const r of table.rows) {
      if (r.cells.length !== expected.length) {
        throw new DataError(
          `${r.line !== undefined ? `${where({ file, line: r.line })}line ${r.line}` : `${file}: row ${r.row}`} has ${plural(r.cells.length, "value")}, expected ${expected.length} (${list(expected)})`,
          { file, line: r.line },
        );
      }
    }
    return expected.map((_, i) => i);
  }
  const unknown = names.filter((n) => !expected.includes(n) && !ignore.includes(n));
  const missing = expected.filter((n) => !names.includes(n));
  if (unknown.length > 0 || missing.length > 0) {
    const parts = [
      missing.length > 0 ? `missing ${list(missing)}` : "",
      unknown.length > 0 ? `unknown ${list(unknown)}` : "",
    ].filter(Boolean);
    throw new DataError(
      `${file}: the columns do not match the model's features (${parts.join("; ")}); expected the columns ${list(expected)} in any order${ignore.length > 0 ? `, and optionally ${list(ignore)}` : ""}; the file has ${list(names)}${unknown.some(isNumberLike) ? " (its first row was read as a header because it holds text; a file without a header holds only numbers)" : ""}`,
      { file, field: missing[0] ?? unknown[0] },
    );
  }
  return expected.map((n) => names.indexOf(n));
}

/**
 * The numbers of the given columns as an n × cols.length row-major matrix. Missing values are NaN when
 * `missing` is "keep" (for `fillMissing` to impute); with "error" they are an error whose message adds
 * `hint` (how to impute).
 */
export function numericColumns(
  table: Table,
  cols: readonly number[],
  colNames: readonly string[],
  missing: "error" | "keep",
  hint = "",
): Float32Array {
  const d = cols.length;
  const x = new Float32Array(table.rows.length * d);
  table.rows.forEach((r, i) => {
    for (let k = 0; k < d; k++) {
      const cell = r.cells[cols[k]];
      const at = { file: table.file, row: r.row, line: r.line, column: colNames[k] };
      const v = readNumber(cell, at);
      if (Number.isNaN(v) && missing === "error") throw missingError(cell, at, hint);
      x[i * d + k] = v;
    }
  });
  return x;
}

/** How a run fills a missing feature value: refuse the row ("error"), the training mean, or zero. */
export type MissingPolicy = "error" | "mean" | "zero";
export const MISSING_POLICIES: readonly MissingPolicy[] = ["error", "mean", "zero"];

/**
 * The fill value of each column under a policy: the mean of the column's present values (0 when it has
 * none), or zero.
 */
export function fillValues(x: Float32Array, d: number, policy: "mean" | "zero"): Float32Array {
  const fill = new Float32Array(d);
  if (policy === "zero") return fill;
  const sum = new Float64Array(d);
  const count = new Float64Array(d);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isNaN(v)) {
      sum[i % d] += v;
      count[i % d]++;
    }
  }
  for (let k = 0; k < d; k++) fill[k] = count[k] > 0 ? sum[k] / count[k] : 0;
  return fill;
}

/** Replace each NaN of a row-major n × d matrix with its column's fill value; returns how many. */
export function fillMissing(x: Float32Array, d: number, fill: Float32Array): number {
  let filled = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i])) {
      x[i] = fill[i % d];
      filled++;
    }
  }
  return filled;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "object") return "an object";
  return `${typeof v} ${JSON.stringify(v)}`;
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;
const list = (names: readonly string[]): string => names.map((n) => JSON.stringify(n)).join(", ");
