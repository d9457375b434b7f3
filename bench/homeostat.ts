/**
 * Homeostat's side of the benchmark, through the API users call: `fit` for training (its shuffling,
 * batch gathering and per-step bookkeeping included) and `matmul` for the matrix product.
 */
import { matmul } from "../src/autograd/ops.js";
import { allocFloat32, useBackend } from "../src/backend/index.js";
import { crossEntropy } from "../src/losses/index.js";
import { Dense, Sequential } from "../src/nn/index.js";
import { optimizerFromConfig, sgd } from "../src/optim/index.js";
import { fit } from "../src/train/index.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { type Contestant, secondsSince, type Timing } from "./harness.js";

/** The training workload every contestant runs: the same rows, the same architecture and step. */
export interface MlpTask {
  inputs: number;
  hidden: readonly number[];
  classes: number;
  batchSize: number;
  lr: number;
  /** `batches · batchSize` rows of inputs in [0, 1), row-major. */
  x: Float32Array;
  /** The matching one-hot labels. */
  y: Float32Array;
  batches: number;
  seed: number;
  /** The optimiser as a run config names it (default: SGD at `lr`); PyTorch's peer builds its own. */
  optimizer?: Record<string, unknown>;
  /** Gradient clipping as `fit` takes it (default none). */
  clip?: { norm?: number; value?: number };
}

/** Random inputs in [0, 1) and random one-hot labels from a seeded stream. */
export function makeMlpTask(opts: Omit<MlpTask, "x" | "y">): MlpTask {
  const rng = new Rng(opts.seed);
  const rows = opts.batches * opts.batchSize;
  const x = new Float32Array(rows * opts.inputs);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const y = new Float32Array(rows * opts.classes);
  for (let r = 0; r < rows; r++) y[r * opts.classes + Math.floor(rng.next() * opts.classes)] = 1;
  return { ...opts, x, y };
}

/**
 * The bench's MLP task: 784-256-256-10 on random rows, SGD at lr 0.01 unless `extra` says otherwise, in
 * batches of `batchSize` (at least 4 of them, about 64 rows at batch 1 and 512 at batch 64).
 */
export function benchMlpTask(batchSize: number, extra: Partial<Omit<MlpTask, "x" | "y">> = {}): MlpTask {
  return makeMlpTask({
    inputs: 784,
    hidden: [256, 256],
    classes: 10,
    batchSize,
    lr: 0.01,
    batches: Math.max(4, Math.round(512 / batchSize / 8)),
    seed: 1,
    ...extra,
  });
}

/** Which Homeostat backend a contestant runs on: the backend's name and, for wasm, its threads. */
export interface HomeostatBackend {
  backend: "js" | "wasm";
  threads: number;
}

/** A label such as "Homeostat wasm, 2 threads". */
export function homeostatLabel(b: HomeostatBackend): string {
  return b.backend === "js"
    ? "Homeostat js"
    : `Homeostat wasm, ${b.threads} thread${b.threads > 1 ? "s" : ""}`;
}

/** Switch to the contestant's backend before its timer starts (as the tfjs contestants do). */
function select(b: HomeostatBackend): void {
  useBackend(b.backend, { threads: b.threads });
}

/** Training with `fit`: one repetition is one epoch over the task's batches, so work is counted in samples. */
export function homeostatTrainer(task: MlpTask, on: HomeostatBackend, reference = false): Contestant {
  // Built on its backend, as the CLI builds a model after choosing one: on wasm the weights live in its memory.
  select(on);
  const layers = [
    ...task.hidden.map((units) => new Dense(units, { activation: "relu" })),
    new Dense(task.classes, { activation: "softmax" }),
  ];
  const model = new Sequential(layers).build(task.inputs, new Rng(task.seed));
  const rows = task.batches * task.batchSize;
  const data = { x: new Tensor(task.x, [rows, task.inputs]), y: new Tensor(task.y, [rows, task.classes]) };
  const optimizer = task.optimizer ? optimizerFromConfig(task.optimizer) : sgd({ lr: task.lr });
  let calls = 0;
  return {
    name: `${homeostatLabel(on)} (fit)`,
    reference,
    peer: "Homeostat",
    async run(reps: number): Promise<Timing> {
      select(on);
      const start = performance.now();
      fit(model, data, {
        epochs: reps,
        batchSize: task.batchSize,
        optimizer,
        loss: crossEntropy,
        seed: task.seed + calls++,
        shuffle: true,
      });
      return { work: reps * rows, seconds: secondsSince(start) };
    },
  };
}

/** A rows×cols matrix of uniform values in [0, 1): dense, so no kernel can skip zeros. */
export function uniformMatrix(rows: number, cols: number, rng: Rng): Float32Array {
  const m = new Float32Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.next();
  return m;
}

/** `data` copied into an array of the active backend's own memory (where it keeps one), as a layer's weights are. */
function resident(data: Float32Array): Float32Array {
  const out = allocFloat32(data.length);
  out.set(data);
  return out;
}

/**
 * One repetition is one m×k by k×n product; work is counted in floating-point operations (2mnk). The
 * operands are placed once in the backend's memory, as `tf.tensor2d` places the tfjs peers' and as a
 * model's weights are; the product is a fresh array each time, as the peers' `dataSync` gives, or with
 * `kept` one array overwritten each time.
 */
export function homeostatGemm(
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
  on: HomeostatBackend,
  reference = false,
  kept = false,
): Contestant {
  select(on);
  const ta = new Tensor(resident(a), [m, k]);
  const tb = new Tensor(resident(b), [k, n]);
  // `kept`: every product overwrites one result array of the backend's memory (matmul's `out`, as a
  // BLAS caller's C), so what is timed is the product, not the OS mapping a fresh array's pages.
  const out = kept ? { out: resident(new Float32Array(m * n)) } : {};
  return {
    name: `${homeostatLabel(on)} (matmul${kept ? ", result kept" : ""})`,
    reference,
    peer: "Homeostat",
    async run(reps: number): Promise<Timing> {
      select(on);
      const start = performance.now();
      for (let r = 0; r < reps; r++) matmul(ta, tb, out);
      return { work: reps * 2 * m * n * k, seconds: secondsSince(start) };
    },
  };
}
