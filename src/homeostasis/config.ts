/**
 * The `homeostasis` section of a run config: a list of regulators, each `{"type": …, …options}`.
 * Unknown types or keys and out-of-range values are ConfigErrors naming the field.
 */
import { ConfigError } from "../tensor/errors.js";
import { checkKeys, expectObject, type NumberRule, type Obj, optNumber, optString } from "../tensor/fields.js";
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
  synapticScaling: { options: { target: positive, alpha: positive, rate: fraction, maxStep: fraction, warmup: count }, create: synapticScaling },
  intrinsicPlasticity: { options: { targetMean: { min: 0 }, targetStd: positive, rate: fraction, statsRate: fraction, warmup: count }, create: intrinsicPlasticity },
  redo: { options: { tau: { min: 0, max: 1 }, every: count, seed }, create: redo },
  continualBackprop: { options: { replacementRate: fraction, maturity: count, decay: { above: 0, max: 0.9999 }, seed }, create: continualBackprop },
  shrinkPerturb: { options: { shrink: { min: 0, max: 0.5 }, noise: { min: 0 }, seed }, create: shrinkPerturb },
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
  if (!Array.isArray(raw)) throw new ConfigError(`${field}: expected a list of regulators like [{"type": "continualBackprop"}]; types: ${REGULATOR_TYPES.join(", ")}`, { field });
  return raw.map((r, i) => {
    const f = `${field}[${i}]`;
    const obj: Obj = typeof r === "string" ? { type: r } : expectObject(r, f);
    const type = optString(obj, "type", f, REGULATOR_TYPES) as RegulatorType | undefined;
    if (type === undefined) throw new ConfigError(`${f}.type: missing; expected one of ${REGULATOR_TYPES.join(", ")}`, { field: `${f}.type` });
    const spec: { options: Record<string, NumberRule> } = SPECS[type];
    checkKeys(obj, ["type", ...Object.keys(spec.options)], f);
    const options: Record<string, number> = {};
    for (const [key, rule] of Object.entries(spec.options)) {
      const v = optNumber(obj, key, f, rule);
      if (v !== undefined) options[key] = v;
    }
    return { type, options };
  });
}

/** A fresh regulator for a validated choice. */
export function createRegulator(choice: RegulatorChoice): Regulator {
  return (SPECS[choice.type].create as (o: Record<string, number>) => Regulator)(choice.options);
}
