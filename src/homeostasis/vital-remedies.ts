/**
 * The remedies the vitals regulator may switch on for loss of plasticity, best measured first
 * (docs/homeostasis.md, issue 5's protocol: intrinsic plasticity + L2-Init +3.5 points over 150 tasks, ReDo
 * −0.6, continual backprop −1.0, plain backprop −5.4), and the events that say what the loop did.
 */
import type { HealthEvent } from "../health/findings.js";
import type { PlasticityReading, PlasticitySignals } from "../health/vital-rules.js";
import { continualBackprop } from "./cbp.js";
import { intrinsicPlasticity } from "./intrinsic.js";
import { l2Init } from "./l2-init.js";
import { redo } from "./redo.js";
import type { Regulator } from "./regulator.js";
import { deepCopy } from "../tensor/plain.js";
import type { Batch, LayerActivation, TrainingControl } from "../train/events.js";

/** A remedy: the regulators it switches on together. */
export interface Remedy {
  readonly name: string;
  /** It re-initialises dormant or low-utility units: tried first when most units are dormant. */
  readonly recycles?: boolean;
  make(): Regulator[];
}

export const PLASTICITY_REMEDIES: readonly Remedy[] = [
  { name: "intrinsicPlasticity + l2Init", make: () => [intrinsicPlasticity(), l2Init()] },
  { name: "redo", recycles: true, make: () => [redo()] },
  { name: "continualBackprop", recycles: true, make: () => [continualBackprop()] },
];

/**
 * The next remedy to try: the first untried one in the list's order (best measured first), except that
 * when most units are dormant one that recycles units goes first. Gains and a pull towards the initial
 * weights act through the units that still respond; with four of five dormant there is little to act on,
 * while ReDo and continual backprop replace the dormant units themselves (the bit-flipping problem,
 * seed 5, docs/vital-loop.md). -1 when every remedy has been tried.
 *
 * @example
 * nextRemedy(PLASTICITY_REMEDIES, [], true); // 1: redo before intrinsic plasticity + L2-Init
 */
export function nextRemedy(
  remedies: readonly Remedy[],
  tried: readonly number[],
  mostDormant: boolean,
): number {
  const untried = remedies.map((_, i) => i).filter((i) => !tried.includes(i));
  const recycling = mostDormant ? untried.find((i) => remedies[i].recycles) : undefined;
  return recycling ?? untried[0] ?? -1;
}

/**
 * A remedy's verdict after its window: it helped when the rule no longer holds and the online loss has
 * not risen above its value before the remedy by more than the rule's `lossRise`, or when the loss fell
 * and dormant units or the effective rank improved (on the way back). A rule that stops holding only
 * because dormant units fell while the loss rose is no recovery: on the bit-flipping problem (seed 3)
 * intrinsic plasticity + L2-Init woke the units while the loss doubled, was kept, and diverged.
 *
 * @example
 * remedyHelped(before, reading, 0.05); // false: the loss went 1.55 → 3.12 though the rule stopped holding
 */
export function remedyHelped(before: PlasticitySignals, r: PlasticityReading, lossRise: number): boolean {
  const now = r.now;
  const improved =
    now.loss <= before.loss && (now.dormant < before.dormant || now.effectiveRank > before.effectiveRank);
  return (!r.holds && now.loss <= before.loss * (1 + lossRise)) || improved;
}

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
const num = (x: number): string => (Number.isFinite(x) ? x.toPrecision(3) : "–");

/** The signals as evidence, each key with a prefix. */
export const signalEvidence = (prefix: string, x: PlasticitySignals): Record<string, number> => ({
  [`${prefix}Loss`]: x.loss,
  [`${prefix}Dormant`]: x.dormant,
  [`${prefix}Rank`]: x.effectiveRank,
});

export const describeSignals = (x: PlasticitySignals): string =>
  `online loss ${num(x.loss)}, dormant ${pct(x.dormant)}, effective rank ${num(x.effectiveRank)}`;

/** The loop's events that change nothing in the network: no remedy left, the budget renewed. */
const NOT_REPAIRS = new Set(["remedyExhausted", "remedyBudgetRenewed"]);

/** A loop action as a health event (its outcome is its kind: applied, verified, rolled back, exhausted). */
export function loopEvent(
  step: number,
  kind: string,
  evidence: Record<string, number>,
  diagnosis: string,
  action: string,
): HealthEvent {
  return { step, kind, evidence, diagnosis, action, repaired: !NOT_REPAIRS.has(kind) };
}

/** A remedy's regulators with the state a checkpoint kept. */
export function restored(remedy: Remedy, states: readonly unknown[]): Regulator[] {
  const made = remedy.make();
  made.forEach((r, j) => {
    r.setState(deepCopy(states[j]));
  });
  return made;
}

/** L2-Init's anchor: the first weights, or the current ones for a parameter that has grown since. */
export function anchorFor(
  initial: Record<string, Float32Array>,
  c: TrainingControl,
): Record<string, Float32Array> {
  return Object.fromEntries(
    c.parameters.map(([n, t]) => [
      n,
      initial[n]?.length === t.data.length ? initial[n].slice() : (t.data as Float32Array).slice(),
    ]),
  );
}

/** Each layer's output on the probe rows, in inference mode (what the monitor reads unit statistics on). */
export function activationsOn(c: TrainingControl, batch: Batch): Map<string, LayerActivation> {
  const map = new Map<string, LayerActivation>();
  c.model.forward(batch.x, {
    training: false,
    onActivation: (name, output, pre) => map.set(name, { output, preActivation: pre }),
  });
  return map;
}
