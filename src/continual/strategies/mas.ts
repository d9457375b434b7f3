import * as F from "../../autograd/functional.js";
import * as op from "../../autograd/ops.js";
import { activeUnits, selectUnits } from "../heads.js";
import {
  mapFromState,
  mapToState,
  meanOfPerSample,
  penaltyObserver,
  snapshotParameters,
  type Strategy,
  toFloat32,
  zerosLike,
} from "../strategy.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

export interface MasOptions {
  /** Penalty strength λ in λ Σ Ω (θ − θ*)². */
  lambda?: number;
  /** Rows of each task over which the importance is averaged. */
  samples?: number;
}

/**
 * Memory aware synapses (Aljundi et al. 2018, "Memory Aware Synapses: Learning what (not) to forget"):
 * a weight's importance is the mean over a task's rows of |∂ ‖f(x)‖² / ∂θ|, f being the logits of the
 * task's active units (its head in task-incremental learning). Needs no labels. Importances add up over
 * tasks; later tasks pay λ Σ Ω (θ − θ*)² with θ* the weights at the end of the latest task.
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: { type: "mas", lambda: 1 } }));
 */
export function mas(opts: MasOptions = {}): Strategy {
  const lambda = opts.lambda ?? OPTIONS.lambda.default;
  const samples = opts.samples ?? OPTIONS.samples.default;
  let omega: Map<string, Float64Array> | null = null;
  let importance: Map<string, Float32Array> | null = null;
  let anchor: Map<string, Float32Array> | null = null;
  return {
    name: "mas",
    observer: () => penaltyObserver(importance, anchor, lambda),
    getState: () => ({
      omega: mapToState(omega),
      importance: mapToState(importance),
      anchor: mapToState(anchor),
    }),
    setState: (s) => {
      const o = s as Record<string, unknown>;
      [omega, importance, anchor] = [
        mapFromState(o.omega),
        mapFromState(o.importance),
        mapFromState(o.anchor),
      ];
    },
    onTaskEnd: (ctx) => {
      const units = activeUnits(ctx.stream, ctx.taskIndex, ctx.task);
      const fresh = meanOfPerSample(ctx, samples, (z) => op.sum(F.square(selectUnits(z, units))), Math.abs);
      omega ??= zerosLike(ctx.model);
      for (const [name, o] of omega) {
        const f = fresh.get(name)!;
        for (let j = 0; j < o.length; j++) o[j] += f[j];
      }
      importance = toFloat32(omega);
      anchor = snapshotParameters(ctx.model);
    },
  };
}

const OPTIONS = {
  // Chosen on the validation split (last 15% of the training digits, never the test digits), seed 1, by
  // `bench/continual-experiments.ts --tune --protocols permuted` (all 10 tasks): the grid's best.
  lambda: {
    kind: "number",
    default: 0.01,
    min: 0,
    doc: "penalty strength λ; validation ACC on permuted digits, 10 tasks, λ 0.01/0.1/1: 83.9/76.5/57.3% (split-task wants 0.1, split-domain 1)",
  },
  samples: {
    kind: "number",
    default: 500,
    min: 1,
    integer: true,
    doc: "rows per task for the importance estimate",
  },
} as const satisfies OptionSchema;

/** `{"type": "mas", …}` as a run config's continual strategy. */
export const masKind = defineKind({
  name: "mas",
  doc: "Memory aware synapses (Aljundi et al. 2018): importances from the output norm's sensitivity.",
  options: OPTIONS,
  create: (o) => mas(o),
});
