/**
 * TensorFlow.js as the peer, on its `cpu` backend (plain JavaScript) and its `wasm` backend (XNNPACK,
 * SIMD; single-threaded under Node). Each contestant owns tensors created on its own backend and
 * switches to that backend before its timer starts, so no data moves between backends while timed.
 */
import { createRequire } from "node:module";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { type Contestant, secondsSince, type Timing } from "./harness.js";
import type { MlpTask } from "./homeostat.js";

export type TfBackend = "cpu" | "wasm";
export const TF_BACKENDS: readonly TfBackend[] = ["cpu", "wasm"];

/**
 * Load both backends. Production mode silences the "install tfjs-node" banner (and skips debug checks,
 * as a user tuning for speed would). Under Node the wasm backend reads its binaries from the file
 * system, so it is pointed at the package's own `dist/` folder, wherever node_modules is.
 */
export async function initTfjs(): Promise<{ version: string; wasmSimd: boolean; wasmThreads: boolean }> {
  tf.enableProdMode();
  const require = createRequire(import.meta.url);
  setWasmPaths(path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + path.sep);
  for (const name of TF_BACKENDS) {
    if (!(await tf.setBackend(name))) throw new Error(`tfjs: the ${name} backend failed to initialise`);
  }
  return {
    version: tf.version.tfjs,
    wasmSimd: tf.env().getBool("WASM_HAS_SIMD_SUPPORT"),
    wasmThreads: tf.env().getBool("WASM_HAS_MULTITHREAD_SUPPORT"),
  };
}

async function use(name: TfBackend): Promise<void> {
  if (tf.getBackend() !== name) await tf.setBackend(name);
}

/** The task's rows cut into minibatch tensors on the current backend (kept for the whole run). */
function batchTensors(task: MlpTask): { x: tf.Tensor2D; y: tf.Tensor2D }[] {
  const out = [];
  for (let b = 0; b < task.batches; b++) {
    const rows = [b * task.batchSize, (b + 1) * task.batchSize];
    out.push({
      x: tf.tensor2d(task.x.subarray(rows[0] * task.inputs, rows[1] * task.inputs), [
        task.batchSize,
        task.inputs,
      ]),
      y: tf.tensor2d(task.y.subarray(rows[0] * task.classes, rows[1] * task.classes), [
        task.batchSize,
        task.classes,
      ]),
    });
  }
  return out;
}

/** One training step on batch `b`; may be asynchronous (the layers API is). */
// biome-ignore lint/suspicious/noConfusingVoidType: tf.js steps return nothing or a promise.
type Step = (b: { x: tf.Tensor2D; y: tf.Tensor2D }) => void | Promise<unknown>;

/** A trainer whose repetition is one step (one minibatch); work is counted in samples. */
function trainer(name: string, backendName: TfBackend, task: MlpTask, build: () => Step): Contestant {
  let state: { step: Step; batches: ReturnType<typeof batchTensors> } | undefined;
  let next = 0;
  return {
    name,
    peer: `tfjs ${backendName}`,
    async run(reps: number): Promise<Timing> {
      await use(backendName);
      state ??= { step: build(), batches: batchTensors(task) };
      const start = performance.now();
      for (let r = 0; r < reps; r++) await state.step(state.batches[next++ % task.batches]);
      return { work: reps * task.batchSize, seconds: secondsSince(start) };
    },
  };
}

/** The forward pass of one dense layer (`last`: no ReLU) inside a low-level training step. */
type DenseForward = (
  h: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  first: boolean,
  last: boolean,
) => tf.Tensor2D;

/** The low-level API: variables, `optimizer.minimize` inside `tf.tidy`, fused softmax cross-entropy, no loss read-back. */
function lowLevelTrainer(
  name: string,
  backendName: TfBackend,
  task: MlpTask,
  dense: DenseForward,
): Contestant {
  return trainer(name, backendName, task, () => {
    const widths = [task.inputs, ...task.hidden, task.classes];
    const weights = widths
      .slice(1)
      .map(
        (units, i) =>
          tf.variable(
            tf.randomNormal([widths[i], units], 0, Math.sqrt(2 / widths[i]), "float32", task.seed + i),
          ) as tf.Variable<tf.Rank.R2>,
      );
    const biases = widths.slice(1).map((units) => tf.variable(tf.zeros([units])) as tf.Variable<tf.Rank.R1>);
    const optimizer = tf.train.sgd(task.lr);
    return ({ x, y }) => {
      tf.tidy(() => {
        optimizer.minimize(() => {
          const logits = weights.reduce(
            (h, w, i) => dense(h, w, biases[i], i === 0, i === weights.length - 1),
            x,
          );
          return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar;
        }, false);
      });
    };
  });
}

/** The obvious layer: `tf.fused.matMul` with bias and ReLU (XNNPACK fuses them on wasm). */
export function tfjsMinimize(backendName: TfBackend, task: MlpTask): Contestant {
  return lowLevelTrainer(
    `tfjs ${backendName} (optimizer.minimize)`,
    backendName,
    task,
    (h, w, b, _first, last) =>
      tf.fused.matMul({ a: h, b: w, bias: b, activation: last ? "linear" : "relu" }) as tf.Tensor2D,
  );
}

/**
 * A tuned layer for the wasm backend: its matMul with a transposed operand (which both backward
 * products of the stock gradient use) misses XNNPACK and runs about ten times slower, so a custom
 * gradient transposes explicitly and multiplies untransposed. It also skips the input's gradient in
 * the first layer. (On the cpu backend the explicit transposes make it slower, so it is not used there.)
 */
export function tfjsMinimizeExplicitTranspose(backendName: TfBackend, task: MlpTask): Contestant {
  const linear = (first: boolean) =>
    tf.customGrad<tf.Tensor2D>((...args) => {
      const [x, w, b] = args as tf.Tensor2D[];
      (args[3] as tf.GradSaveFunc)([x, w]);
      return {
        value: tf.add(tf.matMul(x, w), b),
        gradFunc: (dy, [xs, ws]) => [
          first ? tf.zerosLike(xs) : tf.matMul(dy, tf.transpose(ws)),
          tf.matMul(tf.transpose(xs), dy),
          tf.sum(dy, 0),
        ],
      };
    });
  const [firstLinear, innerLinear] = [linear(true), linear(false)];
  return lowLevelTrainer(
    `tfjs ${backendName} (minimize, explicit transposes)`,
    backendName,
    task,
    (h, w, b, first, last) => {
      const z = (first ? firstLinear : innerLinear)(h, w, b);
      return last ? z : tf.relu(z);
    },
  );
}

/** The layers API: a compiled `tf.sequential` model trained with `trainOnBatch` (which reads the loss back). */
export function tfjsTrainOnBatch(backendName: TfBackend, task: MlpTask): Contestant {
  return trainer(`tfjs ${backendName} (model.trainOnBatch)`, backendName, task, () => {
    const model = tf.sequential();
    task.hidden.forEach((units, i) =>
      model.add(
        tf.layers.dense({ units, activation: "relu", ...(i === 0 ? { inputShape: [task.inputs] } : {}) }),
      ),
    );
    model.add(tf.layers.dense({ units: task.classes, activation: "softmax" }));
    model.compile({ optimizer: tf.train.sgd(task.lr), loss: "categoricalCrossentropy" });
    return ({ x, y }) => model.trainOnBatch(x, y);
  });
}

/** One repetition is one m×k by k×n `tf.matMul`, read back with `dataSync` so that it has surely finished. */
export function tfjsGemm(
  backendName: TfBackend,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
): Contestant {
  let operands: [tf.Tensor2D, tf.Tensor2D] | undefined;
  return {
    name: `tfjs ${backendName} (tf.matMul)`,
    peer: `tfjs ${backendName}`,
    async run(reps: number): Promise<Timing> {
      await use(backendName);
      operands ??= [tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])];
      const start = performance.now();
      for (let r = 0; r < reps; r++) {
        const c = tf.matMul(...operands);
        c.dataSync();
        c.dispose();
      }
      return { work: reps * 2 * m * n * k, seconds: secondsSince(start) };
    },
  };
}

/** Tensors alive in tfjs, to check that no contestant leaks memory from round to round. */
export function tfjsTensorCount(): number {
  return tf.memory().numTensors;
}
