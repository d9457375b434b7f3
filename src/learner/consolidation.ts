/**
 * Task-free consolidation: a strategy that needs task boundaries (online EWC) is told "a task ended"
 * whenever the drift detector fires, with the replay memory standing in for the task's rows. Its
 * penalty then joins every later step as a training observer.
 */
import type { Loss } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import { onlineEwc } from "../continual/strategies/online-ewc.js";
import type { Strategy, TaskContext } from "../continual/strategy.js";
import type { StreamKind } from "../continual/streams.js";
import type { Rng } from "../tensor/rng.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Observer } from "../train/events.js";

export interface ConsolidationState {
  strategy: unknown;
  rng: ReturnType<Rng["getState"]>;
  count: number;
}

/**
 * Online EWC (Schwarz et al. 2018) consolidated at each detected drift, on the memory's rows.
 *
 * @example
 * const c = new Consolidation(new Rng(1));
 * c.consolidate(model, { x, y }, crossEntropy); // c.observers() now holds the penalty
 */
export class Consolidation {
  private readonly strategy: Strategy = onlineEwc();
  private observer: Observer | null = null;
  /** Consolidations so far. */
  count = 0;

  constructor(private readonly rng: Rng) {}

  /** The observers a training run takes: the penalty, once a consolidation has set it. */
  observers(): Observer[] {
    return this.observer ? [this.observer] : [];
  }

  /** Consolidate what the model knows of `rows` (one-hot targets), as at the end of a task. */
  consolidate(model: Sequential, rows: { x: Tensor; y: Tensor }, loss: Loss): void {
    const ctx = context(model, rows, loss, this.rng);
    this.strategy.onTaskEnd?.(ctx);
    this.observer = this.strategy.observer?.(ctx) ?? null;
    this.count++;
  }

  /**
   * The head grew: importances and anchors of the grown parameters get zero entries for the new unit
   * (it has learnt nothing to protect yet), the old entries kept.
   */
  grow(model: Sequential): void {
    if (this.count === 0) return;
    const sizes = new Map(model.parameters().map(([name, t]) => [name, t.size]));
    this.strategy.setState?.(pad(this.strategy.getState?.(), sizes));
    this.observer = this.strategy.observer?.(context(model, null, null, this.rng)) ?? null;
  }

  getState(): ConsolidationState {
    return { strategy: this.strategy.getState?.() ?? null, rng: this.rng.getState(), count: this.count };
  }

  setState(state: ConsolidationState, model: Sequential): void {
    this.strategy.setState?.(state.strategy);
    this.rng.setState(state.rng);
    this.count = state.count;
    this.observer =
      this.count > 0 ? (this.strategy.observer?.(context(model, null, null, this.rng)) ?? null) : null;
  }
}

/** Typed arrays keyed by a parameter name, lengthened to that parameter's size (zeros appended). */
function pad(state: unknown, sizes: ReadonlyMap<string, number>, key = ""): unknown {
  if (state instanceof Float32Array || state instanceof Float64Array) {
    const n = sizes.get(key);
    if (n === undefined || n === state.length) return state;
    const out = new (state.constructor as Float32ArrayConstructor)(n);
    out.set(state.subarray(0, Math.min(n, state.length)));
    return out;
  }
  if (state !== null && typeof state === "object" && !Array.isArray(state))
    return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, pad(v, sizes, k)]));
  return state;
}

/** A one-task context over the memory's rows (the strategies read the model, the rows, the loss, the Rng). */
function context(
  model: Sequential,
  rows: { x: Tensor; y: Tensor } | null,
  loss: Loss | null,
  rng: Rng,
): TaskContext {
  const n = rows?.x.shape[0] ?? 0;
  const k = model.outputDim;
  const task = {
    index: 0,
    name: "memory",
    x: rows?.x as Tensor,
    y: rows?.y as Tensor,
    labels: new Int32Array(n),
    classes: Array.from({ length: k }, (_, i) => i),
  };
  const stream = {
    kind: "split" as StreamKind,
    scenario: "class" as const,
    inputDim: model.inputDim,
    outputDim: k,
    tasks: [task],
    unitTask: new Int32Array(k).fill(-1),
  };
  return {
    model,
    stream,
    task,
    taskIndex: 0,
    seen: [task],
    loss: loss as Loss,
    batchSize: n,
    rng,
    taskFree: false,
  };
}
