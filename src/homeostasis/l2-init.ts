import { quadraticPenalty } from "../continual/strategy.js";
import type { TrainingControl } from "../train/events.js";
import type { Regulator } from "./regulator.js";

export interface L2InitOptions {
  /** Strength λ of λ ‖θ − θ₀‖². */
  lambda?: number;
}

/**
 * L2-Init (Kumar et al. 2023, "Maintaining plasticity in continual learning via regenerative
 * regularization"): the loss gains λ ‖θ − θ₀‖², θ₀ being the weights when training first began. Unlike
 * weight decay it pulls towards a trainable starting point, not towards zero.
 *
 * @example
 * fit(model, data, { ..., observers: [l2Init({ lambda: 1e-3 })] });
 */
export function l2Init(opts: L2InitOptions = {}): Regulator {
  const lambda = opts.lambda ?? 1e-3;
  let initial: Record<string, Float32Array> | null = null;
  return {
    name: "l2Init",
    stateKey: "l2Init",
    getState: () => initial,
    setState: (s) => {
      initial = s as Record<string, Float32Array> | null;
    },
    onTrainBegin(control: TrainingControl) {
      initial ??= Object.fromEntries(
        control.parameters.map(([n, t]) => [n, (t.data as Float32Array).slice()]),
      );
    },
    lossTerm: ({ parameters }) =>
      quadraticPenalty(parameters, new Map(Object.entries(initial!)), null, lambda),
  };
}
