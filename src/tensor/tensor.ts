import { ShapeError } from "./errors.js";
import { type Shape, sizeOf, fmt } from "./shape.js";
import { pooledFloat32 } from "./recycle.js";

/** Element type of a tensor: float32 (the default, and what the wasm kernels compute in) or float64. */
export type DType = "float32" | "float64";
export type Data = Float32Array | Float64Array;

/** Allocate a zeroed array of the given dtype (inside a training step, from its pool: recycle.ts). */
export function allocate(dtype: DType, size: number): Data {
  return dtype === "float64" ? new Float64Array(size) : (pooledFloat32(size) ?? new Float32Array(size));
}

/**
 * `allocate` for an array whose every element the caller writes before reading any (a kernel's whole
 * output): inside a training step a reused array comes as the last step left it, not zeroed (memory
 * bound: ~7% of a convolutional net's step).
 */
export function allocateOutput(dtype: DType, size: number): Data {
  return dtype === "float64"
    ? new Float64Array(size)
    : (pooledFloat32(size, false) ?? new Float32Array(size));
}

export function dtypeOf(data: Data): DType {
  return data instanceof Float64Array ? "float64" : "float32";
}

/**
 * The record a tensor keeps of the operation that produced it, so that `backward` can walk the graph.
 * `op` is a primitive name; `attrs` are the primitive's non-tensor arguments (axes, shapes, flags).
 */
export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly attrs: Readonly<Record<string, unknown>>;
}

/**
 * A dense, row-major, n-dimensional array of float32 (the default) or float64 values, with an optional
 * link to the operation that produced it for reverse-mode autograd. Tensors are immutable by convention
 * once used in a graph; parameters are updated in place by optimisers, outside the graph.
 *
 * @example
 * const t = Tensor.from([[1, 2], [3, 4]]);   // shape [2, 2], float32
 * t.get(1, 0); // 3
 */
export class Tensor {
  readonly data: Data;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Whether gradients flow back to this tensor (true for parameters and anything computed from them). */
  requiresGrad: boolean;
  /** Gradient of the last `backward` call with respect to this tensor, when `requiresGrad`. */
  grad: Tensor | null = null;
  /** How this tensor was computed, if it is part of a graph. */
  node: GraphNode | null = null;

  constructor(data: Data, shape: Shape, requiresGrad = false) {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(
        `data of length ${data.length} does not fit shape ${fmt(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtypeOf(data);
    this.requiresGrad = requiresGrad;
  }

  get size(): number {
    return this.data.length;
  }
  get rank(): number {
    return this.shape.length;
  }

  /** Build a tensor from nested arrays of numbers (or a flat array plus a shape). */
  static from(
    values: NestedNumbers,
    opts: { dtype?: DType; shape?: Shape; requiresGrad?: boolean } = {},
  ): Tensor {
    const shape = opts.shape ?? inferShape(values);
    const flat: number[] = [];
    flatten(values, flat);
    const data = allocate(opts.dtype ?? "float32", flat.length);
    for (let i = 0; i < flat.length; i++) data[i] = flat[i];
    return new Tensor(data, shape, opts.requiresGrad ?? false);
  }

  static zeros(shape: Shape, dtype: DType = "float32"): Tensor {
    return new Tensor(allocate(dtype, sizeOf(shape)), shape);
  }

  static full(shape: Shape, value: number, dtype: DType = "float32"): Tensor {
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  static scalar(value: number, dtype: DType = "float32"): Tensor {
    return Tensor.full([], value, dtype);
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new ShapeError(`item() needs a tensor with one element, got shape ${fmt(this.shape)}`);
    return this.data[0];
  }

  /** The value at a multi-index. */
  get(...index: number[]): number {
    let off = 0;
    for (let i = 0; i < this.shape.length; i++) off = off * this.shape[i] + index[i];
    return this.data[off];
  }

  /** Nested JavaScript arrays (for printing and tests). */
  toArray(): NestedNumbers {
    const build = (axis: number, offset: number): NestedNumbers => {
      if (axis === this.shape.length) return this.data[offset];
      const stride = sizeOf(this.shape.slice(axis + 1));
      const out: NestedNumbers[] = [];
      for (let i = 0; i < this.shape[axis]; i++) out.push(build(axis + 1, offset + i * stride));
      return out;
    };
    return build(0, 0);
  }

  /** A copy of the data, detached from any graph. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** The same data, outside the graph: gradients stop here. */
  detach(): Tensor {
    return new Tensor(this.data, this.shape);
  }

  /** A copy converted to another dtype. */
  to(dtype: DType): Tensor {
    if (dtype === this.dtype) return this.clone();
    const out = allocate(dtype, this.size);
    out.set(this.data);
    return new Tensor(out, this.shape);
  }

  toString(): string {
    return `Tensor(${fmt(this.shape)}, ${this.dtype})`;
  }
}

/** A number or nested arrays of numbers, as `Tensor.from` takes them (the nesting gives the shape). */
export type NestedNumbers = number | NestedNumbers[];

function inferShape(v: NestedNumbers): number[] {
  const shape: number[] = [];
  let cur: NestedNumbers = v;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = cur[0];
  }
  return shape;
}

function flatten(v: NestedNumbers, out: number[]): void {
  if (Array.isArray(v)) for (const x of v) flatten(x, out);
  else out.push(v);
}
