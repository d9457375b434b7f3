/**
 * The task-free protocol: the tasks' rows as one stream, with no boundary announced to the strategy;
 * the runner still measures at each hidden boundary.
 */
import type { Sequential } from "../nn/sequential.js";
import { ConfigError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import type { LabeledData } from "../train/evaluate.js";
import type { Observer } from "../train/events.js";
import { fit, type TrainingState } from "../train/fit.js";
import { headLoss } from "./heads.js";
import type { RunSettings } from "./run-types.js";
import { concatData, gather, type Strategy, type TaskContext } from "./strategy.js";
import type { Task, TaskStream } from "./streams.js";

/**
 * A task-free run: the tasks' rows arrive as one stream (each task's rows shuffled and repeated `epochs`
 * times, tasks in order) in a single unshuffled pass of `fit`, and the strategy is told nothing about
 * boundaries. The runner still measures at each hidden boundary (after the first step that consumes
 * the task's last row). The head masks nothing a task boundary would reveal: class-incremental uses
 * every unit. Materialises epochs × rows of input: fine for the digits, heavy for long permuted streams.
 */
export function runTaskFree(
  strategy: Strategy,
  model: Sequential,
  train: TaskStream,
  cfg: RunSettings,
  rng: Rng,
  measured: number,
  measure: (task: number) => void,
  checkpoint: { every: number; save(s: TrainingState): void } | undefined,
  resume: TrainingState | undefined,
  watchers: readonly Observer[],
): void {
  if (!strategy.taskFree)
    throw new ConfigError(
      `strategy: ${strategy.name} needs task boundaries; on a task-free stream use one with taskFree set (naive, replay, derpp, erAce)`,
      { field: "strategy" },
    );
  if (train.scenario === "task")
    throw new ConfigError(
      "scenario: a task-free stream cannot be task-incremental (that needs the task identity)",
      { field: "scenario" },
    );
  const blocks: LabeledData[] = [];
  const ends: number[] = [];
  let rows = 0;
  train.tasks.forEach((task, i) => {
    const order = new Rng(cfg.seed).fork(`task-free ${i}`);
    for (let e = 0; e < cfg.epochs; e++) blocks.push(gather(task, order.permutation(task.labels.length)));
    rows += task.labels.length * cfg.epochs;
    ends.push(rows);
  });
  const data = concatData(blocks);
  const last = train.tasks.length - 1;
  const whole: Task = {
    index: 0,
    name: "stream",
    x: data.x,
    y: data.y,
    labels: new Int32Array(0),
    classes: train.tasks.flatMap((t) => t.classes),
  };
  const ctx: TaskContext = {
    model,
    stream: train,
    task: whole,
    taskIndex: 0,
    seen: [whole],
    loss: headLoss(train, last),
    batchSize: cfg.batchSize,
    rng,
    taskFree: true,
  };
  let next = measured;
  const boundaries: Observer = {
    wantsGradients: () => false,
    onBatchEnd: (event) => {
      const consumed = Math.min(event.step * cfg.batchSize, rows);
      while (next < ends.length && consumed >= ends[next]) measure(next++);
    },
  };
  const observer = strategy.observer?.(ctx);
  fit(model, data, {
    epochs: 1,
    batchSize: cfg.batchSize,
    optimizer: cfg.optimizer,
    loss: ctx.loss,
    seed: cfg.seed * 1009,
    shuffle: false,
    observers: [...(observer ? [observer] : []), boundaries, ...watchers],
    checkpoint,
    resume,
  });
}
