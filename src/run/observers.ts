/**
 * What a run config's training sections become in `fit`: its options (schedule, clipping, augmentation)
 * and its observers (health monitor, early stopping, regulators), built the same way for the CLI's
 * `train` and a browser's training job, so the same config trains the same weights in both.
 */
import {
  type BatchTransform,
  chainTransforms,
  randomAffine,
  randomFlip,
  randomShift,
} from "../data/transforms.js";
import { type HealthEvent, type HealthMonitor, healthMonitor } from "../health/index.js";
import { createRegulator } from "../homeostasis/config.js";
import { vitals } from "../homeostasis/vital-loop.js";
import type { Optimizer } from "../optim/optimizers.js";
import type { Observer } from "../train/events.js";
import type { FitOptions } from "../train/fit.js";
import { earlyStopping } from "../train/observers.js";
import { ConfigError } from "../tensor/errors.js";
import type { AugmentConfig, TrainingSections } from "./sections.js";

/**
 * The run config's augmentation: random turns and zooms (with `rotate` or `scale`), random shifts, then
 * (with `flip`) random horizontal flips, over images of the data's shape unless the config says
 * otherwise (28×28×1 when neither says); images that disagree with the data are refused.
 *
 * @example
 * const t = augmentation({ shift: 2, rotate: 10, scale: 0.1, width: 28, height: 28, channels: 1, flip: false });
 */
export function augmentation(
  a: AugmentConfig,
  data?: { shape?: readonly number[]; inputDim: number },
): BatchTransform {
  const [h, w, c] = data?.shape?.length === 3 ? data.shape : [28, 28, 1];
  const [height, width, channels] = [a.height ?? h, a.width ?? w, a.channels ?? c];
  if (data) {
    const given = data.shape ? `[${data.shape.join(", ")}]` : `${data.inputDim} values`;
    if (
      height * width * channels !== data.inputDim ||
      (data.shape && `${[height, width, channels]}` !== `${data.shape}`)
    )
      throw new ConfigError(
        `augment: images of ${height}×${width}×${channels} (height × width × channels) but the data's rows are ${given}`,
        { field: "augment" },
      );
  }
  const steps: BatchTransform[] = [];
  if (a.rotate > 0 || a.scale > 0)
    steps.push(randomAffine(width, height, { rotate: a.rotate, scale: a.scale }, channels));
  if (a.shift > 0 || steps.length === 0) steps.push(randomShift(width, height, a.shift, channels));
  if (a.flip) steps.push(randomFlip(width, height, channels));
  return steps.length === 1 ? steps[0] : chainTransforms(...steps);
}

/**
 * `fit`'s options that the training sections decide (the caller adds data-dependent ones: loss object,
 * validation split, metrics, observers).
 *
 * @example
 * const opts = sectionFitOptions(readTrainingSections(config), optimizer);
 */
export function sectionFitOptions(
  cfg: TrainingSections,
  optimizer: Optimizer,
  data?: { shape?: readonly number[]; inputDim: number },
): Pick<
  FitOptions,
  "epochs" | "batchSize" | "optimizer" | "seed" | "schedule" | "plateau" | "clip" | "augment"
> {
  return {
    epochs: cfg.epochs,
    batchSize: cfg.batchSize,
    optimizer,
    seed: cfg.seed,
    schedule: cfg.schedule,
    plateau: cfg.plateau,
    clip: cfg.clip,
    augment: cfg.augment ? augmentation(cfg.augment, data) : undefined,
  };
}

/** The observers of a run and its monitor (null with `health.monitor` off). */
export interface RunObservers {
  observers: Observer[];
  monitor: HealthMonitor | null;
}

/**
 * The observers the sections ask for, in the order they see each event: health monitor, `between` (the
 * caller's: a progress bar), early stopping, regulators. `onEvent` hears the monitor's events and the
 * vitals loop's findings as they happen.
 *
 * @example
 * const { observers } = runObservers(sections, (e) => console.log(formatEvent(e)));
 */
export function runObservers(
  cfg: TrainingSections,
  onEvent: (e: HealthEvent) => void,
  between: readonly Observer[] = [],
): RunObservers {
  const monitor = cfg.health.monitor
    ? healthMonitor({ repair: cfg.health.repair, seed: cfg.seed, onEvent, detectors: cfg.health.detectors })
    : null;
  const observers: Observer[] = monitor ? [monitor, ...between] : [...between];
  if (cfg.earlyStopping) observers.push(earlyStopping(cfg.earlyStopping));
  // Regulators act after each optimiser step; their state travels in checkpoints under their stateKey.
  observers.push(
    ...cfg.homeostasis.map((r) =>
      r.type === "vitals" ? vitals({ ...r.options, onEvent }) : createRegulator(r),
    ),
  );
  return { observers, monitor };
}
