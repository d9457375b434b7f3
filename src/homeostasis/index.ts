/**
 * Homeostasis: regulators that keep a network plastic over a long life (synaptic scaling, intrinsic
 * plasticity, dormant-unit recycling, continual backprop, shrink-and-perturb, L2-Init), and the balance
 * measures that show whether it stays so.
 */
export type { Regulator } from "./regulator.js";
export { synapticScaling, type SynapticScalingOptions } from "./scaling.js";
export { intrinsicPlasticity, type IntrinsicPlasticityOptions } from "./intrinsic.js";
export { redo, type RedoOptions } from "./redo.js";
export { continualBackprop, type ContinualBackpropOptions } from "./cbp.js";
export { shrinkPerturb, type ShrinkPerturbOptions } from "./shrink-perturb.js";
export { l2Init, type L2InitOptions } from "./l2-init.js";
export { balanceMeasures, type LayerBalance, representationRank } from "./balance.js";
export { hiddenLayers, replaceUnit, resetMoments, flushDenormals, type HiddenLayer } from "./units.js";
export {
  createRegulator,
  parseRegulators,
  regulators,
  type RegulatorChoice,
  type RegulatorType,
} from "./config.js";
export { synapticScalingKind } from "./scaling.js";
export { intrinsicPlasticityKind } from "./intrinsic.js";
export { redoKind } from "./redo.js";
export { continualBackpropKind } from "./cbp.js";
export { shrinkPerturbKind } from "./shrink-perturb.js";
export { l2InitKind } from "./l2-init.js";
export { vitals, vitalsKind, type VitalsRegulator } from "./vital-loop.js";
export { type VitalsOptions, VITALS_OPTIONS } from "./vital-options.js";
export { PLASTICITY_REMEDIES, type Remedy } from "./vital-remedies.js";
