/**
 * SI's path integral step by step, driving its observer's hooks by hand: ω_i −= g_i·(θ_i − θ_i at the
 * previous step), the previous step's weights taken again when training (re)starts, and at the task's end
 * Ω_i += max(0, ω_i) / (Δ_i² + ξ) with Δ the change since the task started. Expected values are computed
 * in float64 from the weights set here.
 */
import assert from "node:assert/strict";
import test from "node:test";
import { si, type TaskContext } from "../src/continual/index.js";
import type { BatchEvent, TrainingControl } from "../src/train/events.js";
import { near, softmaxLayer } from "./helpers/continual.js";

/** Every weight of the model (weights, then biases) as one float32-rounded vector, and setting it. */
const flat = (ctx: TaskContext): number[] => ctx.model.parameters().flatMap(([, t]) => Array.from(t.data));
function setFlat(ctx: TaskContext, v: readonly number[]): void {
  let at = 0;
  for (const [, t] of ctx.model.parameters()) {
    t.data.set(v.slice(at, at + t.size));
    at += t.size;
  }
}

/** A batch's end as fit reports it: the gradients `g` (weights, then biases) and the model's parameters. */
function batchEnd(ctx: TaskContext, g: readonly number[]): [BatchEvent, TrainingControl] {
  const grads = new Map<string, Float32Array>();
  let at = 0;
  for (const [name, t] of ctx.model.parameters()) {
    grads.set(name, Float32Array.from(g.slice(at, at + t.size)));
    at += t.size;
  }
  return [
    { grads } as unknown as BatchEvent,
    { parameters: ctx.model.parameters(), model: ctx.model } as never,
  ];
}

const f32 = (v: number[]): number[] => v.map((x) => Math.fround(x));

test("SI's path integral: −g·Δθ per step from the weights one step back, taken afresh when training starts; Ω = max(0, ω) / (Δ² + ξ)", () => {
  const [c, xi] = [2, 0.1];
  const ctx = { model: softmaxLayer(2, 3, 5) } as unknown as TaskContext; // SI reads only the model
  const strategy = si({ c, xi });
  strategy.onTaskStart!(ctx);
  const start = flat(ctx);
  const observer = strategy.observer!(ctx)!;
  // The weights change between the observer's creation and training's start (a checkpoint's weights loaded):
  // the first step's Δθ is from these, not from those at creation.
  const loaded = f32(start.map((v, i) => v + 0.5 * Math.cos(i)));
  setFlat(ctx, loaded);
  observer.onTrainBegin!({ model: ctx.model } as never);
  const steps = [
    { g: [0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.6, -0.3, 0.05], move: (i: number) => 0.1 * Math.sin(i + 1) },
    { g: [-0.1, 0.4, 0.2, -0.5, 0.3, 0.1, -0.2, 0.2, -0.6], move: (i: number) => -0.07 * Math.cos(2 * i) },
  ];
  const path = new Array<number>(9).fill(0);
  let prev = loaded;
  for (const { g, move } of steps) {
    const now = f32(prev.map((v, i) => v + move(i)));
    setFlat(ctx, now);
    observer.onBatchEnd!(...batchEnd(ctx, g));
    now.forEach((v, i) => {
      path[i] -= Math.fround(g[i]) * (v - prev[i]);
    });
    prev = now;
  }
  assert.ok(
    path.some((p) => p < 0) && path.some((p) => p > 0),
    "some weights moved against the loss's descent, some with it",
  );
  const state = strategy.getState!() as { path: Record<string, Float64Array>; omega: unknown };
  const got = [...state.path["0.weight"], ...state.path["0.bias"]];
  got.forEach((v, i) => near(v, path[i], 1e-5, `ω[${i}]`));

  strategy.onTaskEnd!(ctx);
  const omega = (strategy.getState!() as { omega: Record<string, Float64Array> }).omega;
  const want = path.map((p, i) => Math.max(0, p) / ((prev[i] - start[i]) ** 2 + xi));
  [...omega["0.weight"], ...omega["0.bias"]].forEach((v, i) => near(v, want[i], 1e-5, `Ω[${i}]`));
});
