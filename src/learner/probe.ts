/**
 * The learner's probe: the most recent rows, kept raw in a ring, on which the balance measures (dead and
 * dormant units, effective rank of each hidden layer; Dohare et al. 2024, Sokar et al. 2023) are taken
 * every so many rows, and on which the health monitor reads its unit statistics. One row of a batch-1
 * step says nothing about which units are dead; a few hundred recent rows do.
 */
import { balanceMeasures } from "../homeostasis/balance.js";
import type { Sequential } from "../nn/sequential.js";
import type { Tensor } from "../tensor/tensor.js";

/** Plain state: the ring of raw rows, their output units (or targets), and the last measurement. */
export interface ProbeState {
  capacity: number;
  inputs: number;
  size: number;
  next: number;
  x: Float32Array;
  unit: Int32Array;
  target: Float64Array;
  last: BalanceReading | null;
  /** Largest dead fraction of any hidden layer at any measurement so far. */
  worstDead: number;
  readings: number;
}

/** One balance measurement: the row it was taken at and each hidden layer's measures. */
export interface BalanceReading {
  row: number;
  /** Accuracy on (up to 256) remembered rows at that row: how much of the past the network still holds. */
  retention: number | null;
  layers: {
    layer: string;
    units: number;
    deadFraction: number;
    dormantFraction: number;
    effectiveRank: number;
  }[];
}

/** Turns raw rows into a training batch as the learner sees them now (normalised, one-hot or scaled). */
export type BatchMaker = (rows: readonly { x: ArrayLike<number>; unit: number; target: number }[]) => {
  x: Tensor;
  y: Tensor;
};

/**
 * @example
 * const probe = new Probe(256, 784);
 * probe.add(row, 3, 0);
 * probe.measure(model, 1000, (rows) => makeBatch(rows)); // { row: 1000, layers: [{ deadFraction: 0, … }] }
 */
export class Probe {
  private s: ProbeState;

  constructor(capacity: number, inputs: number, state?: ProbeState) {
    this.s = state
      ? structuredClone(state)
      : {
          capacity,
          inputs,
          size: 0,
          next: 0,
          x: new Float32Array(capacity * inputs),
          unit: new Int32Array(capacity),
          target: new Float64Array(capacity),
          last: null,
          worstDead: 0,
          readings: 0,
        };
  }

  get size(): number {
    return this.s.size;
  }
  get last(): BalanceReading | null {
    return this.s.last;
  }
  get worstDead(): number {
    return this.s.worstDead;
  }
  get readings(): number {
    return this.s.readings;
  }
  /** Bytes of its rows. */
  get bytes(): number {
    return this.s.x.byteLength + this.s.unit.byteLength + this.s.target.byteLength;
  }

  /** Keep a row, dropping the oldest when the ring is full. */
  add(x: ArrayLike<number>, unit: number, target: number): void {
    const s = this.s;
    s.x.set(x, s.next * s.inputs);
    s.unit[s.next] = unit;
    s.target[s.next] = target;
    s.next = (s.next + 1) % s.capacity;
    s.size = Math.min(s.size + 1, s.capacity);
  }

  /** The newest `count` rows (all when fewer), oldest first. */
  rows(count = this.s.size): { x: Float32Array; unit: number; target: number }[] {
    const s = this.s;
    const n = Math.min(count, s.size);
    return Array.from({ length: n }, (_, k) => {
      const i = (s.next - n + k + s.capacity) % s.capacity;
      return { x: s.x.subarray(i * s.inputs, (i + 1) * s.inputs), unit: s.unit[i], target: s.target[i] };
    });
  }

  /**
   * Take the balance measures of `model`'s hidden layers on the probe rows; `row` is the learner's row
   * count, `retention` what the learner measured on its memory.
   */
  measure(
    model: Sequential,
    row: number,
    makeBatch: BatchMaker,
    retention: number | null,
  ): BalanceReading | null {
    if (this.s.size === 0) return null;
    const { x } = makeBatch(this.rows());
    const layers = balanceMeasures(model, x).map((b) => ({
      layer: b.layer,
      units: b.units,
      deadFraction: b.deadFraction,
      dormantFraction: b.dormantFraction,
      effectiveRank: b.effectiveRank,
    }));
    const reading = { row, retention, layers };
    this.s.last = reading;
    this.s.readings++;
    for (const l of layers) this.s.worstDead = Math.max(this.s.worstDead, l.deadFraction);
    return reading;
  }

  /** A copy of the state. */
  getState(): ProbeState {
    return structuredClone(this.s);
  }
}
