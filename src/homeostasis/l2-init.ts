import { quadraticPenalty } from "../losses/penalties.js";
import type { TrainingControl } from "../train/events.js";
import type { Regulator } from "./regulator.js";
import { defineKind } from "../config/registry.js";
import type { OptionSchema } from "../config/options.js";

/** Options of `l2Init` (Kumar et al. 2023). */
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
 * fit(model, data, { ...opts, observers: [l2Init({ lambda: 1e-3 })] });
 */
export function l2Init(opts: L2InitOptions = {}): Regulator {
  const lambda = opts.lambda ?? OPTIONS.lambda.default;
  let initial: Record<string, Float32Array> | null = null;
  return {
    name: "l2Init",
    stateKey: "l2Init",
    wantsGradients: () => false,
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

const OPTIONS = {
  lambda: { kind: "number", default: 1e-3, min: 0, doc: "strength λ of λ ‖θ − θ₀‖²" },
} as const satisfies OptionSchema;

/** `{"type": "l2Init", …}` in a run config's `homeostasis` list. */
export const l2InitKind = defineKind({
  name: "l2Init",
  doc: "L2-Init (Kumar et al. 2023): the loss gains λ ‖θ − θ₀‖², θ₀ the weights when training began.",
  options: OPTIONS,
  create: (o) => l2Init(o),
});
