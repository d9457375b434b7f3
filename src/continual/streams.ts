/**
 * Task streams: a classification data set cut or transformed into a sequence of tasks, labelled for one
 * of the three scenarios of van de Ven, Tuytelaars & Tolias (2022), "Three types of incremental learning":
 *
 * - task-incremental (`"task"`): the task's identity is given; one head per task (here: the shared output
 *   layer masked to the task's units, see heads.ts);
 * - domain-incremental (`"domain"`): one head, the same label space in every task;
 * - class-incremental (`"class"`): one head over every class seen so far.
 *
 * Streams: `split` (disjoint groups of classes, pairs for 5 tasks of 10 classes), `permuted` (a fixed,
 * seeded pixel permutation per task, every image in every task) and `rotated` (every image rotated by
 * a task's angle, bilinear, about the image centre).
 */
import type { Dataset } from "../data/dataset.js";
import { ConfigError, DataError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";

/** How a stream makes tasks from the digits: pixel permutations, class pairs, or rotations. */
export type StreamKind = "permuted" | "split" | "rotated";
/**
 * Van de Ven et al. (2022)'s scenarios: the task is given (task), not needed (domain), or inferred (class).
 */
export type Scenario = "task" | "domain" | "class";
/** Every stream kind, in the order `--help` lists them. */
export const STREAM_KINDS: readonly StreamKind[] = ["permuted", "split", "rotated"];
/** Every scenario, in the order `--help` lists them. */
export const SCENARIOS: readonly Scenario[] = ["task", "domain", "class"];

/** What `makeStream` builds: the kind, the number of tasks, the scenario, and the seed. */
export interface StreamOptions {
  kind: StreamKind;
  tasks: number;
  /** Seeds the permutations (permuted streams); split and rotated streams do not depend on it. */
  seed: number;
  scenario: Scenario;
  /** Keep at most this many rows per task (the first ones; the bundled digits are already shuffled). */
  perTask?: number;
  /** Largest rotation of a rotated stream, in degrees (default 180): task t is rotated by t·maxAngle/tasks. */
  maxAngle?: number;
}

/** One task: its rows in the stream's output space and the output units its rows are labelled with. */
export interface Task {
  readonly index: number;
  /** For tables: "0/1", "perm 3", "rot 72°". */
  readonly name: string;
  /** Inputs [n, inputDim] and one-hot targets [n, outputDim]. */
  readonly x: Tensor;
  readonly y: Tensor;
  /** The output unit of each row. */
  readonly labels: Int32Array;
  /** The output units this task's rows use (its head in the task-incremental scenario). */
  readonly classes: readonly number[];
}

/** A stream of tasks over one input space, with the output width its scenario needs. */
export interface TaskStream {
  readonly kind: StreamKind;
  readonly scenario: Scenario;
  readonly inputDim: number;
  /** Width of the model's output layer: classes per task (split, domain), classes (permuted/rotated, domain), else all units of all tasks. */
  readonly outputDim: number;
  readonly tasks: readonly Task[];
  /** The task each output unit belongs to (task and class scenarios); -1 when units are shared (domain). */
  readonly unitTask: Int32Array;
}

/**
 * Cut a classification data set into a stream of tasks. Call it once on the training split and once on
 * the test split with the same options: permutations, angles and class groups depend only on the options.
 *
 * @example
 * // train: a Dataset (loadBundledMnist() from homeostat/node gives the bundled digits)
 * const trainStream = makeStream(train, { kind: "split", tasks: 5, seed: 1, scenario: "class" });
 * trainStream.tasks[0].name; // "0/1"
 */
export function makeStream(ds: Dataset, opts: StreamOptions): TaskStream {
  const { kind, tasks, scenario } = opts;
  if (!STREAM_KINDS.includes(kind))
    throw new ConfigError(`stream: expected one of ${STREAM_KINDS.join(", ")}, got ${JSON.stringify(kind)}`, {
      field: "stream",
    });
  if (!SCENARIOS.includes(scenario))
    throw new ConfigError(
      `scenario: expected one of ${SCENARIOS.join(", ")}, got ${JSON.stringify(scenario)}`,
      { field: "scenario" },
    );
  if (!Number.isInteger(tasks) || tasks < 1)
    throw new ConfigError(`tasks: expected a positive integer, got ${tasks}`, { field: "tasks" });
  if (ds.task !== "classification")
    throw new DataError("makeStream: task streams need a classification data set (one-hot targets)");
  const labels = ds.labels ?? argmaxLabels(ds);
  const k = ds.outputDim;
  return kind === "split" ? splitStream(ds, labels, k, opts) : transformedStream(ds, labels, k, opts);
}

function splitStream(ds: Dataset, labels: Int32Array, k: number, opts: StreamOptions): TaskStream {
  const perTask = Math.floor(k / opts.tasks);
  if (perTask < 2)
    throw new ConfigError(
      `tasks: a split stream of ${k} classes has at most ${Math.floor(k / 2)} tasks of two classes, got ${opts.tasks}`,
      { field: "tasks" },
    );
  const domain = opts.scenario === "domain";
  const outputDim = domain ? perTask : k;
  const unitTask = new Int32Array(outputDim).fill(-1);
  const tasks: Task[] = [];
  for (let t = 0; t < opts.tasks; t++) {
    const first = t * perTask;
    const rows: number[] = [];
    for (let i = 0; i < ds.n && rows.length < (opts.perTask ?? Infinity); i++) {
      if (labels[i] >= first && labels[i] < first + perTask) rows.push(i);
    }
    const units = domain ? range(0, perTask) : range(first, first + perTask);
    if (!domain) for (const u of units) unitTask[u] = t;
    const name = range(first, first + perTask)
      .map((c) => ds.classes?.[c] ?? String(c))
      .join("/");
    tasks.push(
      buildTask(
        ds,
        t,
        name,
        rows,
        (i) => (domain ? labels[i] - first : labels[i]),
        outputDim,
        units,
        (src) => src,
      ),
    );
  }
  return { kind: "split", scenario: opts.scenario, inputDim: ds.inputDim, outputDim, tasks, unitTask };
}

function transformedStream(ds: Dataset, labels: Int32Array, k: number, opts: StreamOptions): TaskStream {
  const domain = opts.scenario === "domain";
  const outputDim = domain ? k : k * opts.tasks;
  const unitTask = new Int32Array(outputDim).fill(-1);
  const n = Math.min(ds.n, opts.perTask ?? ds.n);
  const rows = range(0, n);
  const tasks: Task[] = [];
  // Short streams keep every task (evaluation visits them all after each task); long ones keep a few.
  const cache = new TaskCache(Math.max(4, opts.tasks <= 20 ? opts.tasks : 4));
  for (let t = 0; t < opts.tasks; t++) {
    const offset = domain ? 0 : t * k;
    const units = range(offset, offset + k);
    if (!domain) for (const u of units) unitTask[u] = t;
    let name: string;
    let transform: (src: Float32Array) => Float32Array;
    if (opts.kind === "permuted") {
      const perm = new Rng(opts.seed).fork(`permutation ${t}`).permutation(ds.inputDim);
      name = `perm ${t + 1}`;
      transform = (src) => permute(src, perm);
    } else {
      const angle = (t * (opts.maxAngle ?? 180)) / opts.tasks;
      const rotate = rotation(ds.inputDim, angle);
      name = `rot ${Math.round(angle)}°`;
      transform = rotate;
    }
    tasks.push(
      lazyTask(t, name, units, cache, () =>
        buildTask(ds, t, name, rows, (i) => offset + labels[i], outputDim, units, transform),
      ),
    );
  }
  return { kind: opts.kind, scenario: opts.scenario, inputDim: ds.inputDim, outputDim, tasks, unitTask };
}

/**
 * A task whose rows are made when first read and kept in a small cache shared by its stream: a stream of
 * 150 permuted copies of 8,000 digits would otherwise hold 3.7 GB. Rebuilding a task is deterministic.
 */
function lazyTask(index: number, name: string, classes: number[], cache: TaskCache, build: () => Task): Task {
  const get = (): Task => cache.get(index, build);
  return {
    index,
    name,
    classes,
    get x() {
      return get().x;
    },
    get y() {
      return get().y;
    },
    get labels() {
      return get().labels;
    },
  };
}

/** The most recently used built tasks of a stream (a handful: the current task, its test twin, a probe). */
class TaskCache {
  private readonly built = new Map<number, Task>();
  constructor(private readonly capacity: number) {}

  get(index: number, build: () => Task): Task {
    let t = this.built.get(index);
    if (t) this.built.delete(index);
    else t = build();
    this.built.set(index, t);
    if (this.built.size > this.capacity) this.built.delete(this.built.keys().next().value!);
    return t;
  }
}

function buildTask(
  ds: Dataset,
  index: number,
  name: string,
  rows: readonly number[],
  unitOf: (row: number) => number,
  outputDim: number,
  classes: number[],
  transform: (src: Float32Array) => Float32Array,
): Task {
  const d = ds.inputDim;
  const x = new Float32Array(rows.length * d);
  const y = new Float32Array(rows.length * outputDim);
  const labels = new Int32Array(rows.length);
  rows.forEach((i, r) => {
    x.set(transform(ds.x.subarray(i * d, (i + 1) * d)), r * d);
    labels[r] = unitOf(i);
    y[r * outputDim + labels[r]] = 1;
  });
  return {
    index,
    name,
    x: new Tensor(x, [rows.length, d]),
    y: new Tensor(y, [rows.length, outputDim]),
    labels,
    classes,
  };
}

function permute(src: Float32Array, perm: Int32Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = src[perm[i]];
  return out;
}

/**
 * Rotate square images by `degrees` about their centre: each output pixel samples the input at the
 * inversely rotated position, bilinearly, with zeros outside. The sampling map is built once per task.
 */
export function rotation(inputDim: number, degrees: number): (src: Float32Array) => Float32Array {
  const side = Math.round(Math.sqrt(inputDim));
  if (side * side !== inputDim)
    throw new ConfigError(
      `stream: a rotated stream needs square images; ${inputDim} features is not a square`,
      { field: "stream" },
    );
  const rad = (degrees * Math.PI) / 180;
  const cos = Math.cos(rad);
  const sin = Math.sin(rad);
  const c = (side - 1) / 2;
  const index = new Int32Array(inputDim * 4).fill(-1);
  const weight = new Float32Array(inputDim * 4);
  for (let r = 0; r < side; r++) {
    for (let q = 0; q < side; q++) {
      const sx = cos * (q - c) + sin * (r - c) + c;
      const sy = -sin * (q - c) + cos * (r - c) + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (r * side + q) * 4;
      const corners: [number, number, number][] = [
        [x0, y0, (1 - fx) * (1 - fy)],
        [x0 + 1, y0, fx * (1 - fy)],
        [x0, y0 + 1, (1 - fx) * fy],
        [x0 + 1, y0 + 1, fx * fy],
      ];
      corners.forEach(([xx, yy, w], j) => {
        if (xx >= 0 && xx < side && yy >= 0 && yy < side) {
          index[o + j] = yy * side + xx;
          weight[o + j] = w;
        }
      });
    }
  }
  return (src) => {
    const out = new Float32Array(inputDim);
    for (let p = 0; p < inputDim; p++) {
      let v = 0;
      for (let j = 0; j < 4; j++) if (index[p * 4 + j] >= 0) v += weight[p * 4 + j] * src[index[p * 4 + j]];
      out[p] = v;
    }
    return out;
  };
}

function argmaxLabels(ds: Dataset): Int32Array {
  const out = new Int32Array(ds.n);
  for (let i = 0; i < ds.n; i++) {
    let best = 0;
    for (let c = 1; c < ds.outputDim; c++)
      if (ds.y[i * ds.outputDim + c] > ds.y[i * ds.outputDim + best]) best = c;
    out[i] = best;
  }
  return out;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}
