/**
 * Rows checked before they are logged: a request's rows are all accepted or all refused, so that
 * nothing of a bad request reaches the log or the learner. The check is the learner's own (rows.ts:
 * width, feature names, finite cells, the label) against the row format the learner will have when the
 * rows are applied — the first accepted row fixes it, as it does in the learner.
 */
import type { Label, Row } from "../learner/learner.js";
import { checkLabel, checkTarget, encodeRow, fixFormat, type RowFormat } from "../learner/rows.js";
import { DataError } from "../tensor/errors.js";

/** A row as accepted: a plain array or object of finite numbers (−0 as 0: JSON keeps no sign of zero). */
export interface AcceptedRow {
  x: number[] | Record<string, number>;
  y: Label;
}

/**
 * Check `rows` against `format` in order; returns them as accepted and the format after them, or throws
 * a DataError naming the row (1-based within the request) and the problem.
 *
 * @example
 * acceptRows([{ x: [1, 2], y: "a" }], { inputs: null, features: null }, "classification").format.inputs; // 2
 */
export function acceptRows(
  rows: readonly { x: unknown; y: unknown }[],
  format: RowFormat,
  task: "classification" | "regression",
): { rows: AcceptedRow[]; format: RowFormat } {
  const out: AcceptedRow[] = [];
  let f = format;
  rows.forEach((r, i) => {
    try {
      const x = r.x as Row;
      const raw = encodeRow(x, f);
      const y = task === "classification" ? checkLabel(r.y) : checkTarget(r.y);
      f = fixFormat(x, f, raw.length);
      out.push({ x: plainRow(x, f), y: y === 0 ? 0 : y });
    } catch (e) {
      if (!(e instanceof DataError)) throw e;
      const which = rows.length > 1 ? `row ${i + 1} of ${rows.length}` : "the row";
      throw new DataError(`${which}: ${e.message}`, e.location);
    }
  });
  return { rows: out, format: f };
}

/** The check of a row to predict (no label); throws a DataError naming it. */
export function acceptFeatures(x: unknown, format: RowFormat, at: string): Row {
  try {
    encodeRow(x as Row, format);
    return x as Row;
  } catch (e) {
    if (!(e instanceof DataError)) throw e;
    throw new DataError(`${at}: ${e.message}`, e.location);
  }
}

function plainRow(x: Row, f: RowFormat): number[] | Record<string, number> {
  const zero = (v: number) => (v === 0 ? 0 : v);
  if (Array.isArray(x) || ArrayBuffer.isView(x)) return Array.from(x as ArrayLike<number>, zero);
  const named = x as Readonly<Record<string, number>>;
  return Object.fromEntries((f.features ?? Object.keys(named)).map((k) => [k, zero(named[k])]));
}
