/**
 * The vital signs as a closed loop, one regulator (`{"type": "vitals"}`) that works wherever regulators
 * do (`fit`'s observers, a continual run's `homeostasis`, the learner's `homeostasis`). Its own health
 * monitor runs the `plasticityLoss` and `forgetting` detectors on a probe of recent rows. Loss of
 * plasticity switches on the best measured remedy; once a window has passed it is verified (the rule no
 * longer holds and the online loss has not risen, or the loss fell and dormant units or rank improved:
 * `remedyHelped`) or rolled back — switched off, the weights and optimiser state put back as they were
 * before it (`vital-rollback.ts`) — and the next one tried, within a budget. Forgetting beyond the
 * budget raises the share of replayed rows (from a reservoir of the stream), verified likewise; a budget
 * that holds with room lowers it again — memory costs plasticity, and the events say what each change
 * bought. Every action is a health event with its evidence; all state is plain and travels in checkpoints.
 */
import { healthMonitor } from "../health/monitor.js";
import { DEFAULT_THRESHOLDS, type HealthEvent, lossBlewUp } from "../health/findings.js";
import type { ForgettingMemory } from "../health/vitals.js";
import {
  PLASTICITY_DEFAULTS,
  type PlasticityMemory,
  type PlasticitySignals,
  readPlasticity,
  restartWindow,
} from "../health/vital-rules.js";
import { scalesEachWeight } from "../optim/optimizers.js";
import { Rng } from "../tensor/rng.js";
import { deepCopy } from "../tensor/plain.js";
import { add as addTerms } from "../autograd/ops.js";
import { defineKind } from "../config/registry.js";
import { activationsAsked, activationsKept, type BatchEvent, type TrainingControl } from "../train/events.js";
import type { Regulator } from "./regulator.js";
import { offerRows, storedBatch, withReplay } from "./vital-memory.js";
import { freshKnob, freshLoop, type LoopState } from "./vital-state.js";
import {
  activationsOn,
  anchorFor,
  describeSignals,
  loopEvent,
  nextRemedy,
  PLASTICITY_REMEDIES,
  type Remedy,
  remedyHelped,
  restored,
  signalEvidence,
} from "./vital-remedies.js";
import { putBack, rollbackWords, snapshotBefore } from "./vital-rollback.js";
import { VITALS_OPTIONS, vitalsOptions, type VitalsOptions } from "./vital-options.js";
import {
  aceKnob,
  chainControl,
  type Knob,
  type KnobState,
  moreReplayKnob,
  replayKnob,
} from "./vital-replay.js";
import { aceTerm, markClasses } from "./vital-ace.js";
import {
  accumulateImportance,
  anchorHere,
  consolidationKnob,
  consolidationTerm,
  freshConsolidation,
  stableImportance,
} from "./vital-consolidation.js";

/** "1 remedy", "2 remedies". */
const remedyCount = (n: number): string => `${n} ${n === 1 ? "remedy" : "remedies"}`;

/** A check step's batch with this many rows or more is its own probe (its activations are read in place). */
const OWN_ROWS = 16;

export interface VitalsRegulator extends Regulator {
  /** Findings and actions, in order (the monitor's events). */
  readonly events: readonly HealthEvent[];
  /** The current replay share (replayed rows per new row). */
  readonly replayShare: number;
  /** The remedies switched on now, by name. */
  readonly remedies: readonly string[];
}

/**
 * A regulator that watches plasticity and memory and remedies them, verifying each remedy.
 *
 * @example
 * const loop = vitals({ forgettingBudget: 0.1 });
 * fit(model, data, { ...opts, observers: [loop] });
 * loop.events.map((e) => e.kind); // ["plasticityLoss", "remedyApplied", "remedyVerified"]
 */
export function vitals(
  options: VitalsOptions = {},
  remedies: readonly Remedy[] = PLASTICITY_REMEDIES,
): VitalsRegulator {
  const o = vitalsOptions(options);
  const detectors = [
    ...(o.plasticity ? [{ type: "plasticityLoss", window: o.window, baselineStart: o.baselineStart }] : []),
    ...(o.forgettingBudget > 0 ? [{ type: "forgetting", budget: o.forgettingBudget }] : []),
    ...(o.deadUnits !== undefined ? [{ type: "deadUnits", budget: o.deadUnits }] : []),
  ];
  const monitor = healthMonitor({
    seed: o.seed,
    detectors,
    thresholds: { checkEvery: o.checkEvery },
    // The dead-unit budget is held for the run's whole life: each time it is exceeded (at most once per
    // dead-unit window, which starts afresh after a repair) the dead units are re-initialised, which
    // leaves the output as it was. Nothing else is repaired here, and no rollback snapshot is kept.
    repair: o.deadUnits !== undefined ? ["deadUnits"] : false,
    maxRepairsPerKind: Number.POSITIVE_INFINITY,
    maxRepairs: Number.POSITIVE_INFINITY,
  });
  let st = freshLoop(o.seed);
  // The reservoir's and replay's draws; its state is kept in `st.rng` only when a checkpoint asks.
  const rng = new Rng(0);
  rng.setState(st.rng);
  let regs = new Map<number, Regulator[]>();
  /** Rows of the step's batch (before replay), known before the step asks who wants activations. */
  let rows = 0;
  // The active remedies' regulators, rebuilt only when the set changes (hooks ask for them at every step).
  let live: Regulator[] = [];
  const relist = (): void => {
    live = st.active.flatMap((k) => regs.get(k) ?? []);
  };
  const running = (): Regulator[] => live;
  const emit = (e: HealthEvent): void => {
    (monitor.events as HealthEvent[]).push(e);
    options.onEvent?.(e);
  };
  const plasticityOptions = { ...PLASTICITY_DEFAULTS, window: o.window, baselineStart: o.baselineStart };

  /** The remedies tried, in order (a checkpoint from before the order was kept: the first `next`). */
  const triedSoFar = (): number[] => st.order ?? Array.from({ length: st.next }, (_, i) => i);

  const switchOn = (k: number, control: TrainingControl): void => {
    const made = remedies[k].make();
    for (const r of made) {
      if (r.name === "l2Init" && st.initial) r.setState(anchorFor(st.initial, control));
      r.onTrainBegin?.(control);
    }
    regs.set(k, made);
    st.active.push(k);
    relist();
  };

  const tryNext = (
    before: PlasticitySignals,
    base: PlasticitySignals,
    step: number,
    control: TrainingControl,
    mem: PlasticityMemory,
  ): void => {
    const tried = triedSoFar();
    const k = nextRemedy(remedies, tried, before.dormant >= plasticityOptions.dormantMost);
    if (st.tried >= o.maxRemedies || k < 0) {
      if (!st.exhausted)
        emit(
          loopEvent(
            step,
            "remedyExhausted",
            { tried: st.tried },
            `loss of plasticity persists after ${remedyCount(st.tried)} (${describeSignals(before)})`,
            "none left within the budget",
          ),
        );
      st.exhausted = true;
      return;
    }
    st.order = [...tried, k];
    st.next++;
    st.tried++;
    const snapshot = snapshotBefore(control);
    switchOn(k, control);
    st.pending = { remedy: k, step, before, snapshot };
    restartWindow(mem);
    emit(
      loopEvent(
        step,
        "remedyApplied",
        { remedy: k, ...signalEvidence("before", before), ...signalEvidence("baseline", base) },
        `switched on ${remedies[k].name} against loss of plasticity (${describeSignals(before)}; baseline ${describeSignals(base)}); verdict after ${o.window} checks`,
        `${remedies[k].name} on`,
      ),
    );
  };

  /**
   * A long-lived network meets loss of plasticity more than once, and what did not help in one episode
   * may help in another (the network and the data have moved on): after `renewAfter` windows in a row
   * without the rule holding, the remedies tried and rolled back may be tried again, within a fresh budget
   * (when the budget is spent or a remedy was rolled back, and some remedy is off). Remedies verified stay
   * on and count as tried.
   */
  const renew = (checks: number, step: number): void => {
    st.unwellAt ??= checks;
    const calm = checks - st.unwellAt;
    if (o.renewAfter <= 0 || calm < o.renewAfter * o.window) return;
    const rolledBack = triedSoFar()
      .filter((k) => !st.active.includes(k))
      .map((k) => remedies[k].name);
    // Nothing to renew while every remedy is on, or while the budget is not spent and every one tried is on.
    const off = remedies.some((_, k) => !st.active.includes(k));
    if (!off || (!st.exhausted && rolledBack.length === 0)) return;
    emit(
      loopEvent(
        step,
        "remedyBudgetRenewed",
        { tried: st.tried, calmChecks: calm },
        `no loss of plasticity over the last ${calm} checks (${o.renewAfter} ${o.renewAfter === 1 ? "window" : "windows"}) after ${remedyCount(st.tried)} tried${rolledBack.length > 0 ? ` (${rolledBack.join(", ")} rolled back)` : ""}`,
        `the remedy budget renews: ${o.maxRemedies} more may be tried${rolledBack.length > 0 ? ", those rolled back included" : ""}`,
      ),
    );
    [st.tried, st.order, st.exhausted, st.unwellAt] = [0, [...st.active], false, checks];
  };

  const plasticityControl = (mem: PlasticityMemory, step: number, control: TrainingControl): void => {
    const r = readPlasticity(mem, plasticityOptions);
    if (r === null) return;
    if (r.holds || st.pending !== null) st.unwellAt = mem.checks;
    else renew(mem.checks, step);
    const p = st.pending;
    if (p !== null) {
      const b = p.before;
      const name = remedies[p.remedy].name;
      const evidence: Record<string, number> = {
        remedy: p.remedy,
        appliedAt: p.step,
        ...signalEvidence("before", b),
        ...signalEvidence("after", r.now),
      };
      st.pending = null;
      restartWindow(mem);
      if (remedyHelped(b, r, plasticityOptions.lossRise)) {
        emit(
          loopEvent(
            step,
            "remedyVerified",
            evidence,
            `${name} verified over ${o.window} checks: ${describeSignals(b)} before, ${describeSignals(r.now)} after${r.holds ? " (improving, not yet at the baseline)" : " (the rule no longer holds)"}`,
            `${name} stays on`,
          ),
        );
        st.episode = r.holds;
        return;
      }
      regs.delete(p.remedy);
      st.active = st.active.filter((k) => k !== p.remedy);
      relist();
      // Switching it off undoes nothing it did to the weights (units re-initialised or silenced): put them back.
      const outcome = putBack(p.snapshot, control, step - p.step);
      if (outcome === "restored") evidence.restoredTo = p.step;
      emit(
        loopEvent(
          step,
          "remedyRolledBack",
          evidence,
          `${name} did not help within ${o.window} checks: ${describeSignals(b)} before, ${describeSignals(r.now)} after`,
          rollbackWords(name, outcome, p.step),
        ),
      );
      // The next remedy is judged against the window just read: the rows the network sees now. The reading
      // from before the rolled-back remedy is of older rows; on a drifting stream (the bit-flipping problem,
      // seeds 3 and 4) it made the next remedy answer for the data's change (docs/vital-loop.md).
      return tryNext(r.now, r.base, step, control, mem);
    }
    if (r.holds && !st.episode) {
      st.episode = true;
      tryNext(r.now, r.base, step, control, mem);
    } else if (!r.holds) st.episode = false;
  };

  /**
   * The monitor's step. At a check step its unit statistics are read on the step's own batch where it has
   * `OWN_ROWS` rows or more (the activations the step computed, kept for it: no forward of its own), else
   * on the probe of recent rows (a learner's batch of 1 says nothing about units), as the learner's guard does.
   */
  const watch = (e: BatchEvent, c: TrainingControl): void => {
    const own = e.activations !== undefined && e.batch.x.shape[0] >= OWN_ROWS;
    const probe =
      !own && monitor.wantsActivations && st.probe.size >= 16
        ? storedBatch(st.probe, e.batch.y.shape[1])
        : null;
    const told = monitor.events.length;
    monitor.onBatchEnd?.(probe ? { ...e, batch: probe, activations: activationsOn(c, probe) } : e, c);
    // Findings carry the loop's steps, counted over every fit call (a continual run's restart each task).
    for (let i = told; i < monitor.events.length; i++) {
      monitor.events[i].step = st.steps;
      options.onEvent?.(monitor.events[i]);
    }
  };

  const consolidating = o.forgettingBudget > 0 && o.memoryRemedy !== "replay";
  /**
   * The importance capped for the strength and the latest learning rate (not for an optimiser that scales
   * each weight's step: `scalesEachWeight`), remade when one of them changes.
   */
  let uncapped = false;
  let stable: {
    of: unknown;
    value: number;
    lr: number;
    importance: Record<string, Float32Array> | null;
  } | null = null;
  const stableNow = (): Record<string, Float32Array> | null => {
    const k = st.consolidation;
    const lr = uncapped ? 0 : (k.lr ?? 0);
    if (stable?.of !== k.importance || stable.value !== k.value || stable.lr !== lr)
      stable = { of: k.importance, value: k.value, lr, importance: stableImportance(k, lr) };
    return stable.importance;
  };
  const knob = consolidationKnob(o.strength, o.maxStrength);
  /** ER-ACE's loss needs a softmax output (its cross-entropy is taken on the logits). */
  const asymmetric = (c: TrainingControl): boolean =>
    o.asymmetric && o.memoryRemedy !== "consolidation" && c.model.outputActivation() === "softmax";
  /** Replayed rows per new row: the first knob's share, or beyond one row the third's. */
  const share = (): number => (st.more.value > 0 ? st.more.value : st.share);
  /** Replay (up to a row per new row, its asymmetric loss, more rows), consolidation, or both in turn (lowered in reverse). */
  const memoryControl = (f: ForgettingMemory, step: number, c: TrainingControl): void => {
    const k = st.consolidation;
    if (consolidating && f.forgetting <= o.forgettingBudget) anchorHere(k, c);
    const replay: KnobState = { value: st.share, changedAt: st.changedAt, pending: st.replayPending };
    const replaying = o.memoryRemedy !== "consolidation";
    const chain: [Knob, KnobState][] = [
      ...(replaying ? [[replayKnob(Math.min(1, o.maxReplay)), replay] as [Knob, KnobState]] : []),
      ...(asymmetric(c) ? [[aceKnob, st.ace] as [Knob, KnobState]] : []),
      ...(replaying && o.maxReplay > 1 ? [[moreReplayKnob(o.maxReplay), st.more] as [Knob, KnobState]] : []),
      ...(consolidating ? [[knob, k] as [Knob, KnobState]] : []),
    ];
    chainControl(chain, f, step, o.forgettingBudget, emit);
    [st.share, st.changedAt, st.replayPending] = [replay.value, replay.changedAt, replay.pending];
  };

  const control = (step: number, c: TrainingControl): void => {
    const mem = monitor.memory("plasticityLoss") as PlasticityMemory | undefined;
    if (mem && mem.checks !== st.plasticityChecks) {
      st.plasticityChecks = mem.checks;
      plasticityControl(mem, step, c);
    }
    const f = monitor.memory("forgetting") as ForgettingMemory | undefined;
    if (f && f.probes !== st.forgettingProbes) {
      st.forgettingProbes = f.probes;
      memoryControl(f, step, c);
    }
  };

  return {
    name: "vitals",
    stateKey: "vitals",
    get events() {
      return monitor.events;
    },
    get replayShare() {
      return share();
    },
    get remedies() {
      return st.active.map((k) => remedies[k].name);
    },
    // Its detectors read the units' outputs, no pre-activation: the step stays fused unless a remedy asks for more.
    get wantsActivations() {
      const remedies = activationsAsked(running());
      return remedies === true || (monitor.wantsActivations && rows >= OWN_ROWS ? "outputs" : remedies);
    },
    get keepsActivations() {
      return activationsKept(running());
    },
    // Its detectors read no gradient (the monitor's norms then read 0): only a running remedy may want them.
    wantsGradients: (loss) => running().some((r) => r.wantsGradients?.(loss) ?? true),
    getState: () => {
      // The starting weights and a pending remedy's snapshot are never written after they are taken:
      // shared, not copied (the learner's guard asks for the state every thousand rows).
      const p = st.pending;
      const loop: LoopState = deepCopy({ ...st, initial: null, pending: null, rng: rng.getState() });
      loop.pending = p && { ...deepCopy({ ...p, snapshot: undefined }), snapshot: p.snapshot };
      return {
        monitor: monitor.getState?.(),
        loop: { ...loop, initial: st.initial },
        regulators: st.active.map((k) => (regs.get(k) ?? []).map((r) => r.getState())),
      };
    },
    setState(saved) {
      const s = saved as { monitor: unknown; loop: LoopState; regulators: unknown[][] };
      monitor.setState?.(s.monitor);
      // A checkpoint from before consolidation (or the asymmetric replay) lacks its state: fresh.
      const loop = deepCopy(s.loop) as Partial<LoopState> & LoopState;
      st = {
        ...loop,
        consolidation: loop.consolidation ?? freshConsolidation(),
        ace: loop.ace ?? freshKnob(),
        more: loop.more ?? freshKnob(),
        seen: loop.seen ?? new Float32Array(0),
      };
      rng.setState(st.rng);
      regs = new Map(st.active.map((k, i) => [k, restored(remedies[k], s.regulators[i])]));
      relist();
    },
    unitsReplaced: () => running().reduce((n, r) => n + (r.unitsReplaced?.() ?? 0), 0),
    onTrainBegin(c) {
      uncapped = c.optimizerType !== undefined && scalesEachWeight(c.optimizerType);
      st.initial ??= Object.fromEntries(c.parameters.map(([n, t]) => [n, (t.data as Float32Array).slice()]));
      monitor.onTrainBegin?.(c);
      for (const r of running()) r.onTrainBegin?.(c);
    },
    transformBatch(batch, c) {
      rows = batch.x.shape[0];
      // The probe stands in for a batch too small to read units on (a check step reads a larger one in place).
      if (rows < OWN_ROWS) offerRows(st.probe, o.probeRows, batch, null);
      if (o.forgettingBudget > 0) {
        offerRows(st.reservoir, o.memory, batch, rng);
        st.seen = markClasses(st.seen, batch.y, 0, rows);
      }
      let out = batch;
      for (const r of running()) out = r.transformBatch?.(out, c) ?? out;
      if (share() <= 0) return out;
      return withReplay(out, st.reservoir, Math.floor(share() * batch.x.shape[0] + rng.next()), rng);
    },
    lossTerm(ctx, c) {
      let total = consolidating ? consolidationTerm(st.consolidation, ctx.parameters, stableNow()) : null;
      if (st.ace.value > 0 && st.share > 0 && asymmetric(c)) {
        const t = aceTerm(ctx.batch, ctx.logits, rows, st.seen);
        if (t) total = total ? addTerms(total, t) : t;
      }
      for (const r of running()) {
        const t = r.lossTerm?.(ctx, c) ?? null;
        if (t) total = total ? addTerms(total, t) : t;
      }
      return total;
    },
    // Not handed to the monitor: it would copy the weights before each check step for the update ratio, which
    // no vital-signs detector reads (the weight change between checks is kept by the detectors' own measure).
    readsGradients: () =>
      consolidating || running().some((r) => r.onGradients && (r.readsGradients?.() ?? true)),
    onGradients(grads, c) {
      if (consolidating) accumulateImportance(st.consolidation, grads);
      for (const r of running()) r.onGradients?.(grads, c);
    },
    onBatchEnd(e, c) {
      st.steps++;
      if (consolidating) st.consolidation.lr = e.lr;
      // A blown-up loss is the stability monitor's to repair: this one, which repairs nothing, would end the run.
      if (!lossBlewUp(e.loss, DEFAULT_THRESHOLDS)) watch(e, c);
      for (const r of running()) r.onBatchEnd?.(e, c);
      control(st.steps, c);
    },
    onEpochEnd(e, c) {
      monitor.onEpochEnd?.(e, c);
      for (const r of running()) r.onEpochEnd?.(e, c);
    },
    onTrainEnd(h, c) {
      monitor.onTrainEnd?.(h, c);
      for (const r of running()) r.onTrainEnd?.(h, c);
    },
  };
}

/** `{"type": "vitals", …}` in a `homeostasis` list: the closed loop of the vital signs. */
export const vitalsKind = defineKind({
  name: "vitals",
  doc: "The vital signs in a closed loop: loss of plasticity and forgetting diagnosed on a probe, remedied (a plasticity regulator; more replay, then its asymmetric loss), each remedy verified or rolled back.",
  options: VITALS_OPTIONS,
  create: (o) => vitals(o),
});
