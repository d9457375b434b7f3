import { lossFromLogits, mapFromState, mapToState, meanOfPerSample, penaltyObserver, type Strategy, type StrategySpec, type TaskContext, toFloat32, zerosLike } from "../strategy.js";

export interface EwcOptions {
  /** Penalty strength λ in (λ/2) Σ F (θ − θ*)². */
  lambda?: number;
  /** Training rows of each task whose per-sample gradients estimate the Fisher diagonal. */
  fisherSamples?: number;
}

/**
 * The diagonal of the empirical Fisher information of the task's masked loss at the current weights:
 * the mean over up to `samples` rows of the squared per-row gradient (true labels, as Avalanche and
 * most reimplementations do; the expected Fisher would need one backward pass per class).
 */
export function fisherDiagonal(ctx: TaskContext, samples: number): Map<string, Float64Array> {
  return meanOfPerSample(ctx, samples, (z, t) => lossFromLogits(ctx.loss, z, t), (g) => g * g);
}

/**
 * Elastic weight consolidation (Kirkpatrick et al. 2017, "Overcoming catastrophic forgetting in neural
 * networks"): after each task k, its Fisher diagonal F_k and weights θ_k; while training later tasks, the
 * penalty (λ/2) Σ_k Σ_i F_k,i (θ_i − θ_k,i)². The sum over tasks is kept as one quadratic with the same
 * gradient, Σ_k F_k · (θ − m)² with m = Σ_k F_k θ_k / Σ_k F_k, so each step costs the same at task 10
 * as at task 2 (the penalty's reported value differs from the per-task sum by a constant).
 *
 * @example
 * runContinual({ ...cfg, strategy: { type: "ewc", options: { lambda: 10 } } });
 */
export function ewc(opts: EwcOptions = {}): Strategy {
  const lambda = opts.lambda ?? ewcSpec.hyper.lambda.default;
  const samples = opts.fisherSamples ?? ewcSpec.hyper.fisherSamples.default;
  let fisherSum: Map<string, Float64Array> | null = null;
  let weighted: Map<string, Float64Array> | null = null;
  let importance: Map<string, Float32Array> | null = null;
  let anchor: Map<string, Float32Array> | null = null;
  return {
    name: "ewc",
    observer: () => penaltyObserver(importance, anchor, lambda / 2),
    getState: () => ({ fisherSum: mapToState(fisherSum), weighted: mapToState(weighted), importance: mapToState(importance), anchor: mapToState(anchor) }),
    setState: (s) => {
      const o = s as Record<string, unknown>;
      [fisherSum, weighted] = [mapFromState(o.fisherSum), mapFromState(o.weighted)];
      [importance, anchor] = [mapFromState(o.importance), mapFromState(o.anchor)];
    },
    onTaskEnd: (ctx) => {
      const f = fisherDiagonal(ctx, samples);
      fisherSum ??= zerosLike(ctx.model);
      weighted ??= zerosLike(ctx.model);
      const mean = new Map<string, Float32Array>();
      for (const [name, p] of ctx.model.parameters()) {
        const [fk, sum, wsum] = [f.get(name)!, fisherSum.get(name)!, weighted.get(name)!];
        const m = new Float32Array(p.size);
        for (let i = 0; i < p.size; i++) {
          sum[i] += fk[i];
          wsum[i] += fk[i] * p.data[i];
          m[i] = sum[i] > 0 ? wsum[i] / sum[i] : p.data[i];
        }
        mean.set(name, m);
      }
      importance = toFloat32(fisherSum);
      anchor = mean;
    },
  };
}

export const ewcSpec: StrategySpec = {
  type: "ewc",
  hyper: {
    // Chosen on the validation split (last 15% of the training digits, never the test digits), seed 1, by
    // `bench/continual-experiments.ts --tune --protocols permuted` (all 10 tasks): the grid's best.
    lambda: { default: 30, min: 0, doc: "penalty strength λ; validation ACC on permuted digits, 10 tasks, Adam 1e-3, λ 10/30/100/1000/10000: 73.1/75.9/72.7/58.0/47.9% (the split streams want 10000; with the permuted protocol's SGD 0.01, momentum 0.9, λ 3)" },
    fisherSamples: { default: 500, min: 1, integer: true, doc: "rows per task for the Fisher diagonal" },
  },
  create: (o) => ewc(o),
};
