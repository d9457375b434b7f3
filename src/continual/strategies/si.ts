import {
  mapFromState,
  mapToState,
  snapshotParameters,
  type Strategy,
  zerosLike,
  toFloat32,
} from "../strategy.js";
import { quadraticPenalty } from "../../losses/penalties.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

export interface SiOptions {
  /** Penalty strength c in c Σ Ω (θ − θ*)². */
  c?: number;
  /** Damping ξ in Ω += ω / (Δ² + ξ). */
  xi?: number;
}

/**
 * Synaptic intelligence (Zenke, Poole & Ganguli 2017, "Continual Learning Through Synaptic
 * Intelligence"). During a task, each weight's contribution to the drop in the task loss is summed
 * along the optimisation path, ω_i += −g_i Δθ_i, with g the gradient of the task loss alone (the
 * penalty's own gradient is taken back out, as Zenke's code does). At the task's end,
 * Ω_i += max(0, ω_i) / (Δ_i² + ξ), Δ being the task's total change of the weight; later tasks pay
 * c Σ Ω (θ − θ*)² with θ* the weights at the end of the latest task.
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: { type: "si", c: 1 } }));
 */
export function si(opts: SiOptions = {}): Strategy {
  const c = opts.c ?? OPTIONS.c.default;
  const xi = opts.xi ?? OPTIONS.xi.default;
  let omega: Map<string, Float64Array> | null = null;
  let importance: Map<string, Float32Array> | null = null;
  let anchor: Map<string, Float32Array> | null = null;
  let start = new Map<string, Float32Array>();
  let path = new Map<string, Float64Array>();
  return {
    name: "si",
    // `before` (the weights one step back) is not kept: the observer takes it from the model when training (re)starts.
    getState: () => ({
      omega: mapToState(omega),
      importance: mapToState(importance),
      anchor: mapToState(anchor),
      start: mapToState(start),
      path: mapToState(path),
    }),
    setState: (s) => {
      const o = s as Record<string, unknown>;
      [omega, importance, anchor] = [
        mapFromState(o.omega),
        mapFromState(o.importance),
        mapFromState(o.anchor),
      ];
      [start, path] = [mapFromState<Float32Array>(o.start)!, mapFromState<Float64Array>(o.path)!];
    },
    onTaskStart: (ctx) => {
      start = snapshotParameters(ctx.model);
      path = zerosLike(ctx.model);
    },
    observer: (ctx) => {
      const [w, a] = [importance, anchor];
      let before = snapshotParameters(ctx.model);
      return {
        onTrainBegin: (control) => {
          before = snapshotParameters(control.model);
        },
        lossTerm: ({ parameters }) => (w && a ? quadraticPenalty(parameters, a, w, c) : null),
        // The path integral reads every step's gradients.
        wantsGradients: () => true,
        onBatchEnd: (event, control) => {
          for (const [name, p] of control.parameters) {
            const g = event.grads.get(name)!;
            const [prev, sum, now] = [before.get(name)!, path.get(name)!, p.data];
            const [wi, ai] = [w?.get(name), a?.get(name)];
            for (let i = 0; i < now.length; i++) {
              const taskGrad = wi && ai ? g[i] - 2 * c * wi[i] * (prev[i] - ai[i]) : g[i];
              sum[i] -= taskGrad * (now[i] - prev[i]);
              prev[i] = now[i];
            }
          }
        },
      };
    },
    onTaskEnd: (ctx) => {
      omega ??= zerosLike(ctx.model);
      for (const [name, p] of ctx.model.parameters()) {
        const [o, s, from] = [omega.get(name)!, path.get(name)!, start.get(name)!];
        for (let i = 0; i < o.length; i++) {
          const delta = p.data[i] - from[i];
          o[i] += Math.max(0, s[i]) / (delta * delta + xi);
        }
      }
      importance = toFloat32(omega);
      anchor = snapshotParameters(ctx.model);
    },
  };
}

const OPTIONS = {
  // Chosen on the validation split (last 15% of the training digits, never the test digits), seed 1, by
  // `bench/continual-experiments.ts --tune --protocols permuted` (all 10 tasks): the grid's best.
  c: {
    kind: "number",
    default: 3,
    min: 0,
    doc: "penalty strength c; validation ACC on permuted digits, 10 tasks, Adam 1e-3, c 0.1/1/3/10: 69.5/81.1/84.2/79.6% (the split streams want 10; permuted digits with SGD 0.05, momentum 0.9, c 3)",
  },
  xi: {
    kind: "number",
    default: 0.1,
    min: 0,
    minExclusive: true,
    doc: "damping ξ (0.1, van de Ven et al. 2022)",
  },
} as const satisfies OptionSchema;

/** `{"type": "si", …}` as a run config's continual strategy. */
export const siKind = defineKind({
  name: "si",
  doc: "Synaptic intelligence (Zenke et al. 2017): importances from each weight's contribution along its path.",
  options: OPTIONS,
  create: (o) => si(o),
});
