/**
 * One training session of the playground, free of the DOM: a model, its data (one task or several after
 * task switches), the health monitor, and `fit` driven one epoch at a time through its exact-resume
 * state, so the page can train a few steps per animation frame and stay responsive.
 */
import {
  createRegulator,
  Dense,
  fit,
  type HealthEvent,
  type HealthMonitor,
  healthMonitor,
  type Observer,
  type Optimizer,
  optimizers,
  type Regulator,
  Rng,
  Sequential,
  StepRecorder,
  Tensor,
  type TrainingState,
} from "homeostat";
import { type DatasetName, permuteFeatures, type Points, shiftLabels, toTensors } from "./datasets.js";

/** A name in the library's `optimizers` registry (the page's menu lists them). */
export type OptimizerName = string;
export type UnitHealth = "dead" | "saturated" | "dormant" | "healthy";

export interface SessionOptions {
  dataset: DatasetName;
  hidden: number[];
  /** A name in the library's `activations` registry. */
  activation: string;
  optimizer: OptimizerName;
  lr: number;
  batchSize: number;
  repair: boolean;
  seed: number;
  /** Homeostatic regulators on from the start (they can be switched on and off live). */
  regulators?: string[];
}

export interface Task {
  name: string;
  points: Points;
  data: { x: Tensor; y: Tensor };
}

/**
 * The oscillation and gradient-jump rules compare against the run's own recent values. Once a toy set
 * is fitted (loss ~1e-3, gradients ~1e-5) the noise of a small batch looks like a 100× jump or a 50%
 * swing and the run "fails" at 100% accuracy; a playground runs on long after that. Here the jump
 * must be 10⁴× and oscillation is off; blow-ups are still caught by the divergence and non-finite rules.
 */
export const PLAYGROUND_THRESHOLDS = { oscillationCount: Infinity, explodingGrowth: 1e4 };

export function makeOptimizer(name: OptimizerName, lr: number): Optimizer {
  // Plain SGD crawls on these toy problems; with momentum it keeps up with the adaptive ones.
  return optimizers.build(
    name === "sgd" ? { type: "sgd", lr, momentum: 0.9 } : { type: name, lr },
    undefined,
  );
}

export class Session {
  readonly model: Sequential;
  readonly tasks: Task[] = [];
  readonly events: HealthEvent[] = [];
  readonly losses = new StepRecorder(512);
  /** Accuracy on every task seen so far, after each epoch (index = task). */
  readonly accuracy: { step: number; perTask: number[] }[] = [];
  step = 0;
  failed: string | null = null;
  private optimizer: Optimizer;
  private monitor: HealthMonitor;
  /** Regulators switched on, by type; each keeps its state while on. */
  private readonly regulators = new Map<string, Regulator>();
  private state: TrainingState | undefined;
  private readonly rng: Rng;
  private readonly base: Points;

  /** `base`: the first task's points (a toy set from makeDataset, or the digits). */
  constructor(
    readonly opts: SessionOptions,
    base: Points,
  ) {
    this.rng = new Rng(opts.seed).fork("playground");
    this.base = base;
    this.addTask(this.base, opts.dataset);
    const layers = [
      ...opts.hidden.map((u) => new Dense(u, { activation: opts.activation })),
      new Dense(this.base.classes, { activation: "softmax" }),
    ];
    this.model = new Sequential(layers).build(base.dim, new Rng(opts.seed).fork("init"));
    this.optimizer = makeOptimizer(opts.optimizer, opts.lr);
    this.monitor = this.makeMonitor(opts.repair);
    for (const r of opts.regulators ?? []) this.setRegulator(r, true);
  }

  /**
   * Switch a homeostatic regulator on or off from the next step on. Regulators fit small toy networks
   * with short warm-ups and frequent rounds: ReDo every 50 steps, continual backprop replacing 1% of the
   * mature units per step.
   */
  setRegulator(type: string, on: boolean): void {
    if (!on) {
      this.regulators.delete(type);
      if (this.state) delete this.state.observers[type];
      return;
    }
    if (this.regulators.has(type)) return;
    const options: Record<string, number> =
      type === "redo"
        ? { every: 50, tau: 0.1 }
        : type === "continualBackprop"
          ? { replacementRate: 0.01, maturity: 50 }
          : { warmup: 20 };
    this.regulators.set(type, createRegulator({ type, options }));
  }

  get activeRegulators(): string[] {
    return [...this.regulators.keys()];
  }

  get current(): Task {
    return this.tasks[this.tasks.length - 1];
  }

  private addTask(points: Points, name: string): void {
    this.tasks.push({ name, points, data: toTensors(points) });
  }

  private makeMonitor(repair: boolean): HealthMonitor {
    return healthMonitor({
      repair,
      seed: this.opts.seed,
      thresholds: PLAYGROUND_THRESHOLDS,
      onEvent: (e) => this.events.push(e),
    });
  }

  /** Repairs on or off from now on; the monitor's findings so far carry over. */
  setRepair(repair: boolean): void {
    this.opts.repair = repair;
    this.monitor = this.makeMonitor(repair);
  }

  /** A new learning rate from the next step on (the optimiser's moments carry over). */
  setLearningRate(lr: number): void {
    this.opts.lr = lr;
    this.optimizer = makeOptimizer(this.opts.optimizer, lr);
  }

  /**
   * Continual learning. 2-D sets: the same points, every class relabelled — the old task and the new one
   * conflict. Digits: the pixels in a new fixed order (permuted MNIST).
   * The new task starts with the configured learning rate, no clipping and a fresh monitor: repairs
   * made for a fitted task (learning-rate cuts) would otherwise hold back the new one.
   */
  switchTask(): void {
    const k = this.tasks.length;
    const next =
      this.base.dim === 2
        ? shiftLabels(this.base, k % this.base.classes || 1)
        : permuteFeatures(this.base, this.rng.fork(`task ${k}`));
    this.addTask(next, `${this.opts.dataset} · task ${k + 1}`);
    this.freshStart();
  }

  /** After the monitor declared the run failed: carry on training (the monitor starts over). */
  carryOn(): void {
    this.freshStart();
  }

  private freshStart(): void {
    this.failed = null;
    this.monitor = this.makeMonitor(this.opts.repair);
    if (!this.state) return;
    this.state.lrScale = 1;
    this.state.clipNorm = null;
    delete this.state.observers.health;
  }

  /** Train one epoch of the current task; returns the steps taken (0 once training has failed). */
  trainEpoch(): number {
    if (this.failed) return 0;
    const before = this.step;
    const losses = this.losses;
    const record: Observer = { onBatchEnd: (e) => losses.add(e.step, e.loss, e.lr) };
    if (this.state) {
      // Each call starts a fresh epoch: a new order of the rows and fresh epoch metrics.
      this.rng.shuffle(this.state.order);
      this.state.accumulator = [0, 0, 0, 0, 0, 0] /* fresh epoch metric sums */;
      this.state.epochs = this.state.epochs.slice(-4);
    }
    const result = fit(this.model, this.current.data, {
      epochs: (this.state?.epoch ?? 0) + 1,
      batchSize: this.opts.batchSize,
      optimizer: this.optimizer,
      loss: "crossEntropy",
      seed: this.opts.seed,
      observers: [this.monitor, ...this.regulators.values(), record],
      resume: this.state,
      checkpoint: { every: Number.MAX_SAFE_INTEGER, save: (s) => (this.state = s) },
    });
    this.step = result.steps;
    if (result.failed) {
      // fit saves no state for a failed epoch: keep the step count going from where it stopped.
      this.failed = result.failed;
      if (this.state) this.state.step = result.steps;
    }
    this.accuracy.push({ step: this.step, perTask: this.tasks.map((t) => accuracyOn(this.model, t)) });
    if (this.accuracy.length > 2000) this.accuracy.splice(0, this.accuracy.length - 2000);
    return this.step - before;
  }

  /** Class probabilities of the current task's first `n` inputs. */
  predictions(n: number): Float32Array {
    const rows = Math.min(n, this.current.points.labels.length);
    const x = this.current.data.x;
    return this.model.forward(
      new Tensor(x.data.subarray(0, rows * this.base.dim) as Float32Array, [rows, this.base.dim]),
    ).data as Float32Array;
  }

  /** Class probabilities on a grid × grid raster of [-1, 1]² (row 0 at y = +1); 2-D sets only. */
  probabilities(grid: number): { p: Float32Array; classes: number } {
    const x = new Float32Array(grid * grid * 2);
    for (let r = 0; r < grid; r++) {
      for (let c = 0; c < grid; c++) {
        x[2 * (r * grid + c)] = -1 + (2 * (c + 0.5)) / grid;
        x[2 * (r * grid + c) + 1] = 1 - (2 * (r + 0.5)) / grid;
      }
    }
    return {
      p: this.model.forward(new Tensor(x, [grid * grid, 2])).data as Float32Array,
      classes: this.base.classes,
    };
  }

  /** Each hidden unit's health on the current task's points. */
  unitHealth(): { layer: string; activation: string; units: { health: UnitHealth; activity: number }[] }[] {
    const outputs = new Map<string, Tensor>();
    this.model.forward(this.current.data.x, {
      training: false,
      onActivation: (layer, out) => outputs.set(layer, out),
    });
    const hidden = this.model.layers.slice(0, -1);
    return hidden.map((layer, i) => {
      const out = outputs.get(String(i))!;
      const [n, units] = out.shape as [number, number];
      const act = (layer as Dense).activation;
      const meanAbs = new Float64Array(units),
        active = new Uint8Array(units),
        saturated = new Float64Array(units);
      for (let r = 0; r < n; r++) {
        for (let u = 0; u < units; u++) {
          const h = out.data[r * units + u];
          meanAbs[u] += Math.abs(h) / n;
          if (h > 0) active[u] = 1;
          if ((act === "tanh" && Math.abs(h) > 0.98) || (act === "sigmoid" && (h < 0.01 || h > 0.99)))
            saturated[u] += 1 / n;
        }
      }
      const avg = meanAbs.reduce((a, b) => a + b, 0) / units;
      return {
        layer: String(i),
        activation: act,
        units: Array.from({ length: units }, (_, u) => {
          const health: UnitHealth =
            act === "relu" && !active[u]
              ? "dead"
              : saturated[u] > 0.9
                ? "saturated"
                : avg > 0 && meanAbs[u] / avg <= 0.1
                  ? "dormant"
                  : "healthy";
          return { health, activity: avg > 0 ? meanAbs[u] / avg : 0 };
        }),
      };
    });
  }
}

function accuracyOn(model: Sequential, task: Task): number {
  const p = model.forward(task.data.x).data;
  const k = task.points.classes;
  let right = 0;
  task.points.labels.forEach((label, i) => {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
    if (best === label) right++;
  });
  return right / task.points.labels.length;
}
