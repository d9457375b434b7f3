import { ShapeError } from "./errors.js";

/** A tensor's shape: one non-negative integer per axis, row-major. `[]` is a scalar. */
export type Shape = readonly number[];

/** Number of elements in a tensor of this shape. */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides (in elements). */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** NumPy broadcasting: align trailing axes; each pair must be equal or one of them 1. */
export function broadcastShapes(...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (out[o] === 1) out[o] = d;
      else if (d !== 1 && d !== out[o]) {
        throw new ShapeError(
          `shapes ${shapes.map(fmt).join(" and ")} cannot be broadcast together (axis ${o}: ${out[o]} vs ${d})`,
        );
      }
    }
  }
  return out;
}

/** Normalise a possibly negative axis and check it is in range. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(`axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

export function fmt(shape: Shape): string {
  return `[${shape.join(",")}]`;
}
