/**
 * The learner's stability: the health monitor watches every step and repairs within a budget that renews
 * every `BUDGET_WINDOW` steps, reading its unit statistics on the probe of recent rows (a batch-1 step
 * shows half of any ReLU layer silent). A failure the monitor cannot repair does not stop the learner: it
 * goes back to its last healthy state (weights, optimiser, every observer) and says so in its vitals.
 *
 * The detectors are those of genuine pathologies. Divergence, plateau, oscillation and the other
 * loss-trend detectors are left out: on a stream, a rising or flat loss is a drift or a stationary
 * concept, which the drift detector handles, not a training fault to roll back from. So is the gradient
 * spike test of `explodingGradients`: the first rows of a new label or concept give gradients 200× the
 * usual, and its repair (rescaling every layer, clipping) cost 2 points on the digit stream. A loss that
 * really blows up is still repaired (the monitor's blow-up path), then goes back to a healthy state.
 */
import { keptCopy } from "../backend/index.js";
import { healthMonitor, type HealthMonitor } from "../health/monitor.js";
import type { HealthEvent } from "../health/findings.js";
import type { Sequential } from "../nn/sequential.js";
import type { Batch, LayerActivation, Observer } from "../train/events.js";
import { deepCopy, deepCopyInto } from "../tensor/plain.js";
import type { TrainingState } from "../train/options.js";

export const LEARNER_DETECTORS = [
  "nonFiniteWeights",
  "lrTooHigh",
  "dyingRelu",
  "vanishingGradients",
  "saturation",
];
/** Steps between two health checks (the training monitor's 20 is tuned for batches of 32 or more). */
export const LEARNER_CHECK_EVERY = 100;
/** Probe rows the monitor's unit statistics are read on at a check. */
export const HEALTH_PROBE_ROWS = 64;
/** Probe rows needed before the monitor reads unit statistics on the probe. */
export const MIN_HEALTH_PROBE = 16;
/** Steps after which the repair budgets start afresh. */
export const BUDGET_WINDOW = 10_000;
/** The learning-rate factor a learner takes on each time it goes back to its healthy state. */
export const FAILURE_RATE_CUT = 0.5;
/** Steps between two keeps of the last healthy state. */
export const HEALTHY_EVERY = 1000;

/** A state the learner can go back to: its weights and its training state (optimiser, observers). */
export interface HealthyState {
  step: number;
  /** The parameters, then the buffers (batch norm's running statistics), in the model's order. */
  weights: Float32Array[];
  run: TrainingState;
}

export interface GuardState {
  failures: { row: number; step: number; diagnosis: string }[];
  healthy: HealthyState | null;
  /** Monitor events seen when the healthy state was kept. */
  eventsAtHealthy: number;
}

/**
 * @example
 * const guard = new LearnerGuard(1, () => probeBatch());
 * const run = new TrainingRun(model, empty, loss, { …, observers: [guard.observer] }, rngs);
 */
export class LearnerGuard {
  readonly monitor: HealthMonitor;
  /** The monitor as the learner's run sees it: its statistics taken on the probe at check steps. */
  readonly observer: Observer;
  private s: GuardState = { failures: [], healthy: null, eventsAtHealthy: 0 };

  constructor(seed: number, probe: () => Batch | null, state?: GuardState) {
    this.monitor = healthMonitor({
      repair: true,
      seed,
      detectors: LEARNER_DETECTORS,
      thresholds: { checkEvery: LEARNER_CHECK_EVERY },
      renewBudgetsEvery: BUDGET_WINDOW,
    });
    if (state) this.s = deepCopy(state);
    this.observer = onProbe(this.monitor, probe);
  }

  get events(): readonly HealthEvent[] {
    return this.monitor.events;
  }
  get failures(): readonly GuardState["failures"][number][] {
    return this.s.failures;
  }

  /**
   * After a step: keep the state as healthy every `HEALTHY_EVERY` steps when nothing was found since the
   * last keep; when the run failed, record it and return the healthy state to go back to.
   */
  afterStep(
    step: number,
    row: number,
    failed: string | undefined,
    keep: () => HealthyState,
  ): HealthyState | null {
    if (failed !== undefined) {
      this.s.failures.push({ row, step, diagnosis: failed });
      return this.s.healthy;
    }
    const events = this.monitor.events.length;
    if (this.s.healthy === null || (step % HEALTHY_EVERY === 0 && events === this.s.eventsAtHealthy)) {
      this.s.healthy = deepCopyInto(this.s.healthy, keep(), keptCopy);
    }
    this.s.eventsAtHealthy = events;
    return null;
  }

  /** The model grew: the monitor's snapshots and the healthy state no longer fit it (kept anew next step). */
  reshaped(): void {
    this.monitor.modelReshaped();
    this.s.healthy = null;
  }

  /** A copy of the state (the monitor's own travels with the training state, under its stateKey). */
  getState(): GuardState {
    return deepCopy(this.s);
  }
}

/**
 * `monitor` with its per-step statistics from the training batch, but at its check steps (when it asks
 * for activations) the batch and activations it sees are those of the probe rows, in inference mode.
 */
function onProbe(monitor: HealthMonitor, probe: () => Batch | null): Observer {
  return {
    stateKey: monitor.stateKey,
    getState: () => monitor.getState?.(),
    setState: (s) => monitor.setState?.(s),
    wantsGradients: (loss) => monitor.wantsGradients?.(loss) ?? true,
    onTrainBegin: (control) => monitor.onTrainBegin?.(control),
    readsGradients: () => monitor.readsGradients?.() ?? true,
    onGradients: (grads, control) => monitor.onGradients?.(grads, control),
    onEpochEnd: (e, control) => monitor.onEpochEnd?.(e, control),
    onBatchEnd(e, control) {
      const batch = monitor.wantsActivations ? probe() : null;
      if (!batch) return monitor.onBatchEnd?.(e, control);
      const activations = probeActivations(control.model, batch);
      monitor.onBatchEnd?.({ ...e, batch, activations }, control);
    },
  };
}

function probeActivations(model: Sequential, batch: Batch): Map<string, LayerActivation> {
  const map = new Map<string, LayerActivation>();
  model.forward(batch.x, {
    training: false,
    onActivation: (name, output, pre) => map.set(name, { output, preActivation: pre }),
  });
  return map;
}
