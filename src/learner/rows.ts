/**
 * Rows and labels as a user hands them to the learner: number arrays (or typed arrays) or objects of
 * named features, and labels as numbers or strings. A bad row is refused with a DataError naming the
 * cell before anything is learnt from it; the first good row fixes the width and the feature names.
 */
import { describeValue } from "../config/options.js";
import { DataError } from "../tensor/errors.js";
import { labelKey } from "./config.js";

/** One input row: numbers in feature order, or `{name: value}`. */
export type Row = ArrayLike<number> | Readonly<Record<string, number>>;
/** A class label: a string or a number (`1` and `"1"` are different labels). */
export type Label = string | number;

/** The part of the learner's state that says what a row and a label look like. */
export interface RowFormat {
  inputs: number | null;
  features: string[] | null;
}

/**
 * A row as float64 values in feature order, checked against `format` (width, names, finite cells);
 * `format` is not changed: `fixFormat` commits the first row's width and names once it is accepted.
 *
 * @example
 * encodeRow({ a: 1, b: 2 }, { inputs: null, features: ["b", "a"] }); // Float64Array [2, 1]
 */
export function encodeRow(row: Row, format: RowFormat): Float64Array {
  if (row === null || typeof row !== "object")
    throw new DataError(
      `x: expected an array of numbers or an object of named features, got ${describeValue(row)}`,
      {
        field: "x",
      },
    );
  return isArrayLike(row) ? encodeArray(row, format) : encodeNamed(row, format);
}

/** The width and names a first accepted row fixes (a copy; the input is not changed). */
export function fixFormat(row: Row, format: RowFormat, width: number): RowFormat {
  const features = format.features ?? (isArrayLike(row) ? null : Object.keys(row));
  return { inputs: format.inputs ?? width, features };
}

function isArrayLike(row: Row): row is ArrayLike<number> {
  return Array.isArray(row) || ArrayBuffer.isView(row);
}

function encodeArray(row: ArrayLike<number>, format: RowFormat): Float64Array {
  const width = format.inputs ?? format.features?.length ?? row.length;
  if (row.length !== width)
    throw new DataError(`x: expected ${width} values, got ${row.length}`, { field: "x" });
  if (width === 0) throw new DataError("x: expected at least one value, got an empty row", { field: "x" });
  const out = new Float64Array(width);
  for (let j = 0; j < width; j++) {
    const v = row[j];
    // The cell's name only for a message: a string built for every cell was ~1.5% of an observe at 784 wide.
    out[j] = isFiniteNumber(v) ? v : cell(v, `x[${j}]`);
  }
  return out;
}

function encodeNamed(row: Readonly<Record<string, number>>, format: RowFormat): Float64Array {
  const names = format.features ?? Object.keys(row);
  if (names.length === 0)
    throw new DataError("x: expected at least one named feature, got {}", { field: "x" });
  if (format.inputs !== null && names.length !== format.inputs)
    throw new DataError(`x: expected ${format.inputs} features, got ${names.length}`, { field: "x" });
  const known = new Set(names);
  for (const key of Object.keys(row))
    if (!known.has(key))
      throw new DataError(`x.${key}: unknown feature; expected ${names.join(", ")}`, { field: `x.${key}` });
  const out = new Float64Array(names.length);
  names.forEach((name, j) => {
    if (!(name in row)) throw new DataError(`x.${name}: missing feature`, { field: `x.${name}` });
    const v = row[name];
    out[j] = isFiniteNumber(v) ? v : cell(v, `x.${name}`);
  });
  return out;
}

function isFiniteNumber(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v);
}

function cell(v: unknown, field: string): number {
  if (!isFiniteNumber(v))
    throw new DataError(`${field}: expected a finite number, got ${describeValue(v)}`, { field });
  return v;
}

/** A regression target, checked. */
export function checkTarget(y: unknown): number {
  return cell(y, "y");
}

/** A class label, checked (not yet looked up). */
export function checkLabel(y: unknown): Label {
  if (typeof y === "string" || (typeof y === "number" && Number.isFinite(y))) return y;
  throw new DataError(`y: expected a label (a string or a finite number), got ${describeValue(y)}`, {
    field: "y",
  });
}

/** The labels seen so far, in output-unit order, and the unit of each. */
export class LabelIndex {
  private readonly byKey = new Map<string, number>();
  readonly labels: Label[] = [];

  constructor(labels: readonly Label[] = []) {
    for (const l of labels) this.add(l);
  }

  /** The output unit of `label`, or -1 when it has none yet. */
  indexOf(label: Label): number {
    return this.byKey.get(labelKey(label)) ?? -1;
  }

  /** Give `label` the next unit; returns it. */
  add(label: Label): number {
    const i = this.labels.length;
    this.byKey.set(labelKey(label), i);
    this.labels.push(label);
    return i;
  }

  get size(): number {
    return this.labels.length;
  }
}
