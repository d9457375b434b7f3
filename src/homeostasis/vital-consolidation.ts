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
  /** The learning rate of the latest step (absent before the first, and in older checkpoints). */
  lr?: number;
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
 * The importance as the penalty may use it at learning rate `lr`: each weight's capped so that a gradient
 * step on the penalty alone, lr · 2 · strength · importance of its distance, moves it at most onto its
 * anchor. Beyond the cap the pull overshoots, and beyond twice the cap it diverges: the loop raises the
 * strength ×4 at a time without knowing the optimiser, and at strength 4 with SGD at lr 0.1 a weight of
 * importance ~45 (the importance has mean 1, not maximum 1) grew its distance 35-fold a step until the
 * loss was NaN. Not for Adam and its kind, which bound each weight's step anyway: there the cap would
 * flatten the importance (at strength 64 and lr 1e-3 it cut every weight above 7.8× the mean), and on
 * permuted digits at a 2-point budget the runs forgot more and learned new tasks worse (ACC 71.1% against 82.8%).
 *
 * @example
 * stableImportance({ ...state, value: 4 }, 0.1); // every importance at most 1 / (2 · 4 · 0.1) = 1.25
 */
export function stableImportance(s: ConsolidationState, lr: number): Record<string, Float32Array> | null {
  const cap = 1 / (2 * s.value * lr);
  if (s.importance === null || !(cap < Number.POSITIVE_INFINITY)) return s.importance;
  return Object.fromEntries(
    Object.entries(s.importance).map(([n, f]) => [n, f.map((v) => Math.min(v, cap))]),
  );
}

/**
 * The penalty term, null while the strength is 0 or no anchor is set; `importance` is the state's unless
 * given (its stable form, `stableImportance`).
 *
 * @example
 * consolidationTerm(state, parameters); // strength · Σ importance · (θ − anchor)²
 */
export function consolidationTerm(
  s: ConsolidationState,
  parameters: readonly (readonly [string, Tensor])[],
  importance = s.importance,
): Tensor | null {
  if (s.value <= 0 || s.anchor === null || importance === null) return null;
  return quadraticPenalty(
    parameters,
    new Map(Object.entries(s.anchor)),
    new Map(Object.entries(importance)),
    s.value,
  );
}
