/**
 * A training job's settings, checked: the run-config keys the CLI's `train` reads (src/run/sections.ts,
 * the same code, so the same messages), less what lives in files — `data` is arrays here, and there are
 * no outputs, checkpoints or plugins — plus `validationSplit` and `batchEvery`.
 */
import { decodeModel } from "../io/model.js";
import { Sequential } from "../nn/sequential.js";
import { type Optimizer, optimizerFromConfig } from "../optim/optimizers.js";
import {
  readModelSection,
  readTrainingSections,
  TRAINING_KEYS,
  type TrainingSections,
} from "../run/sections.js";
import { ConfigError } from "../tensor/errors.js";
import { checkKeys, expectObject, optNumber } from "../tensor/fields.js";
import { Rng } from "../tensor/rng.js";

/**
 * A training job: the model, the data, and the run-config keys of the CLI's `train` that make sense
 * without files (`seed`, `loss`, `optimizer`, `schedule`, `clip`, `epochs`, `batchSize`,
 * `earlyStopping`, `augment`, `health`, `homeostasis`, `backend`, `threads`), all plain data. They mean
 * what they mean in a run config (see docs/kinds.md) and are checked by the same code, so a job and a
 * run config with the same keys train the same weights. Unknown keys are an error naming the key.
 */
export interface TrainingJob {
  /**
   * A model file's bytes (`encodeModel`, or a previous job's `model`): training continues from its
   * weights and, where it holds one, its optimiser state. Or a run config's `model` (`layers`, `init`),
   * initialised from `seed` as the CLI does, or from `model.seed` where given; `inputDim`, if given,
   * must equal the width of `data.x`'s rows.
   */
  model: Uint8Array | { layers: unknown[]; init?: string; inputDim?: number; seed?: number };
  /** Rows of `x` and `y`, row-major; the widths are their lengths over `rows`. */
  data: { x: Float32Array; y: Float32Array; rows: number };
  /** An optimiser config, as a run config's `optimizer` (`{ type: "adam", lr: 1e-3 }`); ignored when the model file holds one. */
  optimizer?: Record<string, unknown>;
  /** A loss's name, or `{ type, ...options }` (`{ type: "huber", delta: 0.5 }`). */
  loss: string | Record<string, unknown>;
  epochs: number;
  /** Default 32, as in a run config. */
  batchSize?: number;
  seed?: number;
  /** A learning-rate schedule, as a run config's `schedule` (`{ type: "cosine", ... }`). */
  schedule?: Record<string, unknown>;
  clip?: { norm?: number; value?: number };
  earlyStopping?: Record<string, unknown>;
  /** Random shifts (and flips) of channels-last image rows: `{ shift, width, height, channels, flip }`. */
  augment?: Record<string, unknown>;
  /**
   * The health monitor (`{ monitor, repair, detectors }`): on and repairing unless turned off, as in the
   * CLI; its events arrive through `onHealth` and in the result.
   */
  health?: { monitor?: boolean; repair?: boolean; detectors?: unknown[] };
  /** Homeostatic regulators, as a run config's `homeostasis` (`[{ type: "redo" }]`). */
  homeostasis?: unknown[];
  /** Held out of `data`'s rows for validation (a run config's `data.validationSplit`). */
  validationSplit?: number;
  /** `"auto"` (default: wasm where it loads), `"wasm"` or `"js"`. */
  backend?: string;
  /** Threads for the wasm backend's large products (default 1). */
  threads?: number;
  /** Report a batch event every this many steps (default: none). */
  batchEvery?: number;
  /** Words for the reader, ignored (as in a run config). */
  description?: string;
}

/** The keys a job may have: the CLI's training sections, and the job's own. */
const JOB_KEYS = ["description", ...TRAINING_KEYS, "data", "validationSplit", "batchEvery"];

/** A job read and its model ready: what `runTrainingJob` trains. */
export interface ReadJob {
  sections: TrainingSections;
  model: Sequential;
  optimizer: Optimizer;
  /** The optimiser state a model file brought, to continue from. */
  optimizerState?: unknown;
  rows: number;
  validationSplit?: number;
  batchEvery: number;
}

/** Check `job` and build (or decode) its model; every problem is a ConfigError naming the field. */
export function readJob(job: TrainingJob): ReadJob {
  const raw = expectObject(job, "job");
  checkKeys(raw, JOB_KEYS, "");
  const { rows, x, y } = job.data ?? {};
  if (!(rows > 0) || !(x instanceof Float32Array) || !(y instanceof Float32Array))
    throw new ConfigError("data: expected { x: Float32Array, y: Float32Array, rows: number }", {
      field: "data",
    });
  if (x.length % rows !== 0 || y.length % rows !== 0)
    throw new ConfigError(`data: x (${x.length}) and y (${y.length}) must hold ${rows} whole rows`, {
      field: "data",
    });
  const fromFile = job.model instanceof Uint8Array;
  const sections = readTrainingSections(raw, { optimizerRequired: !fromFile });
  const validationSplit = optNumber(raw, "validationSplit", "", { min: 0, max: 0.9 });
  const batchEvery = optNumber(raw, "batchEvery", "", { integer: true, min: 0 }) ?? 0;
  const common = { sections, rows, validationSplit, batchEvery };
  if (job.model instanceof Uint8Array) {
    const loaded = decodeModel(job.model);
    const saved = loaded.optimizer;
    // A model file's optimiser (and its state) continues; the job's is for a file without one.
    const optimizer = saved
      ? optimizerFromConfig({ type: saved.type, lr: saved.lr, ...saved.options })
      : sections.optimizer;
    if (!optimizer)
      throw new ConfigError("optimizer: required for a model without one", { field: "optimizer" });
    return { ...common, model: loaded.model, optimizer, optimizerState: saved?.state };
  }
  const section = readModelSection(job.model, ["inputDim", "seed"]);
  const m = job.model as unknown as Record<string, unknown>;
  const width = x.length / rows;
  const inputDim = optNumber(m, "inputDim", "model", { integer: true, min: 1 });
  if (inputDim !== undefined && inputDim !== width)
    throw new ConfigError(`model.inputDim: ${inputDim}, but the rows of data.x are ${width} wide`, {
      field: "model.inputDim",
    });
  const seed = optNumber(m, "seed", "model", { integer: true, min: 0 });
  // Without its own seed the model is initialised as the CLI does it, from the run's seed.
  const rng = seed === undefined ? new Rng(sections.seed).fork("init") : new Rng(seed);
  const model = new Sequential(section.layers).build(width, rng);
  return { ...common, model, optimizer: sections.optimizer as Optimizer };
}
