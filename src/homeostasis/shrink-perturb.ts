import { Rng } from "../tensor/rng.js";
import type { TrainingControl } from "../train/events.js";
import type { Regulator } from "./regulator.js";
import { DENORMAL_FLUSH } from "./units.js";
import { defineKind } from "../config/registry.js";
import type { OptionSchema } from "../config/options.js";

/** Options of `shrinkPerturb` (Ash & Adams 2020). */
export interface ShrinkPerturbOptions {
  /** Fraction of each weight removed per step: θ ← (1 − shrink) θ + noise · ε. */
  shrink?: number;
  /** Standard deviation of the Gaussian noise ε added per step. */
  noise?: number;
  seed?: number;
}

/**
 * Shrink-and-perturb (Ash & Adams 2020, "On warm-starting neural network training"), applied a little at
 * every step as Dohare et al. (2024) do for continual learning: θ ← (1 − shrink) θ + noise · N(0, 1).
 * Shrinking keeps weights from growing without bound; the noise keeps units from freezing.
 *
 * @example
 * fit(model, data, { ...opts, observers: [shrinkPerturb({ shrink: 1e-4, noise: 1e-4 })] });
 */
export function shrinkPerturb(opts: ShrinkPerturbOptions = {}): Regulator {
  const keep = 1 - (opts.shrink ?? OPTIONS.shrink.default);
  const noise = opts.noise ?? OPTIONS.noise.default;
  const rng = new Rng(opts.seed ?? OPTIONS.seed.default).fork("shrink-perturb");
  return {
    name: "shrinkPerturb",
    stateKey: "shrinkPerturb",
    wantsGradients: () => false,
    getState: () => rng.getState(),
    setState: (s) => rng.setState(s as ReturnType<Rng["getState"]>),
    onBatchEnd(_e, control: TrainingControl) {
      for (const [, p] of control.parameters) {
        const d = p.data;
        // One pass: each weight is flushed as it is stored (the test flushDenormals makes, read back).
        for (let i = 0; i < d.length; i++) {
          d[i] = keep * d[i] + noise * rng.normal();
          if (d[i] !== 0 && Math.abs(d[i]) < DENORMAL_FLUSH) d[i] = 0;
        }
      }
    },
  };
}

const OPTIONS = {
  shrink: {
    kind: "number",
    default: 1e-4,
    min: 0,
    max: 0.5,
    doc: "fraction of each weight removed per step",
  },
  noise: { kind: "number", default: 1e-4, min: 0, doc: "standard deviation of the noise added per step" },
  seed: { kind: "number", default: 0, integer: true, min: 0, doc: "seed of the noise" },
} as const satisfies OptionSchema;

/** `{"type": "shrinkPerturb", …}` in a run config's `homeostasis` list. */
export const shrinkPerturbKind = defineKind({
  name: "shrinkPerturb",
  doc: "Shrink-and-perturb (Ash & Adams 2020), a little every step: θ ← (1 − shrink) θ + noise · N(0, 1).",
  options: OPTIONS,
  create: (o) => shrinkPerturb(o),
});
