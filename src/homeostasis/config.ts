/**
 * The `homeostasis` section of a run config: a list of regulators, each `{"type": …, …options}` or a bare
 * name, drawn from the `regulators` registry. A user's own regulator is one `regulators.register(kind)`
 * away from being named in a run config. Unknown types or keys and out-of-range values are ConfigErrors
 * naming the field.
 */
import type { Choice } from "../config/registry.js";
import { Registry } from "../config/registry.js";
import { ConfigError } from "../tensor/errors.js";
import { continualBackpropKind } from "./cbp.js";
import { intrinsicPlasticityKind } from "./intrinsic.js";
import { l2InitKind } from "./l2-init.js";
import { redoKind } from "./redo.js";
import type { Regulator } from "./regulator.js";
import { synapticScalingKind } from "./scaling.js";
import { shrinkPerturbKind } from "./shrink-perturb.js";
import { vitalsKind } from "./vital-loop.js";

/**
 * Every regulator a run config may name, built-in and registered.
 *
 * @example
 * regulators.register(defineKind({ name: "halve", doc: "Halves the first weight once.", options: {},
 *   create: () => ({ name: "halve", stateKey: "halve", getState: () => null, setState: () => {},
 *     onTrainBegin: (c) => { c.parameters[0][1].data[0] /= 2; } }) }));
 * parseRegulators(["halve"]); // [{ type: "halve", options: {} }]
 */
export const regulators = new Registry<Regulator>("regulator", "homeostasis", [
  synapticScalingKind,
  intrinsicPlasticityKind,
  redoKind,
  continualBackpropKind,
  shrinkPerturbKind,
  l2InitKind,
  vitalsKind,
]);

/** A regulator's name, as a run config gives it. */
export type RegulatorType = string;

/** A validated regulator: its name and its options, defaults filled in. */
export type RegulatorChoice = Choice;

/** Validate a `homeostasis` list (absent: no regulators). */
export function parseRegulators(raw: unknown, field = "homeostasis"): RegulatorChoice[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw))
    throw new ConfigError(
      `${field}: expected a list of regulators like [{"type": "continualBackprop"}]; types: ${regulators.names().join(", ")}`,
      { field },
    );
  return raw.map((r, i) => regulators.parse(r, `${field}[${i}]`));
}

/** A fresh regulator for a validated choice (options left out take the regulator's defaults). */
export function createRegulator(choice: RegulatorChoice): Regulator {
  return regulators.create(choice);
}
