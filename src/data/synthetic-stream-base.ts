/**
 * What the synthetic stream generators share (synthetic-streams.ts): the row type, the endless
 * iterator, and the plain state (options, row count, the Rng's words) that makes a stream resumable.
 */
import type { NumberSpec } from "../config/options.js";
import { Rng } from "../tensor/rng.js";

/** One row of a synthetic stream: the inputs, the label or target, and which concept made it. */
export interface StreamRow {
  x: Float32Array;
  /** The class (0, 1, …) or the regression target. */
  y: number;
  /** Which concept made this row: changes at the stream's drift points. */
  concept: number;
}

export type RngState = ReturnType<Rng["getState"]>;

/** What every generator's state holds besides its own model: the options, the row count, the random stream. */
export interface BaseState<O> {
  options: O;
  step: number;
  rng: RngState;
}

/**
 * The iterator part shared by the generators: `next()` never ends; `take(n)` for a finite slice.
 *
 * @example
 * for (const { x, y, concept } of new SeaStream({ seed: 1 }).take(1000)) learner.observe(x, y);
 */
export abstract class SyntheticStream<O, S extends BaseState<O>> implements IterableIterator<StreamRow> {
  protected s: S;
  protected rng = new Rng(0);
  abstract readonly task: "classification" | "regression";
  abstract readonly inputs: number;
  /** Rows (0-based) at which the concept changes abruptly or a gradual change starts; [] when the drift
   * is incremental (a little at every row). */
  abstract readonly driftPoints: readonly number[];

  protected constructor(state: S) {
    this.s = state;
    this.rng.setState(state.rng);
  }

  protected abstract row(): StreamRow;

  next(): IteratorResult<StreamRow> {
    const value = this.row();
    this.s.step++;
    return { value, done: false };
  }
  [Symbol.iterator](): this {
    return this;
  }
  *take(n: number): Generator<StreamRow> {
    for (let i = 0; i < n; i++) yield this.next().value;
  }
  /** Rows produced so far. */
  get step(): number {
    return this.s.step;
  }
  getState(): S {
    return structuredClone({ ...this.s, rng: this.rng.getState() });
  }
  setState(state: S): void {
    this.s = structuredClone(state);
    this.rng.setState(state.rng);
  }

  /** `n` uniform values in [0, 1) (or scaled), rounded to float32 as the row will hold them. */
  protected uniforms(n: number, high = 1): Float32Array {
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = this.rng.next() * high;
    return x;
  }
  /** The label flipped with probability `p` (one draw always, so the stream does not depend on p). */
  protected noisy(y: number, p: number): number {
    return this.rng.next() < p ? 1 - y : y;
  }
}

export const SEED: NumberSpec = { kind: "number", default: 0, doc: "Seed of the stream's Rng." };
export const PROBABILITY = (def: number, doc: string): NumberSpec => ({
  kind: "number",
  min: 0,
  max: 1,
  default: def,
  doc,
});
export const COUNT = (def: number, doc: string, min = 1): NumberSpec => ({
  kind: "number",
  integer: true,
  min,
  default: def,
  doc,
});
