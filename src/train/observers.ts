import type { Metrics } from "./events.js";
import type { Observer } from "./events.js";

export interface EarlyStoppingOptions {
  /** "validation.loss" (default when there is validation data), "train.loss", "validation.accuracy", … */
  monitor?: string;
  /** Epochs without improvement before stopping. Default 5. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /** Put back the weights of the best epoch when stopping or at the end. Default true. */
  restoreBestWeights?: boolean;
}

/**
 * Stop when the monitored metric has not improved for `patience` epochs (Keras' EarlyStopping).
 * Losses improve downwards, accuracies upwards.
 *
 * @example
 * fit(model, data, { ...opts, validationSplit: 0.1, observers: [earlyStopping({ patience: 3 })] });
 */
export function earlyStopping(opts: EarlyStoppingOptions = {}): Observer & { bestEpoch: () => number } {
  const patience = opts.patience ?? 5;
  const minDelta = opts.minDelta ?? 0;
  const restore = opts.restoreBestWeights ?? true;
  let best = NaN;
  let bestEpoch = -1;
  let wait = 0;
  let bestWeights: Float32Array[] | null = null;
  const read = (m: { train: Metrics; validation?: Metrics }): number => {
    const key = opts.monitor ?? (m.validation ? "validation.loss" : "train.loss");
    const [part, name] = key.split(".") as ["train" | "validation", keyof Metrics];
    const v = m[part]?.[name];
    if (v === undefined) throw new Error(`earlyStopping: metric "${key}" is not computed in this run`);
    return v;
  };
  const higherIsBetter = opts.monitor?.endsWith("accuracy") ?? false;
  return {
    stateKey: "earlyStopping",
    // Epoch metrics only, so fit need not copy the gradients for it.
    wantsGradients: () => false,
    getState: () => ({ best, bestEpoch, wait, bestWeights }),
    setState(s: unknown) {
      ({ best, bestEpoch, wait, bestWeights } = s as {
        best: number;
        bestEpoch: number;
        wait: number;
        bestWeights: Float32Array[] | null;
      });
    },
    bestEpoch: () => bestEpoch,
    onEpochEnd(e, control) {
      const v = read(e);
      const improved = Number.isNaN(best) || (higherIsBetter ? v > best + minDelta : v < best - minDelta);
      if (improved) {
        best = v;
        bestEpoch = e.epoch;
        wait = 0;
        if (restore) bestWeights = control.parameters.map(([, t]) => (t.data as Float32Array).slice());
      } else if (++wait >= patience) {
        control.stop(
          `early stopping: ${opts.monitor ?? "loss"} did not improve for ${patience} epochs (best ${best.toPrecision(4)} at epoch ${bestEpoch + 1})`,
        );
      }
    },
    onTrainEnd(_h, control) {
      if (restore && bestWeights) control.parameters.forEach(([, t], i) => t.data.set(bestWeights![i]));
    },
  };
}
