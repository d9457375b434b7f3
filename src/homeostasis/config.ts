/**
 * The `homeostasis` section of a run config: a list of regulators, each `{"type": …, …options}`.
 * Unknown types or keys and out-of-range values are ConfigErrors naming the field.
 */
import { ConfigError } from "../tensor/errors.js";
import { type NumberRule, parseTyped } from "../tensor/fields.js";
import { continualBackprop } from "./cbp.js";
import { intrinsicPlasticity } from "./intrinsic.js";
import { l2Init } from "./l2-init.js";
import { redo } from "./redo.js";
import type { Regulator } from "./regulator.js";
import { synapticScaling } from "./scaling.js";
import { shrinkPerturb } from "./shrink-perturb.js";

const positive: NumberRule = { above: 0 };
const fraction: NumberRule = { above: 0, max: 1 };
const count: NumberRule = { integer: true, min: 1 };
const seed: NumberRule = { integer: true, min: 0 };

const SPECS = {
  synapticScaling: {
    options: {
      target: positive,
      alpha: positive,
      rate: fraction,
      maxStep: fraction,
      warmup: count,
      maxGain: { min: 1 },
    },
    create: synapticScaling,
  },
  intrinsicPlasticity: {
    options: {
      targetMean: { min: 0 },
      targetStd: positive,
      rate: fraction,
      statsRate: fraction,
      warmup: count,
    },
    create: intrinsicPlasticity,
  },
  redo: { options: { tau: { min: 0, max: 1 }, every: count, seed }, create: redo },
  continualBackprop: {
    options: { replacementRate: fraction, maturity: count, decay: { above: 0, max: 0.9999 }, seed },
    create: continualBackprop,
  },
  shrinkPerturb: {
    options: { shrink: { min: 0, max: 0.5 }, noise: { min: 0 }, seed },
    create: shrinkPerturb,
  },
  l2Init: { options: { lambda: { min: 0 } }, create: l2Init },
} as const satisfies Record<string, { options: Record<string, NumberRule>; create: (o: never) => Regulator }>;

export type RegulatorType = keyof typeof SPECS;
export const REGULATOR_TYPES = Object.keys(SPECS) as RegulatorType[];

export interface RegulatorChoice {
  type: RegulatorType;
  options: Record<string, number>;
}

/** Validate a `homeostasis` list (absent: no regulators). */
export function parseRegulators(raw: unknown, field = "homeostasis"): RegulatorChoice[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new ConfigError(
      `${field}: expected a list of regulators like [{"type": "continualBackprop"}]; types: ${REGULATOR_TYPES.join(", ")}`,
      { field },
    );
  const rules = Object.fromEntries(
    REGULATOR_TYPES.map((t) => [t, SPECS[t].options as Record<string, NumberRule>]),
  ) as Record<RegulatorType, Record<string, NumberRule>>;
  return raw.map((r, i) => parseTyped(r, `${field}[${i}]`, rules));
}

/** A fresh regulator for a validated choice. */
export function createRegulator(choice: RegulatorChoice): Regulator {
  return (SPECS[choice.type].create as (o: Record<string, number>) => Regulator)(choice.options);
}
