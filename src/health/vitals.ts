/**
 * The vital-signs detectors, registered but off by default: `plasticityLoss` and `forgetting`. Each keeps
 * its baseline (or its retained rows) in its memory in the monitor's state, reports once when its rule
 * starts to hold (again once it has stopped), and repairs nothing itself: the closed loop of
 * `homeostasis/vital-loop.ts` reads their memory, applies a remedy and verifies it.
 */
import type { OptionSchema, ParsedOptions } from "../config/options.js";
import { defineKind, type Kind } from "../config/registry.js";
import { Tensor } from "../tensor/tensor.js";
import type { Batch, TrainingControl } from "../train/events.js";
import { type RepairContext, reinitDeadUnits } from "./actions.js";
import type { Finding, HealthEvent, Thresholds, TrainingPicture } from "./findings.js";
import {
  FORGETTING_Z,
  forgettingOf,
  freshPlasticity,
  PLASTICITY_DEFAULTS,
  observePlasticity,
  plasticitySignals,
  type PlasticityReading,
  type RetainedSegment,
  segmentScore,
  segmentToDrop,
} from "./vital-rules.js";

/** What these detectors see at a check (kinds.ts's CheckContext, which holds more). */
interface Seen {
  readonly control: TrainingControl;
  readonly batch?: Batch;
  memory?<T extends object>(fresh: () => T): T;
}

/** The shape of kinds.ts's Detector these make (kinds.ts imports this file, so it cannot be imported here). */
interface VitalDetector {
  readonly name: string;
  readonly reports: readonly string[];
  readonly fatal: boolean;
  readonly measures: boolean | number;
  readonly readsWeights: boolean;
  check(p: TrainingPicture, seen: Seen): Finding | null;
  repair?(f: Finding, ctx: RepairContext): (() => HealthEvent[]) | null;
}

const PLASTICITY_OPTIONS = {
  baselineStart: {
    kind: "number",
    min: 0,
    integer: true,
    default: 10,
    doc: "Checks skipped before the baseline.",
  },
  window: {
    kind: "number",
    min: 1,
    integer: true,
    default: 20,
    doc: "Checks of the baseline and of the recent window.",
  },
  lossRise: {
    kind: "number",
    min: 0,
    default: PLASTICITY_DEFAULTS.lossRise,
    doc: "The online loss rose by more than this fraction over its best window (the baseline's at first)…",
  },
  dormantRise: {
    kind: "number",
    min: 0,
    max: 1,
    default: PLASTICITY_DEFAULTS.dormantRise,
    doc: "…while dormant units rose by this fraction of units…",
  },
  dormantMost: {
    kind: "number",
    min: 0,
    max: 1,
    default: PLASTICITY_DEFAULTS.dormantMost,
    doc: "…or at least this fraction of units is dormant, whatever the baseline read…",
  },
  rankDrop: {
    kind: "number",
    min: 0,
    max: 1,
    default: 0.25,
    doc: "…or the effective rank fell below (1 − this) × the baseline's.",
  },
  depth: { kind: "number", min: 1, integer: true, default: 2, doc: "Last hidden layers read." },
} as const satisfies OptionSchema;

const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;
/** A share to a tenth of a point where it has one (a budget of 2.5%). */
const share = (x: number): string => `${Number((100 * x).toFixed(1))}%`;
const num = (x: number): string => (Number.isFinite(x) ? x.toPrecision(3) : "not measured");

/** The plain words of a plasticity reading. */
export function plasticityDiagnosis(
  r: PlasticityReading,
  o: ParsedOptions<typeof PLASTICITY_OPTIONS>,
  checks: [number, number],
  nowCheck: number,
): string {
  const { now, base } = r;
  const best =
    r.reference.check === checks[1]
      ? `its baseline ${num(base.loss)} (checks ${checks[0]}–${checks[1]}, early in the run)`
      : `its best, ${num(r.reference.loss)} over checks ${r.reference.check - o.window + 1}–${r.reference.check} (baseline ${num(base.loss)}, checks ${checks[0]}–${checks[1]})`;
  const units = [
    r.dormantUp
      ? `dormant units rose from ${pct(base.dormant)} to ${pct(now.dormant)}`
      : r.dormantMost
        ? `${pct(now.dormant)} of the units are dormant (${pct(base.dormant)} in the baseline; ${pct(o.dormantMost)} or more count whatever the baseline)`
        : "",
    r.rankDown
      ? `the effective rank fell from ${num(base.effectiveRank)} to ${num(now.effectiveRank)} (stable rank ${num(base.stableRank)} → ${num(now.stableRank)})`
      : "",
  ].filter(Boolean);
  return `the online loss on new data averaged ${num(now.loss)} over the last ${o.window} checks (checks ${r.from}–${nowCheck}), ${pct(now.loss / r.reference.loss - 1)} above ${best}, while in the last ${o.depth} hidden layers ${units.join(" and ")}: the network is losing its plasticity (Dohare et al. 2024)`;
}

export const plasticityLossKind = defineKind({
  name: "plasticityLoss",
  doc: "The online loss on new data rises above its best window (an early baseline at first) while dormant units rise or the last hidden layers' effective rank collapses; reported (the vitals regulator remedies it).",
  options: PLASTICITY_OPTIONS,
  create: (o, _ctx: { thresholds: Thresholds }): VitalDetector => ({
    name: "plasticityLoss",
    reports: ["plasticityLoss"],
    fatal: false,
    // The weight change on the layers its signals read; no ‖W‖ (the growth rule's).
    measures: o.depth,
    readsWeights: false,
    check(p, seen) {
      const mem = seen.memory!(freshPlasticity);
      const r = observePlasticity(mem, plasticitySignals(p, o.depth), o);
      const holds = r?.holds ?? false;
      const starts = holds && !mem.holding;
      mem.holding = holds;
      if (!starts || r === null) return null;
      return {
        kind: "plasticityLoss",
        evidence: {
          loss: r.now.loss,
          baselineLoss: r.base.loss,
          bestLoss: r.reference.loss,
          bestToCheck: r.reference.check,
          dormantFraction: r.now.dormant,
          baselineDormant: r.base.dormant,
          effectiveRank: r.now.effectiveRank,
          baselineRank: r.base.effectiveRank,
          stableRank: r.now.stableRank,
          weightChange: r.now.weightChange,
          windowChecks: o.window,
          fromCheck: r.from,
          check: mem.checks,
          baselineFromCheck: mem.baseChecks[0],
          baselineToCheck: mem.baseChecks[1],
        },
        diagnosis: plasticityDiagnosis(r, o, mem.baseChecks, mem.checks),
        action:
          "switch on a plasticity regulator (intrinsic plasticity + L2-Init, or ReDo): the vitals regulator does so and checks the result",
      };
    },
  }),
});

/** What the forgetting rule remembers: its retained segments and the last verdict. */
export interface ForgettingMemory {
  checks: number;
  segments: RetainedSegment[];
  /** Mean drop below the best over the segments probed twice or more, the worst segment's index, and whether the budget was exceeded. */
  forgetting: number;
  /** What the mean drop must exceed the budget by to count (`forgettingOf`'s margin; absent in checkpoints before it: 0). */
  margin?: number;
  worst: number;
  probes: number;
  holding: boolean;
  /** Scores are errors (regression): forgetting is a relative rise of the error, not accuracy points. */
  regression?: boolean;
}

const freshForgetting = (): ForgettingMemory => ({
  checks: 0,
  segments: [],
  forgetting: 0,
  margin: 0,
  worst: -1,
  probes: 0,
  holding: false,
});

const FORGETTING_OPTIONS = {
  budget: {
    kind: "number",
    min: 0,
    default: 0.1,
    doc: "Mean drop below the best tolerated: accuracy (0.1 = 10 points), or the relative rise of the error.",
  },
  rows: { kind: "number", min: 1, integer: true, default: 64, doc: "Rows kept per segment." },
  segments: { kind: "number", min: 2, integer: true, default: 8, doc: "Segments kept (the oldest goes)." },
  captureEvery: {
    kind: "number",
    min: 1,
    integer: true,
    default: 10,
    doc: "Checks between two kept segments.",
  },
  probeEvery: {
    kind: "number",
    min: 1,
    integer: true,
    default: 5,
    doc: "Checks between two probes of the segments.",
  },
} as const satisfies OptionSchema;

type ForgettingOptions = ParsedOptions<typeof FORGETTING_OPTIONS>;

/**
 * Keep the check's first rows as a new segment; beyond `segments`, `segmentToDrop`'s goes (classification:
 * the labels of earlier stretches stay), else the oldest (regression targets hold no labels).
 */
function keepSegment(
  mem: ForgettingMemory,
  batch: Batch,
  o: ForgettingOptions,
  classification: boolean,
): void {
  const [n, cols] = [batch.x.shape[0], batch.x.shape[1]];
  const yCols = batch.y.shape[1];
  const rows = Math.min(n, o.rows);
  mem.segments.push({
    x: Float32Array.from((batch.x.data as Float32Array).subarray(0, rows * cols)),
    y: Float32Array.from((batch.y.data as Float32Array).subarray(0, rows * yCols)),
    rows,
    check: mem.checks,
    best: NaN,
    last: NaN,
    probes: 0,
  });
  if (mem.segments.length > o.segments)
    mem.segments.splice(classification ? segmentToDrop(mem.segments) : 0, 1);
}

/**
 * The forgetting rule: the mean drop exceeds the budget by more than its noise margin.
 *
 * @example
 * forgettingBeyond({ forgetting: 0.13, margin: 0.078 }, 0.1); // false: within 0.1 + 0.078
 */
export function forgettingBeyond(
  mem: Pick<ForgettingMemory, "forgetting" | "margin">,
  budget: number,
): boolean {
  return mem.forgetting > budget + (mem.margin ?? 0);
}

/** Score every segment on the model as it is now. */
function probeSegments(mem: ForgettingMemory, control: TrainingControl, classification: boolean): void {
  for (const seg of mem.segments) {
    const cols = seg.x.length / seg.rows;
    const out = control.model.forward(new Tensor(seg.x, [seg.rows, cols]), { training: false });
    const score = segmentScore(out.data, out.shape[1], seg, classification);
    const better = classification ? score > seg.best : score < seg.best;
    if (seg.probes === 0 || better) seg.best = score;
    seg.last = score;
    seg.probes++;
  }
  const f = forgettingOf(mem.segments, classification);
  [mem.forgetting, mem.worst, mem.margin] = [f.mean, f.worst, f.margin];
  if (!classification) mem.regression = true;
  mem.probes++;
}

function forgettingFinding(mem: ForgettingMemory, o: ForgettingOptions, classification: boolean): Finding {
  const w = mem.segments[mem.worst];
  const unit = (x: number): string =>
    classification ? `${(100 * x).toFixed(1)} points` : `${pct(x)} of the error`;
  const drop = classification ? w.best - w.last : w.last / w.best - 1;
  const probed = mem.segments.filter((s) => s.probes >= 2);
  return {
    kind: "forgetting",
    evidence: {
      forgetting: mem.forgetting,
      budget: o.budget,
      margin: mem.margin ?? 0,
      segments: probed.length,
      rows: probed.reduce((a, s) => a + s.rows, 0),
      worstDrop: drop,
      worstCheck: w.check,
      oldestCheck: probed[0].check,
    },
    diagnosis: `${classification ? "accuracy" : "the error"} on ${probed.length} retained segments of earlier rows (kept from check ${probed[0].check} on) is on average ${unit(mem.forgetting)} worse than its best, beyond the budget of ${unit(o.budget)}${mem.margin ? ` and its noise margin of ${unit(mem.margin)} (${FORGETTING_Z} standard errors)` : ""} (worst: the rows kept at check ${w.check}, ${unit(drop)}): the network is forgetting what it learned`,
    action:
      "replay earlier rows or consolidate: the vitals regulator raises its memory (the replay share, or the consolidation strength) and checks the result",
  };
}

export const forgettingKind = defineKind({
  name: "forgetting",
  doc: "Accuracy (regression: the error) on segments of rows retained from earlier in the run falls below its best by more than a budget; reported (the vitals regulator remedies it).",
  options: FORGETTING_OPTIONS,
  create: (o, _ctx: { thresholds: Thresholds }): VitalDetector => ({
    name: "forgetting",
    reports: ["forgetting"],
    fatal: false,
    measures: false,
    readsWeights: false,
    check(p, seen) {
      const mem = seen.memory!(freshForgetting);
      const classification = p.chance > 0;
      mem.checks++;
      const capture = seen.batch !== undefined && mem.checks % o.captureEvery === 0;
      if (capture) keepSegment(mem, seen.batch!, o, classification);
      if (!capture && mem.checks % o.probeEvery !== 0) return null;
      probeSegments(mem, seen.control, classification);
      const holds = forgettingBeyond(mem, o.budget);
      const starts = holds && !mem.holding;
      mem.holding = holds;
      return starts ? forgettingFinding(mem, o, classification) : null;
    },
  }),
});

const DEAD_UNITS_OPTIONS = {
  budget: {
    kind: "number",
    min: 0,
    max: 1,
    default: 0.02,
    doc: "Dead units tolerated in a hidden ReLU layer: the fraction of its units that output zero for every row over the dead-unit window.",
  },
} as const satisfies OptionSchema;

/**
 * A budget on dead ReLU units, held by re-initialising them. Where `dyingRelu` (the stability monitor's)
 * waits for most of a layer to die, this one holds a budget a user states (the vitals regulator's
 * `deadUnits`): a layer with more dead units than the budget, over the dead-unit window, is found, and
 * its dead units re-initialised (fresh incoming weights, zero bias, zero outgoing weights: the network's
 * output is unchanged).
 */
export const deadUnitsKind = defineKind({
  name: "deadUnits",
  doc: "Dead ReLU units in a hidden layer beyond a budget (the vitals regulator's `deadUnits`); repair: re-initialise them, the output unchanged.",
  options: DEAD_UNITS_OPTIONS,
  create: (o, ctx: { thresholds: Thresholds }): VitalDetector => ({
    name: "deadUnits",
    reports: ["deadUnits"],
    fatal: false,
    measures: false,
    readsWeights: false,
    check(p) {
      if (!p.deadWindowFull) return null;
      let worst: TrainingPicture["layers"][number] | undefined;
      for (const l of p.layers)
        if (l.deadFraction > o.budget && !(l.deadFraction <= (worst?.deadFraction ?? -1))) worst = l;
      if (!worst) return null;
      const checks = ctx.thresholds.deadWindowChecks;
      return {
        kind: "deadUnits",
        layer: worst.layer,
        evidence: { deadFraction: worst.deadFraction, budget: o.budget, windowChecks: checks },
        diagnosis: `${share(worst.deadFraction)} of the ReLU units in layer ${worst.layer} output zero for every row seen over the last ${checks} checks, beyond the budget of ${share(o.budget)}: they get no gradient and learn nothing more`,
        action: "re-initialise the dead units (fresh incoming weights, zero bias, zero outgoing weights)",
      };
    },
    repair: (f, repair) => reinitDeadUnits(repair, f.layer),
  }),
});

/** The vital-signs detector kinds, for the `detectors` registry. */
export const VITAL_DETECTORS: readonly Kind<VitalDetector, { thresholds: Thresholds }>[] = [
  plasticityLossKind,
  forgettingKind,
  deadUnitsKind,
];
