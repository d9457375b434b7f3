/**
 * The `homeostasis` section of a run config: a list of regulators, each `{"type": …, …options}` or a bare
 * name, drawn from the `regulators` registry. A user's own regulator is one `regulators.register(kind)`
 * away from being named in a run config. Unknown types or keys and out-of-range values are ConfigErrors
 * naming the field.
 */
import { expectObject, parseOptions } from "../config/options.js";
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

/**
 * A config's `vitals` section, the budgets in plain terms (`{"forgettingBudget": 0.05, "deadUnits": 0.02}`),
 * as the `vitals` regulator at the end of the regulators (absent: the list as it is). Beside a
 * `{"type": "vitals"}` entry of the list it is an error: the budgets are said in one place.
 *
 * @example
 * withVitals(parseRegulators(["redo"]), { deadUnits: 0.02 }).map((r) => r.type); // ["redo", "vitals"]
 */
export function withVitals(
  list: RegulatorChoice[],
  raw: unknown,
  field = "vitals",
  listField = "homeostasis",
): RegulatorChoice[] {
  if (raw === undefined) return list;
  const obj = expectObject(raw, field);
  if (list.some((r) => r.type === vitalsKind.name))
    throw new ConfigError(
      `${field}: ${listField} already holds {"type": "vitals"}; give the loop's budgets in one of the two places`,
      { field },
    );
  return [...list, { type: vitalsKind.name, options: parseOptions(obj, vitalsKind.options, field) }];
}

/** A fresh regulator for a validated choice (options left out take the regulator's defaults). */
export function createRegulator(choice: RegulatorChoice): Regulator {
  return regulators.create(choice);
}
