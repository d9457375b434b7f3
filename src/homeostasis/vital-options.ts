/**
 * The vitals regulator's options: the budgets a user states in plain terms, and the windows the loop
 * judges over. One schema serves the run config (`{"type": "vitals", "forgettingBudget": 0.05}`, or
 * `"vitals": {"forgettingBudget": 0.05, "deadUnits": 0.02}`) and the function.
 */
import type { OptionSchema, ParsedOptions } from "../config/options.js";
import type { HealthEvent } from "../health/findings.js";

export const VITALS_OPTIONS = {
  forgettingBudget: {
    kind: "number",
    min: 0,
    max: 1,
    default: 0.1,
    doc: "Forgetting tolerated on retained earlier rows (0.1 = 10 accuracy points); 0 turns the memory side off.",
  },
  deadUnits: {
    kind: "number",
    min: 0,
    max: 1,
    optional: true,
    doc: "Dead ReLU units tolerated per hidden layer (0.02 = 2%); beyond it they are re-initialised, the output unchanged. Unset: not held.",
  },
  plasticity: { kind: "boolean", default: true, doc: "Watch for loss of plasticity and remedy it." },
  checkEvery: {
    kind: "number",
    min: 1,
    integer: true,
    default: 20,
    doc: "Steps between two checks of its monitor (in a learner, 100 unless given).",
  },
  window: {
    kind: "number",
    min: 1,
    integer: true,
    default: 20,
    doc: "Checks of the baseline, of the recent window, and before a remedy's verdict.",
  },
  baselineStart: {
    kind: "number",
    min: 0,
    integer: true,
    default: 10,
    doc: "Checks before the baseline is taken.",
  },
  maxRemedies: {
    kind: "number",
    min: 0,
    integer: true,
    default: 3,
    doc: "Plasticity remedies tried at most, until the budget renews (`renewAfter`).",
  },
  renewAfter: {
    kind: "number",
    min: 0,
    integer: true,
    default: 50,
    doc: "Windows in a row without loss of plasticity after which the remedy budget renews: remedies rolled back may be tried again in a later episode (0: never).",
  },
  probeRows: {
    kind: "number",
    min: 16,
    integer: true,
    default: 64,
    doc: "Recent rows the unit statistics are read on.",
  },
  memory: {
    kind: "number",
    min: 1,
    integer: true,
    default: 500,
    doc: "Rows of the stream kept for replay (a reservoir).",
  },
  maxReplay: { kind: "number", min: 0, default: 1, doc: "Most replayed rows per new row." },
  asymmetric: {
    kind: "boolean",
    default: true,
    doc: "Once replay is at one row per new row and forgetting still exceeds the budget, switch its loss to ER-ACE's asymmetric cross-entropy (softmax outputs) before replaying more rows.",
  },
  memoryRemedy: {
    kind: "choice",
    values: ["replay", "consolidation", "both"],
    default: "replay",
    doc: "What forgetting beyond the budget raises: the replay share, the consolidation strength (online EWC), or replay first and then consolidation.",
  },
  strength: {
    kind: "number",
    min: 0,
    minExclusive: true,
    default: 1,
    doc: "The consolidation strength's first step (the importance is scaled to mean 1); each raise multiplies it by 4.",
  },
  maxStrength: { kind: "number", min: 0, default: 64, doc: "The highest consolidation strength." },
  seed: { kind: "number", integer: true, default: 0, doc: "Seeds the reservoir and the replay draws." },
} as const satisfies OptionSchema;

export type VitalsOptions = Partial<ParsedOptions<typeof VITALS_OPTIONS>> & {
  /** Called with each finding and action as it happens. */
  onEvent?: (e: HealthEvent) => void;
};

/** The options with their defaults filled in. */
export function vitalsOptions(o: VitalsOptions): ParsedOptions<typeof VITALS_OPTIONS> {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(VITALS_OPTIONS))
    out[k] = (o as Record<string, unknown>)[k] ?? ("default" in spec ? spec.default : undefined);
  return out as ParsedOptions<typeof VITALS_OPTIONS>;
}
