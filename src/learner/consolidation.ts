/**
 * Task-free consolidation: a strategy that needs task boundaries (EWC, online EWC, SI, MAS, LwF) is told
 * "a task ended, the next begins" whenever the drift detector fires, with the replay memory standing in
 * for the task's rows. Its observer (a penalty, SI's path integral, LwF's distillation) joins every step.
 */
import type { Loss } from "../losses/losses.js";
import type { Sequential } from "../nn/sequential.js";
import type { Choice } from "../config/registry.js";
import { strategies } from "../continual/strategies/index.js";
import type { Strategy, TaskContext } from "../continual/strategy.js";
import type { StreamKind } from "../continual/streams.js";
import type { Rng } from "../tensor/rng.js";
import type { Tensor } from "../tensor/tensor.js";
import type { Observer } from "../train/events.js";
import { lengthenByName } from "./head.js";

export interface ConsolidationState {
  strategy: unknown;
  rng: ReturnType<Rng["getState"]>;
  count: number;
}

/** The strategies a drift can consolidate: those that act at task boundaries. */
export const CONSOLIDATORS = ["onlineEwc", "ewc", "si", "mas", "lwf"] as const;

/**
 * A boundary strategy (online EWC by default: Schwarz et al. 2018) consolidated at each detected drift,
 * on the memory's rows.
 *
 * @example
 * const c = new Consolidation({ type: "si", options: {} }, new Rng(1));
 * c.begin(model);
 * c.consolidate(model, { x, y }, crossEntropy); // c.observers() holds SI's penalty and path integral
 */
export class Consolidation {
  private readonly strategy: Strategy;
  private observer: Observer | null = null;
  /** Consolidations so far. */
  count = 0;

  constructor(
    choice: Choice,
    private readonly rng: Rng,
  ) {
    this.strategy = strategies.create(choice);
  }

  /** The observers a training run takes: the strategy's, once it has one. */
  observers(): Observer[] {
    return this.observer ? [this.observer] : [];
  }

  /** The first task begins (SI starts its path integral here). */
  begin(model: Sequential): void {
    const ctx = context(model, null, null, this.rng);
    this.strategy.onTaskStart?.(ctx);
    this.observer = this.strategy.observer?.(ctx) ?? null;
  }

  /** Consolidate what the model knows of `rows` (one-hot targets), as at the end of a task; the next begins. */
  consolidate(model: Sequential, rows: { x: Tensor; y: Tensor }, loss: Loss): void {
    const ctx = context(model, rows, loss, this.rng);
    this.strategy.onTaskEnd?.(ctx);
    this.strategy.onTaskStart?.(ctx);
    this.observer = this.strategy.observer?.(ctx) ?? null;
    this.count++;
  }

  /**
   * The head grew: importances and anchors of the grown parameters get zero entries for the new unit
   * (it has learnt nothing to protect yet), the old entries kept.
   */
  grow(model: Sequential): void {
    const params = new Map(model.parameters().map(([name, t]) => [name, t.data as Float32Array]));
    this.strategy.setState?.(lengthenByName(this.strategy.getState?.(), params, "zeros"));
    this.observer = this.strategy.observer?.(context(model, null, null, this.rng)) ?? null;
  }

  getState(): ConsolidationState {
    return { strategy: this.strategy.getState?.() ?? null, rng: this.rng.getState(), count: this.count };
  }

  setState(state: ConsolidationState, model: Sequential): void {
    this.strategy.setState?.(state.strategy);
    this.rng.setState(state.rng);
    this.count = state.count;
    this.observer = this.strategy.observer?.(context(model, null, null, this.rng)) ?? null;
  }
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
