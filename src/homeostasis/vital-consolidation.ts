/**
 * Consolidation as the vitals loop's second memory knob: online EWC without task boundaries (Schwarz et
 * al. 2018, "Progress & Compress", after Kirkpatrick et al. 2017). Each weight's importance is a running
 * mean of its squared gradient (an empirical Fisher diagonal, decay 0.99), scaled to mean 1 so that the
 * strength reads like an L2 coefficient; the anchor is the weights at the latest forgetting probe that held
 * the budget. The penalty strength · Σ importance · (θ − anchor)² holds the weights back from new data in
 * proportion to how much the old data needed them.
 */
import { quadraticPenalty } from "../losses/penalties.js";
import type { Tensor } from "../tensor/tensor.js";
import type { TrainingControl } from "../train/events.js";
import { type Knob, type KnobState, SETTLE_PROBES } from "./vital-replay.js";

/** The knob, its running importance, and the anchor with the importance taken there (plain state). */
export interface ConsolidationState extends KnobState {
  fisher: Record<string, Float32Array> | null;
  anchor: Record<string, Float32Array> | null;
  importance: Record<string, Float32Array> | null;
}

export const freshConsolidation = (): ConsolidationState => ({
  value: 0,
  changedAt: -SETTLE_PROBES,
  pending: null,
  fisher: null,
  anchor: null,
  importance: null,
});

/** The strength as a knob: 0 → `first` → ×4 … up to `ceiling`, quartered down to 0. */
export const consolidationKnob = (first: number, ceiling: number): Knob => ({
  key: "strength",
  stem: "consolidation",
  up: (v) => (v === 0 ? first : Math.min(ceiling, 4 * v)),
  down: (v) => (v / 4 < first ? 0 : v / 4),
  ceiling,
  unit: "consolidation strength (online EWC)",
  at: (v) => `consolidation at strength ${v.toPrecision(2)}`,
});

const DECAY = 0.99;

/**
 * Fold one step's gradients into the running importance (the penalty's own gradient included: it is
 * small where the importance is, and the loop keeps no second backward pass).
 *
 * @example
 * accumulateImportance(state, grads); // state.fisher["0.weight"][i] ≈ mean of g² over ~100 steps
 */
export function accumulateImportance(s: ConsolidationState, grads: ReadonlyMap<string, Float32Array>): void {
  s.fisher ??= {};
  for (const [name, g] of grads) {
    let f = s.fisher[name];
    if (f?.length !== g.length) f = s.fisher[name] = new Float32Array(g.length);
    for (let i = 0; i < g.length; i++) f[i] = DECAY * f[i] + (1 - DECAY) * g[i] * g[i];
  }
}

/**
 * Anchor at the current weights, with the importance as it stands scaled to mean 1 over all weights.
 *
 * @example
 * anchorHere(state, control); // the next penalty pulls towards these weights
 */
export function anchorHere(s: ConsolidationState, c: TrainingControl): void {
  if (s.fisher === null) return;
  let [sum, n] = [0, 0];
  for (const f of Object.values(s.fisher)) for (const v of f) [sum, n] = [sum + v, n + 1];
  const scale = sum > 0 ? n / sum : 0;
  s.anchor = {};
  s.importance = {};
  for (const [name, t] of c.parameters) {
    const f = s.fisher[name];
    if (f?.length !== t.data.length) continue;
    s.anchor[name] = (t.data as Float32Array).slice();
    s.importance[name] = f.map((v) => v * scale);
  }
}

/**
 * The penalty term, null while the strength is 0 or no anchor is set.
 *
 * @example
 * consolidationTerm(state, parameters); // strength · Σ importance · (θ − anchor)²
 */
export function consolidationTerm(
  s: ConsolidationState,
  parameters: readonly (readonly [string, Tensor])[],
): Tensor | null {
  if (s.value <= 0 || s.anchor === null || s.importance === null) return null;
  return quadraticPenalty(
    parameters,
    new Map(Object.entries(s.anchor)),
    new Map(Object.entries(s.importance)),
    s.value,
  );
}
