/**
 * The health monitor: an observer of the training loop made of three parts — the statistics observer
 * (observer.ts) that draws the training picture, the detectors (kinds.ts) that judge it, each with its
 * evidence, diagnosis and repair, and the repair policy (policy.ts) that decides what is done — over one
 * plain state object (state.ts), which is also what a checkpoint keeps.
 */
import { allocFloat32, copyFloat32 } from "../backend/index.js";
import { parseOptions } from "../config/options.js";
import type { Kind } from "../config/registry.js";
import type { BatchEvent, EpochEvent, Observer, TrainingControl } from "../train/events.js";
import type { RepairContext } from "./actions.js";
import { clipAt, CLIP_HEADROOM } from "./actions.js";
import {
  DEFAULT_THRESHOLDS,
  diagnoseBlowUp,
  type HealthEvent,
  lossBlewUp,
  median,
  type Thresholds,
} from "./findings.js";
import {
  BUILTIN_DETECTOR_NAMES,
  type Detector,
  type DetectorContext,
  type DetectorKind,
  detectors as registry,
} from "./kinds.js";
import {
  changeLayers,
  checkNext,
  countBatch,
  monitoredLayers,
  freshLayerState,
  type LayerInfo,
  layerGradNorms,
  type PictureMeasures,
  resetWindow,
  takePicture,
} from "./observer.js";
import { repairPolicy } from "./policy.js";
import { noSnapshots, takeSnapshot } from "./repairs.js";
import {
  freshState,
  fromCheckpoint,
  type HealthMonitorState,
  type MonitorState,
  toCheckpoint,
} from "./state.js";
import type { HealthStatistics } from "./statistics.js";

export type { HealthMonitorState } from "./state.js";

/** The kinds of finding a blown-up loss is diagnosed as (diagnoseBlowUp). */
const BLOW_UP_KINDS = ["nonFinite", "explodingGradients"];

/** A detector to run: a registered name, `{ type: name, ...options }`, or a kind object of one's own. */
export type DetectorChoice = string | ({ type: string } & Record<string, unknown>) | DetectorKind;

/** Options of `healthMonitor`: whether to repair, the thresholds, the detectors, the repair budgets. */
export interface HealthMonitorOptions {
  /**
   * Repair what can be repaired (rollback, learning-rate changes, clipping, unit re-initialisation). Default
   * false: report only. A list of finding kinds repairs those only, with no rollback snapshots kept.
   */
  repair?: boolean | readonly string[];
  /** Thresholds for every detector (each detector's own options override them). */
  thresholds?: Partial<Thresholds>;
  /**
   * The detectors, in the order they are consulted at a check (the first finding wins). Default: every
   * built-in one (`BUILTIN_DETECTOR_NAMES`); add one's own with `[...BUILTIN_DETECTOR_NAMES, mine]`.
   */
  detectors?: readonly DetectorChoice[];
  /** Seeds the fresh weights of re-initialised units. */
  seed?: number;
  /** Called with each event as it happens (the CLI prints it). */
  onEvent?: (e: HealthEvent) => void;
  /** Repairs allowed per kind of problem, and in all; beyond them the run fails with the diagnosis. Defaults 3 and 10. */
  maxRepairsPerKind?: number;
  maxRepairs?: number;
  /**
   * Steps after which the repair budgets (and the once-only reports) start afresh; default never. A
   * learner that lives for a year gets a budget per window, not one for its whole life.
   */
  renewBudgetsEvery?: number;
}

/**
 * The health monitor: a training observer (hand it to `fit`'s `observers`) that keeps the events it raised.
 */
export interface HealthMonitor extends Observer {
  readonly events: HealthEvent[];
  /** Per-layer time series (downsampled), for reports. */
  statistics(): HealthStatistics;
  /**
   * The model's parameters changed shape (a grown output layer): the rollback snapshots are dropped, and
   * the next `onTrainBegin` that restores no state starts the per-layer state afresh and snapshots anew.
   */
  modelReshaped(): void;
  /** Start the repair budgets (and the once-only reports) afresh. */
  renewBudgets(): void;
  /** A stateful detector's memory (its baseline, its rows), live; undefined before its first check. */
  memory(detector: string): unknown;
}

/**
 * Watch a run, explain what goes wrong in plain words, and repair it when `repair` is set.
 *
 * @example
 * const health = healthMonitor({ repair: true, onEvent: (e) => console.log(formatEvent(e)) });
 * fit(model, data, { ...opts, observers: [health] });
 * health.events; // [{ step: 40, kind: "dyingRelu", layer: "0", evidence: { deadFraction: 0.93, … }, … }]
 */
export function healthMonitor(opts: HealthMonitorOptions = {}): HealthMonitor {
  const t: Thresholds = { ...DEFAULT_THRESHOLDS, ...opts.thresholds };
  const active = (opts.detectors ?? BUILTIN_DETECTOR_NAMES).map((c, i) =>
    makeDetector(c, t, `health.detectors[${i}]`),
  );
  // A blow-up is repaired by the detector of its kind, the built-in one where the list left it out.
  const builtins = BUILTIN_DETECTOR_NAMES.map((n) => makeDetector(n, t, "health"));
  const repairOf = (kind: string): Detector | undefined =>
    active.find((d) => d.reports.includes(kind)) ?? builtins.find((d) => d.reports.includes(kind));
  const deciders = [...active, ...BLOW_UP_KINDS.map(repairOf)];
  // The deepest the vital-signs measures reach (Infinity: every unit layer), and whether ‖W‖ is read at all.
  const depth = Math.max(0, ...active.map((d) => (d.measures === true ? Infinity : Number(d.measures ?? 0))));
  const weighs = active.some((d) => d.readsWeights ?? true);
  const policy = repairPolicy({
    repair: opts.repair ?? false,
    maxPerKind: opts.maxRepairsPerKind ?? 3,
    maxTotal: opts.maxRepairs ?? 10,
    fatal: new Set(deciders.flatMap((d) => (d?.fatal ? d.reports : []))),
    onEvent: opts.onEvent,
  });
  let s: MonitorState = freshState(opts.seed ?? 0);
  const events = s.events;
  /** Derived from the model at the start of training; not state. */
  let layers: LayerInfo[] = [];
  let measures: PictureMeasures = { stableRank: depth > 0, change: [], weights: weighs };
  let before: Float32Array[] = [];
  let wantNext = false;
  let restored = false;

  const renewBudgets = (): void => {
    s.repairs = [];
    s.totalRepairs = 0;
    s.reported = [];
  };

  const memoryOf =
    (name: string) =>
    <T extends object>(fresh: () => T): T => {
      s.memory ??= {};
      return (s.memory[name] ??= fresh()) as T;
    };

  const context = (control: TrainingControl, e: BatchEvent): RepairContext => ({
    control,
    step: e.step,
    batch: e.batch,
    state: s,
    layers,
  });

  const blowUp = (e: BatchEvent, control: TrainingControl): void => {
    const bad = countNonFinite(e.batch.x.data);
    const norms = layerGradNorms(e, control, layers);
    const f = diagnoseBlowUp(e.step, e.loss, bad, norms, median(s.gradNorms), t);
    if (bad > 0 || !policy.repairs) {
      // Rolling back cannot clean data, and a NaN run without repair is over (Keras' TerminateOnNaN).
      policy.emit(s, { step: e.step, ...f });
      policy.fail(s, control, e.step, f, bad > 0 ? "the data must be fixed first" : "repair is off");
      return;
    }
    const fix = repairOf(f.kind)?.repair?.(f, context(control, e)) ?? null;
    policy.handle(s, control, layers, e.step, f, fix);
    resetWindow(s);
  };

  const check = (e: BatchEvent, control: TrainingControl): void => {
    const { picture, gradNorm } = takePicture(s, e, control, layers, before, t, measures);
    if (s.pendingClip) {
      s.pendingClip = false;
      policy.emit(s, clipAt(control, e.step, CLIP_HEADROOM * gradNorm));
    }
    if (!picture) return;
    for (const d of active) {
      const found = d.check?.(picture, { control, layers, batch: e.batch, memory: memoryOf(d.name) });
      if (!found) continue;
      const { unrepairable, ...f } = found;
      if (unrepairable) {
        policy.emit(s, { step: e.step, ...f });
        policy.fail(s, control, e.step, f, unrepairable);
      } else policy.handle(s, control, layers, e.step, f, d.repair?.(f, context(control, e)) ?? null);
      return;
    }
    policy.healthy(s, control);
  };

  return {
    get events() {
      return events;
    },
    stateKey: "health",
    getState: () => toCheckpoint(s),
    setState(saved: unknown) {
      const loaded = fromCheckpoint(saved as HealthMonitorState);
      // The events array stays the one `events` handed out.
      events.splice(0, events.length, ...loaded.events);
      s = { ...loaded, events };
      // Per-layer state is checked against the layers, which onTrainBegin finds (fit restores observers before it).
      restored = true;
    },
    get wantsActivations() {
      return wantNext;
    },
    keepsActivations: false, // its statistics are taken inside onBatchEnd
    // Gradients are read at check steps and when the loss blew up; copying them at every step cost ~3% of a step.
    wantsGradients: (loss) => wantNext || (!s.done && lossBlewUp(loss, t)),
    statistics: () => ({ checkEvery: t.checkEvery, points: s.series.points.slice() }),
    modelReshaped() {
      s.snapshots = noSnapshots();
    },
    renewBudgets,
    memory: (name) => s.memory?.[name],
    onTrainBegin(control) {
      layers = monitoredLayers(control);
      measures = { ...measures, change: changeLayers(layers, depth) };
      before = [];
      wantNext = checkNext(s, control.step, t);
      if (restored) {
        if (s.layers.length !== layers.length)
          throw new Error(
            `health: the checkpoint's monitor state has ${s.layers.length} unit layers, the model ${layers.length}`,
          );
        restored = false;
        wantNext &&= !s.done;
        return;
      }
      s.layers = layers.map((l) => freshLayerState(l, weighs));
      if (policy.repairs) takeSnapshot(s.snapshots, control);
    },
    readsGradients: () => false, // its hook keeps the weights a check step starts from, no gradient
    onGradients(_grads, control) {
      // The step about to happen is a check step: keep the weights it starts from, for the update ratio.
      if (s.done || !checkNext(s, control.step, t)) return;
      before = layers.map((info, k) => {
        const w = control.parameters[info.weightAt][1].data as Float32Array;
        // In the backend's memory, where its stepSquares reads the weights in place.
        const buf = before[k] && before[k].length === w.length ? before[k] : allocFloat32(w.length);
        copyFloat32(buf, w);
        return buf;
      });
    },
    onBatchEnd(e, control) {
      if (opts.renewBudgetsEvery && e.step % opts.renewBudgetsEvery === 0) renewBudgets();
      if (e.step % t.checkEvery === 0) s.checkDue = true;
      const checkNow = s.checkDue === true && !e.partial;
      if (checkNow) s.checkDue = false;
      wantNext = !s.done && checkNext(s, e.step, t);
      if (s.done) return;
      if (lossBlewUp(e.loss, t)) return blowUp(e, control);
      countBatch(s, e, layers);
      if (checkNow) check(e, control);
    },
    onEpochEnd(e: EpochEvent, control) {
      if (s.done) return;
      s.epochsSeen.push(e);
      for (const d of active) {
        const f = d.epoch?.(s.epochsSeen);
        if (f) policy.handle(s, control, layers, e.steps, f, null);
      }
    },
  };
}

/**
 * A detector from a name, `{type, ...options}` or a kind object. The monitor's thresholds stand in for the
 * options it names; options given with the detector win over them.
 */
function makeDetector(choice: DetectorChoice, t: Thresholds, field: string): Detector {
  const own = typeof choice === "object" && "create" in choice;
  const kind: Kind<Detector, DetectorContext> = own
    ? (choice as DetectorKind)
    : registry.get(typeof choice === "string" ? choice : (choice as { type: unknown }).type, `${field}.type`);
  const given = typeof choice === "object" && !own ? choice : { type: kind.name };
  const checked = parseOptions(given, kind.options, field, ["type"]);
  const fromThresholds = Object.fromEntries(
    Object.keys(kind.options).flatMap((k) =>
      k in t && !(k in given) ? [[k, t[k as keyof Thresholds]]] : [],
    ),
  );
  return kind.create({ ...checked, ...fromThresholds }, { thresholds: t }, field);
}

function countNonFinite(a: ArrayLike<number>): number {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i])) n++;
  return n;
}
