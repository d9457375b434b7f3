import { Rng } from "../tensor/rng.js";
import type { TrainingControl } from "../train/events.js";
import type { Regulator } from "./regulator.js";
import { flushDenormals } from "./units.js";

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
 * fit(model, data, { ..., observers: [shrinkPerturb({ shrink: 1e-4, noise: 1e-4 })] });
 */
export function shrinkPerturb(opts: ShrinkPerturbOptions = {}): Regulator {
  const keep = 1 - (opts.shrink ?? 1e-4);
  const noise = opts.noise ?? 1e-4;
  const rng = new Rng(opts.seed ?? 0).fork("shrink-perturb");
  return {
    name: "shrinkPerturb",
    stateKey: "shrinkPerturb",
    getState: () => rng.getState(),
    setState: (s) => rng.setState(s as ReturnType<Rng["getState"]>),
    onBatchEnd(_e, control: TrainingControl) {
      for (const [, p] of control.parameters) {
        const d = p.data;
        for (let i = 0; i < d.length; i++) d[i] = keep * d[i] + noise * rng.normal();
        flushDenormals(d);
      }
    },
  };
}
