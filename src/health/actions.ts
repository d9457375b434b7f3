/**
 * The repairs detectors may ask for, as small actions over the training loop's capabilities: roll back
 * to a healthy snapshot, scale the learning rate, clip gradients, rescale a layer (LSUV), re-initialise
 * dead units. Each returns the events that say what it did.
 */
import type { BatchEvent, TrainingControl } from "../train/events.js";
import type { HealthEvent } from "./findings.js";
import { type LayerInfo, resetDeadWindow } from "./observer.js";
import { lsuv, reinitUnits, restoreSnapshot } from "./repairs.js";
import { type MonitorState, withRng } from "./state.js";

/** Learning-rate factors of the repairs: hard after a blow-up, gentle for a stall or a wobble. */
export const LR_CUT_HARD = 0.1;
export const LR_CUT_SOFT = 0.5;
/** Clipping threshold over the typical gradient norm: it should stop spikes, not slow ordinary steps. */
export const CLIP_HEADROOM = 5;

/** What a repair may act on: the loop's capabilities, the step and its batch, and the monitor's state. */
export interface RepairContext {
  readonly control: TrainingControl;
  readonly step: number;
  readonly batch: BatchEvent["batch"];
  readonly state: MonitorState;
  readonly layers: readonly LayerInfo[];
}

/** Put back the last healthy snapshot's weights and optimiser state (no event when there is none). */
export function rollback(ctx: RepairContext): HealthEvent[] {
  const to = restoreSnapshot(ctx.state.snapshots, ctx.control);
  if (to === null) return [];
  return [
    {
      step: ctx.step,
      kind: "rollback",
      evidence: { toStep: to },
      diagnosis: `weights and optimiser state put back to step ${to}, the last healthy snapshot`,
      action: "rolled back",
      repaired: true,
    },
  ];
}

/**
 * Multiply the learning rate by `factor` from this step on; the event says by how much and where it now stands.
 */
export function scaleLearningRate(ctx: RepairContext, factor: number): HealthEvent {
  const { control } = ctx;
  control.scaleLearningRate(factor);
  return {
    step: ctx.step,
    kind: factor < 1 ? "learningRateCut" : "learningRateRaise",
    evidence: { factor, scale: control.learningRateScale },
    diagnosis: `learning rate multiplied by ${factor} (now ${control.learningRateScale.toPrecision(3)}× the configured schedule)`,
    action: factor < 1 ? "cut the learning rate" : "raised the learning rate",
    repaired: true,
  };
}

/**
 * Roll back to the last healthy snapshot, then multiply the learning rate by `factor` (a divergence's repair).
 */
export const rollbackAndCut = (ctx: RepairContext, factor: number): HealthEvent[] => [
  ...rollback(ctx),
  scaleLearningRate(ctx, factor),
];

/** Turn on gradient-norm clipping at `maxNorm` from this step on (an exploding gradient's repair). */
export function clipAt(control: TrainingControl, step: number, maxNorm: number): HealthEvent {
  control.setClipNorm(maxNorm);
  return {
    step,
    kind: "gradientClipping",
    evidence: { maxNorm },
    diagnosis: `global-norm gradient clipping turned on at ${maxNorm.toPrecision(3)} (${CLIP_HEADROOM}× the typical gradient norm)`,
    action: "clipping on",
    repaired: true,
  };
}

/** Bring each Dense layer's pre-activations on this batch back to unit spread (LSUV, Mishkin & Matas 2016). */
export const rescaleLayers = (ctx: RepairContext): HealthEvent[] =>
  lsuv(ctx.control.model, ctx.batch.x, 1.5).map((r) => ({
    step: ctx.step,
    kind: "weightRescale",
    layer: r.layer,
    evidence: { factor: r.factor, preActivationStd: r.preActivationStd },
    diagnosis: `weights of layer ${r.layer} scaled by ${r.factor.toPrecision(3)}: its pre-activations had spread ${r.preActivationStd.toPrecision(3)}, now 1 (LSUV)`,
    action: "rescaled the layer",
    repaired: true,
  }));

/** Re-initialise the units of `layer` found dead when the last window closed (null: none to re-initialise). */
export function reinitDeadUnits(ctx: RepairContext, layer: string | undefined): (() => HealthEvent[]) | null {
  const k = ctx.layers.findIndex((l) => l.name === layer);
  const dead = k >= 0 ? ctx.state.layers[k].deadUnits : [];
  if (dead.length === 0) return null;
  const info = ctx.layers[k];
  return () => {
    withRng(ctx.state, (rng) => reinitUnits(ctx.control, info.index, dead, rng));
    resetDeadWindow(ctx.state);
    return [
      {
        step: ctx.step,
        kind: "unitReinit",
        layer: info.name,
        evidence: { units: dead.length },
        diagnosis: `${dead.length} dead units of layer ${info.name} re-initialised (fresh incoming weights, zero bias, zero outgoing weights)`,
        action: "re-initialised dead units",
        repaired: true,
      },
    ];
  };
}
