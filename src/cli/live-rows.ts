/**
 * From a streamed row to what the learner takes: the features (named when the input names its columns)
 * and the label, or no label for a prediction request. Which cell is the label: the `y` of a
 * `{"x", "y"}` row; else the column live.json's `target` names; else a column named label, y or target;
 * else the last one. Every problem is a DataError naming the file, the line and the column.
 */
import { isNumberLike, readNumber, rowWhere } from "../data/rows.js";
import type { StreamedRow } from "../data/row-stream.js";
import type { Label, Row } from "../learner/learner.js";
import { ConfigError, DataError } from "../tensor/errors.js";

/** Column names taken for the label when live.json names no target, in this order. */
export const TARGET_NAMES = ["label", "y", "target"] as const;

export interface LiveRow {
  x: Row;
  /** The label (a class label or a number), or null: a prediction request. */
  y: Label | null;
}

/**
 * Which column holds the label: `target` by name, else label / y / target, else the last column.
 * A `target` the input does not have is a ConfigError (the whole input is unusable, not one row).
 *
 * @example
 * targetColumn(["a", "b", "y"], undefined, "rows.csv"); // 2
 */
export function targetColumn(
  names: readonly string[] | undefined,
  target: string | undefined,
  file: string,
): number {
  if (!names) {
    if (target !== undefined)
      throw new ConfigError(
        `target: "${target}" names a column, but ${file} has no column names (a header row or JSON objects); without them the label is the last value of each row`,
        { field: "target", file },
      );
    return -1; // the last cell, whatever the width
  }
  if (target !== undefined) {
    const i = names.indexOf(target);
    if (i < 0)
      throw new ConfigError(
        `target: ${file} has no column "${target}"; its columns are ${names.map((n) => JSON.stringify(n)).join(", ")}`,
        { field: "target", file },
      );
    return i;
  }
  for (const t of TARGET_NAMES) if (names.includes(t)) return names.indexOf(t);
  return names.length - 1;
}

/**
 * The learner's row and label from one streamed row. `target` is `targetColumn`'s answer for the row's
 * names (ignored for a `{"x", "y"}` row). An empty target cell or a JSON null is a prediction request.
 *
 * @example
 * liveRow({ cells: ["1", "2", "cat"], row: 1, line: 2, names: ["a", "b", "y"] }, 2, "classification", "s.csv");
 * // { x: { a: 1, b: 2 }, y: "cat" }
 */
export function liveRow(
  r: StreamedRow,
  target: number,
  task: "classification" | "regression",
  file: string,
): LiveRow {
  const xy = r.label !== undefined;
  const t = xy ? -2 : target === -1 ? r.cells.length - 1 : target;
  if (!xy && r.cells.length < 2)
    throw new DataError(`${rowWhere(file, r)}expected features and a label, got ${r.cells.length} value`, {
      file,
      line: r.line,
    });
  const names = r.names;
  // As readNumber names a column in its messages: by name, else as predict does ("input 3").
  const column = (j: number): string => names?.[j] ?? (j === t ? "label" : `input ${j + 1}`);
  const values: number[] = [];
  const keys: string[] = [];
  r.cells.forEach((cell, j) => {
    if (j === t) return;
    const at = { file, row: r.row, line: r.line, column: column(j) };
    const v = readNumber(cell, at);
    if (Number.isNaN(v))
      throw new DataError(
        `${rowWhere(file, r)}column ${JSON.stringify(at.column)}: a missing value (empty, null or NaN); the learner needs every feature`,
        { file, line: r.line, field: names?.[j] },
      );
    values.push(v);
    if (names) keys.push(names[j]);
  });
  const x: Row = names ? Object.fromEntries(keys.map((k, i) => [k, values[i]])) : values;
  const raw = xy ? r.label : r.cells[t];
  return { x, y: labelOf(raw, task, { file, row: r.row, line: r.line, column: xy ? "y" : column(t) }) };
}

/** A label cell: null for none; a number-like CSV cell as a number (as JSON's 1 is), other text as text. */
function labelOf(
  cell: unknown,
  task: "classification" | "regression",
  at: { file: string; row: number; line?: number; column: string },
): Label | null {
  if (cell === null || cell === undefined || (typeof cell === "string" && cell.trim() === "")) return null;
  if (task === "regression") {
    const v = readNumber(cell, at);
    if (Number.isNaN(v))
      throw new DataError(
        `${rowWhere(at.file, at)}column ${JSON.stringify(at.column)}: the target is NaN; expected a number`,
        {
          file: at.file,
          line: at.line,
        },
      );
    return v;
  }
  if (typeof cell !== "string") return cell as Label; // a JSON label: the learner checks it
  const s = cell.trim();
  return isNumberLike(s) ? Number(s) : s;
}
