import { Sequential, type ModelConfig } from "../nn/sequential.js";
import { HomeostatError, ModelFileError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import type { Tensor } from "../tensor/tensor.js";
import { type NamedTensor, type TensorData, decodeContainer, encodeContainer } from "./container.js";

/** Per-feature input normalisation saved with a model, applied as (x − offset)·scale. */
export interface SavedNormalizer {
  mode: string;
  offset: Float32Array;
  scale: Float32Array;
}

/** Everything a model file holds besides the weights. */
export interface ModelMetadata {
  loss?: string;
  task?: "classification" | "regression";
  /** Class names in output order (classification). */
  classes?: string[];
  featureNames?: string[];
  /** The target column's name in the training data, so eval and predict can recognise (and skip) it. */
  target?: string;
  /** How missing feature values were filled in training ("mean" or "zero"), with each feature's value. */
  impute?: { mode: string; values: Float32Array };
  normalizer?: SavedNormalizer;
  /** Optimiser type, options and state, when saved to continue training later. */
  optimizer?: { type: string; lr: number; options: Record<string, unknown>; state: unknown };
  /** Summary of how the model was trained (config, metrics, health events): free-form JSON. */
  training?: Record<string, unknown>;
  /** A checkpoint's training state (plain data with typed arrays), present in checkpoint files only. */
  checkpoint?: Record<string, unknown>;
}

/** What `decodeModel` returns: the model with its weights, its stored architecture, and its metadata. */
export interface LoadedModel extends ModelMetadata {
  model: Sequential;
  /** The architecture as stored. */
  architecture: ModelConfig;
}

/**
 * Plain state (numbers, strings, arrays, objects, typed arrays) → JSON plus a list of tensors. Each
 * typed array is replaced by `{"$tensor": name}` and stored bit-exactly in the container.
 */
function splitState(value: unknown, prefix: string, tensors: NamedTensor[]): unknown {
  if (
    value instanceof Float32Array ||
    value instanceof Float64Array ||
    value instanceof Int32Array ||
    value instanceof Uint32Array
  ) {
    const name = `${prefix}${tensors.length}`;
    tensors.push({ name, shape: [value.length], data: value });
    return { $tensor: name };
  }
  if (Array.isArray(value)) return value.map((v) => splitState(v, prefix, tensors));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = splitState(v, prefix, tensors);
    return out;
  }
  if (typeof value === "number" && !Number.isFinite(value)) return { $number: String(value) }; // JSON has no NaN/Infinity
  return value;
}

function joinState(value: unknown, tensors: Map<string, TensorData>, file: string): unknown {
  if (Array.isArray(value)) return value.map((v) => joinState(v, tensors, file));
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if (typeof obj.$tensor === "string") {
      const t = tensors.get(obj.$tensor);
      if (!t)
        throw new ModelFileError(`${file}: optimizer state refers to a missing tensor "${obj.$tensor}"`, {
          file,
        });
      return t;
    }
    if (typeof obj.$number === "string") return Number(obj.$number);
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) out[k] = joinState(v, tensors, file);
    return out;
  }
  return value;
}

/**
 * The bytes of a model file: architecture and weights, plus whatever metadata is given.
 *
 * @example
 * const bytes = encodeModel(model, { loss: "crossEntropy" }); // write with writeFileAtomic (homeostat/node)
 */
export function encodeModel(model: Sequential, meta: ModelMetadata = {}): Uint8Array {
  // Buffers (batch norm's running statistics) follow the parameters: state, saved but never trained.
  const tensors: NamedTensor[] = [...model.parameters(), ...model.buffers()].map(([name, t]) => ({
    name,
    shape: [...t.shape],
    data: t.data,
  }));
  const header: Record<string, unknown> = { architecture: model.config(), dtype: model.dtype };
  if (meta.loss) header.loss = meta.loss;
  if (meta.task) header.task = meta.task;
  if (meta.classes) header.classes = meta.classes;
  if (meta.featureNames) header.featureNames = meta.featureNames;
  if (meta.target !== undefined) header.target = meta.target;
  if (meta.impute) {
    tensors.push({ name: "impute.values", shape: [meta.impute.values.length], data: meta.impute.values });
    header.impute = { mode: meta.impute.mode };
  }
  if (meta.normalizer) {
    tensors.push({
      name: "normalizer.offset",
      shape: [meta.normalizer.offset.length],
      data: meta.normalizer.offset,
    });
    tensors.push({
      name: "normalizer.scale",
      shape: [meta.normalizer.scale.length],
      data: meta.normalizer.scale,
    });
    header.normalizer = { mode: meta.normalizer.mode };
  }
  if (meta.optimizer) {
    const { state, ...rest } = meta.optimizer;
    header.optimizer = { ...rest, state: splitState(state, "optimizer.", tensors) };
  }
  if (meta.training) header.training = splitState(meta.training, "training.", tensors);
  if (meta.checkpoint) header.checkpoint = splitState(meta.checkpoint, "checkpoint.", tensors);
  return encodeContainer(header, tensors);
}

/** Copy the stored tensor `name` into `t`, refusing a missing one or one of another size or type. */
function loadTensor(
  byName: Map<string, TensorData>,
  name: string,
  t: Tensor,
  what: string,
  file: string,
): void {
  const data = byName.get(name);
  if (!data) throw new ModelFileError(`${file}: missing ${what} "${name}"`, { file, layer: name });
  if (!(data instanceof Float32Array) || data.length !== t.size) {
    throw new ModelFileError(
      `${file}: ${what.split(" ").pop()} "${name}" should be float32 with ${t.size} values (shape ${JSON.stringify(t.shape)}), found ${data.length}`,
      { file, layer: name },
    );
  }
  t.data.set(data);
}

/**
 * Rebuild a model from model-file bytes. Refuses (with `ModelFileError`) anything that does not
 * describe a complete, consistent model: nothing is half-loaded.
 */
export function decodeModel(bytes: Uint8Array, file = "model file"): LoadedModel {
  const { header, tensors } = decodeContainer(bytes, file);
  const byName = new Map(tensors.map((t) => [t.name, t.data]));
  const arch = header.architecture as ModelConfig | undefined;
  if (!arch || typeof arch !== "object" || !Number.isInteger(arch.inputDim) || arch.inputDim < 1) {
    throw new ModelFileError(`${file}: the header has no valid "architecture" (inputDim and layers)`, {
      file,
      field: "architecture",
    });
  }
  let model: Sequential;
  try {
    model = Sequential.fromLayerConfigs(arch.layers, "architecture.layers");
    model.build(validShape(arch.inputShape) ?? arch.inputDim, new Rng(0));
  } catch (e) {
    if (e instanceof HomeostatError)
      throw new ModelFileError(`${file}: ${e.message}`, { file, field: e.location.field });
    throw e;
  }
  for (const [name, t] of model.parameters()) loadTensor(byName, name, t, "weights for parameter", file);
  for (const [name, t] of model.buffers()) loadTensor(byName, name, t, "running state", file);
  const out: LoadedModel = { model, architecture: arch };
  if (typeof header.loss === "string") out.loss = header.loss;
  if (header.task === "classification" || header.task === "regression") out.task = header.task;
  if (Array.isArray(header.classes)) out.classes = header.classes.map(String);
  if (Array.isArray(header.featureNames)) out.featureNames = header.featureNames.map(String);
  if (typeof header.target === "string") out.target = header.target;
  const impute = header.impute as { mode?: unknown } | undefined;
  if (impute) {
    const values = byName.get("impute.values");
    if (!(values instanceof Float32Array) || values.length !== arch.inputDim) {
      throw new ModelFileError(
        `${file}: the imputation values are missing or not ${arch.inputDim} float32 values`,
        { file, field: "impute" },
      );
    }
    out.impute = { mode: String(impute.mode), values };
  }
  const norm = header.normalizer as { mode?: unknown } | undefined;
  if (norm) {
    const offset = byName.get("normalizer.offset");
    const scale = byName.get("normalizer.scale");
    if (
      !(offset instanceof Float32Array) ||
      !(scale instanceof Float32Array) ||
      offset.length !== arch.inputDim ||
      scale.length !== arch.inputDim
    ) {
      throw new ModelFileError(
        `${file}: normalizer tensors are missing or not ${arch.inputDim} float32 values`,
        { file, field: "normalizer" },
      );
    }
    out.normalizer = { mode: String(norm.mode), offset, scale };
  }
  if (header.optimizer && typeof header.optimizer === "object") {
    const o = header.optimizer as Record<string, unknown>;
    out.optimizer = {
      type: String(o.type),
      lr: Number(o.lr),
      options: (o.options ?? {}) as Record<string, unknown>,
      state: joinState(o.state, byName, file),
    };
  }
  if (header.training && typeof header.training === "object")
    out.training = joinState(header.training, byName, file) as Record<string, unknown>;
  if (header.checkpoint && typeof header.checkpoint === "object")
    out.checkpoint = joinState(header.checkpoint, byName, file) as Record<string, unknown>;
  return out;
}

/** A stored sample shape, when it is a list of positive integers (older files have none). */
function validShape(shape: unknown): number[] | undefined {
  return Array.isArray(shape) && shape.length > 0 && shape.every((d) => Number.isInteger(d) && d >= 1)
    ? (shape as number[])
    : undefined;
}
