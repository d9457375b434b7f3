/**
 * Optimiser state as PyTorch's `optimizer.state_dict()`, stored in a safetensors file of its own (a
 * second file, so that the weights file stays a plain `state_dict` that `load_state_dict` takes whole).
 * Only where it maps one to one: Adam, AdamW and SGD, one parameter group.
 *
 * Layout: tensor `state.<i>.<key>` is `state_dict()["state"][i][key]`, with i the parameter's index in
 * `model.parameters()` (Homeostat's `parameters()` order is the same), key one of `step` (a float32
 * scalar), `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` (Adam, AdamW) or `momentum_buffer` (SGD); the
 * metadata holds `optimizer` (the class name) and `param_groups` (that list, as JSON). A parameter with
 * no entries has no state yet (before the first step). PyTorch's SGD keeps no step count: Homeostat's
 * only use of it is "is there a buffer yet", so an import sets it to 1 when buffers are present.
 */
import { optimizerFromConfig } from "../optim/optimizers.js";
import { HomeostatError, ModelFileError } from "../tensor/errors.js";
import type { SafeTensor, SafetensorsFile } from "./safetensors-format.js";

/** What a model file keeps of an optimiser (`ModelMetadata.optimizer`). */
export interface SavedOptimizer {
  type: string;
  lr: number;
  options: Record<string, unknown>;
  state: unknown;
}

/** A parameter as the optimiser state sees it: its PyTorch index is its position in the list. */
export interface ParamShape {
  name: string;
  shape: readonly number[];
}

// Maps, not object literals: a name such as "constructor" must not find Object.prototype's members.
const CLASSES = new Map([
  ["adam", "Adam"],
  ["adamw", "AdamW"],
  ["sgd", "SGD"],
]);
const TYPES = new Map([
  ["Adam", "adam"],
  ["AdamW", "adamw"],
  ["SGD", "sgd"],
]);

interface AdamStage {
  step: number;
  mu: Float32Array[];
  nu: Float32Array[];
  nuMax: Float32Array[];
}
interface TraceStage {
  step: number;
  momentumBuffer: Float32Array[];
}

/** The stage of a chain's state that holds the moments (Adam) or the momentum buffers (SGD). */
function stageOf<T>(state: unknown, key: "mu" | "momentumBuffer"): T | undefined {
  if (!Array.isArray(state)) return undefined;
  return state.find((s) => typeof s === "object" && s !== null && key in s) as T | undefined;
}

/** `param_groups` as PyTorch 1.13 writes them for this optimiser, with Homeostat's options. */
function paramGroups(saved: SavedOptimizer, n: number): Record<string, unknown>[] {
  const o = saved.options as Record<string, number | boolean>;
  const params = Array.from({ length: n }, (_, i) => i);
  if (saved.type === "sgd")
    return [
      {
        lr: saved.lr,
        momentum: o.momentum,
        dampening: o.dampening,
        weight_decay: o.weightDecay,
        nesterov: o.nesterov,
        maximize: false,
        foreach: null,
        differentiable: false,
        params,
      },
    ];
  return [
    {
      lr: saved.lr,
      betas: [o.beta1, o.beta2],
      eps: o.eps,
      weight_decay: o.weightDecay,
      amsgrad: o.amsgrad,
      maximize: false,
      foreach: null,
      capturable: false,
      params,
    },
  ];
}

/**
 * The optimiser file's tensors and metadata, or null when this optimiser has no one-to-one PyTorch
 * counterpart (rmsprop, adagrad, a user's own) or its state is not the built-in chain's.
 *
 * @example
 * const st = optimizerTensors(loaded.optimizer, model.parameters().map(([name, t]) => ({ name, shape: t.shape })));
 */
export function optimizerTensors(
  saved: SavedOptimizer,
  params: readonly ParamShape[],
): SafetensorsFile | null {
  const cls = CLASSES.get(saved.type);
  if (!cls) return null;
  const tensors: SafeTensor[] = [];
  const put = (i: number, key: string, data: Float32Array): void => {
    tensors.push({
      name: `state.${i}.${key}`,
      dtype: "F32",
      shape: [...params[i]!.shape],
      data: Float32Array.from(data),
    });
  };
  if (saved.type === "sgd") {
    const s = stageOf<TraceStage>(saved.state, "momentumBuffer");
    if (!s) return null;
    if (s.step > 0) s.momentumBuffer.forEach((buf, i) => put(i, "momentum_buffer", buf));
  } else {
    const s = stageOf<AdamStage>(saved.state, "mu");
    if (!s) return null;
    if (s.step > 0)
      params.forEach((_, i) => {
        tensors.push({ name: `state.${i}.step`, dtype: "F32", shape: [], data: Float32Array.of(s.step) });
        put(i, "exp_avg", s.mu[i]!);
        put(i, "exp_avg_sq", s.nu[i]!);
        if (s.nuMax[i]) put(i, "max_exp_avg_sq", s.nuMax[i]!);
      });
  }
  return {
    tensors,
    metadata: { optimizer: cls, param_groups: JSON.stringify(paramGroups(saved, params.length)) },
  };
}

/** Homeostat's option names for one PyTorch param group; maximize and several groups do not map. */
function optionsOf(type: string, group: Record<string, unknown>, file: string): Record<string, unknown> {
  if (group.maximize === true)
    throw new ModelFileError(`${file}: param_groups[0].maximize is true; Homeostat optimisers minimise`, {
      file,
      field: "param_groups",
    });
  if (type === "sgd")
    return {
      type,
      lr: group.lr,
      momentum: group.momentum ?? 0,
      dampening: group.dampening ?? 0,
      nesterov: group.nesterov ?? false,
      weightDecay: group.weight_decay ?? 0,
    };
  const betas = Array.isArray(group.betas) ? group.betas : [];
  return {
    type,
    lr: group.lr,
    beta1: betas[0],
    beta2: betas[1],
    eps: group.eps,
    weightDecay: group.weight_decay,
    amsgrad: group.amsgrad ?? false,
  };
}

function readGroup(metadata: Record<string, string>, n: number, file: string): Record<string, unknown> {
  let groups: unknown;
  try {
    groups = JSON.parse(metadata.param_groups ?? "");
  } catch {
    throw new ModelFileError(`${file}: __metadata__.param_groups should be PyTorch's param_groups as JSON`, {
      file,
      field: "param_groups",
    });
  }
  if (!Array.isArray(groups) || groups.length !== 1 || typeof groups[0] !== "object" || groups[0] === null)
    throw new ModelFileError(`${file}: expected exactly one parameter group in param_groups`, {
      file,
      field: "param_groups",
    });
  const group = groups[0] as Record<string, unknown>;
  const params = group.params;
  if (!Array.isArray(params) || params.length !== n || !params.every((p, i) => p === i))
    throw new ModelFileError(
      `${file}: param_groups[0].params should be [0, …, ${n - 1}] (the model's ${n} parameters in order), got ${JSON.stringify(params)}`,
      { file, field: "param_groups" },
    );
  return group;
}

/** Tensors by parameter index and key; a name outside the layout or a key this optimiser lacks is refused. */
function stateByParam(
  st: SafetensorsFile,
  keys: readonly string[],
  params: readonly ParamShape[],
  file: string,
) {
  const byParam = new Map<number, Map<string, SafeTensor>>();
  for (const t of st.tensors) {
    const m = /^state\.(0|[1-9]\d*)\.(\w+)$/.exec(t.name);
    const i = m ? Number(m[1]) : -1;
    if (!m || i >= params.length || !keys.includes(m[2]!))
      throw new ModelFileError(
        `${file}: unexpected tensor "${t.name}"; expected state.<i>.<key> with i < ${params.length} and key one of ${keys.join(", ")}`,
        { file, layer: t.name },
      );
    const want = m[2] === "step" ? [] : params[i]!.shape;
    if (t.shape.length !== want.length || t.shape.some((d, j) => d !== want[j]))
      throw new ModelFileError(
        `${file}: tensor "${t.name}" has shape ${JSON.stringify(t.shape)}; parameter ${i} (${params[i]!.name}) needs ${JSON.stringify(want)}`,
        { file, layer: t.name },
      );
    if (!byParam.has(i)) byParam.set(i, new Map());
    byParam.get(i)!.set(m[2]!, t);
  }
  if (byParam.size !== 0 && byParam.size !== params.length) {
    const missing = params.findIndex((_, i) => !byParam.has(i));
    throw new ModelFileError(
      `${file}: parameter ${missing} (${params[missing]!.name}) has no state while others have some; Homeostat steps all parameters together`,
      { file, layer: `state.${missing}` },
    );
  }
  return byParam;
}

function need(entries: Map<string, SafeTensor>, i: number, key: string, file: string): SafeTensor {
  const t = entries.get(key);
  if (!t)
    throw new ModelFileError(`${file}: missing tensor "state.${i}.${key}"`, {
      file,
      layer: `state.${i}.${key}`,
    });
  return t;
}

/**
 * A model file's optimiser (type, options, state) from an optimiser safetensors file, for a model whose
 * parameters are `params` (with their float32 arrays in `data`). Refuses, naming the tensor or field,
 * whatever does not map one to one.
 *
 * @example
 * const optimizer = optimizerFromTensors(decodeSafetensors(bytes, file), params, data, file);
 */
export function optimizerFromTensors(
  st: SafetensorsFile,
  params: readonly ParamShape[],
  data: Float32Array[],
  file: string,
): SavedOptimizer {
  const type = TYPES.get(st.metadata.optimizer ?? "");
  if (!type)
    throw new ModelFileError(
      `${file}: __metadata__.optimizer is ${JSON.stringify(st.metadata.optimizer ?? null)}; expected "Adam", "AdamW" or "SGD"`,
      { file, field: "optimizer" },
    );
  const group = readGroup(st.metadata, params.length, file);
  // optionsOf's own refusals already name the file: only the optimiser's are wrapped.
  const options = optionsOf(type, group, file);
  let optimizer: ReturnType<typeof optimizerFromConfig>;
  try {
    optimizer = optimizerFromConfig(options, "param_groups[0]");
  } catch (error) {
    if (error instanceof HomeostatError)
      throw new ModelFileError(`${file}: ${error.message}`, { file, field: "param_groups" });
    throw error;
  }
  const state = optimizer.init(data);
  const amsgrad = optimizer.options.amsgrad === true;
  const keys =
    type === "sgd"
      ? ["momentum_buffer"]
      : ["step", "exp_avg", "exp_avg_sq", ...(amsgrad ? ["max_exp_avg_sq"] : [])];
  const byParam = stateByParam(st, keys, params, file);
  if (type === "sgd") {
    const s = stageOf<TraceStage>(state, "momentumBuffer")!;
    if (byParam.size > 0 && optimizer.options.momentum === 0)
      throw new ModelFileError(`${file}: momentum buffers given, but momentum is 0`, {
        file,
        field: "param_groups",
      });
    byParam.forEach((entries, i) => s.momentumBuffer[i]!.set(need(entries, i, "momentum_buffer", file).data));
    s.step = byParam.size > 0 ? 1 : 0;
  } else {
    const s = stageOf<AdamStage>(state, "mu")!;
    const steps = new Set<number>();
    byParam.forEach((entries, i) => {
      steps.add(need(entries, i, "step", file).data[0]!);
      s.mu[i]!.set(need(entries, i, "exp_avg", file).data);
      s.nu[i]!.set(need(entries, i, "exp_avg_sq", file).data);
      if (amsgrad) s.nuMax[i]!.set(need(entries, i, "max_exp_avg_sq", file).data);
    });
    const [step = 0] = steps;
    if (steps.size > 1 || !Number.isSafeInteger(step) || step < 0)
      throw new ModelFileError(
        `${file}: the parameters' step counts are ${[...steps].join(", ")}; Homeostat needs one whole step count for all`,
        { file, field: "step" },
      );
    s.step = step;
  }
  return { type, lr: optimizer.lr, options: optimizer.options, state };
}
