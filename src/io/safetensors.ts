/**
 * PyTorch weights both ways through safetensors. Export writes three files: `NAME.safetensors` (the
 * PyTorch `nn.Sequential` state dict, float32, names as in `safetensors-torch.ts`), `NAME.py` (builds
 * that network and loads the file) and, for an Adam, AdamW or SGD model file with optimiser state,
 * `NAME.optimizer.safetensors` (`safetensors-optim.ts`). Import reads a state dict against a declared
 * architecture and refuses any tensor that is missing, extra, of another shape or not F32/F64. Bytes in
 * and out here (browser-safe); `safetensors-files.ts` (Node) reads and writes the files.
 */
import { Sequential } from "../nn/sequential.js";
import { ConfigError, HomeostatError, ModelFileError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import {
  type SafeCounter,
  decodeSafetensors,
  encodeSafetensors,
  type SafeTensor,
} from "./safetensors-format.js";
import { optimizerFromTensors, optimizerTensors, type SavedOptimizer } from "./safetensors-optim.js";
import { pythonModule } from "./safetensors-python.js";
import { convLayout, torchConvShape } from "./safetensors-shaped.js";
import {
  inferInputDim,
  placedModules,
  type TorchModule,
  torchBuffers,
  torchModules,
  torchNames,
} from "./safetensors-torch.js";
import type { Tensor } from "../tensor/tensor.js";

export {
  decodeSafetensors,
  encodeSafetensors,
  type SafeTensor,
  type SafetensorsFile,
} from "./safetensors-format.js";
export type { SavedOptimizer } from "./safetensors-optim.js";

/** The metadata key under which export stores the layer configs, so that import needs no --arch. */
const ARCH_KEY = "homeostat_architecture";

/** The files of an export, from the weights path: `m.safetensors` → `m.py`, `m.optimizer.safetensors`. */
export function safetensorsPaths(weights: string): { weights: string; python: string; optimizer: string } {
  const stem = weights.replace(/\.safetensors$/, "");
  return { weights, python: `${stem}.py`, optimizer: `${stem}.optimizer.safetensors` };
}

export interface SafetensorsExport {
  weights: Uint8Array;
  python: string;
  /** Null when there is no optimiser state or it has no one-to-one PyTorch counterpart. */
  optimizer: Uint8Array | null;
}

/**
 * The bytes of an export (nothing is written). `weightsFile` is the weights' file name, which the
 * Python module opens beside itself.
 *
 * @example
 * const { weights, python } = exportSafetensors(model, { weightsFile: "model.safetensors" });
 */
export function exportSafetensors(
  model: Sequential,
  o: {
    weightsFile: string;
    description?: string;
    optimizer?: SavedOptimizer;
    inputNormalization?: string | null;
  },
): SafetensorsExport {
  if (!model.isBuilt)
    throw new ConfigError(
      "safetensors export: the model has no weights yet; call build(inputDim, rng) or train it first",
    );
  const modules = torchModules(model.layers, model.inputShape);
  const tensors = torchEntries(model, modules).map(
    (e): SafeTensor => ({
      name: e.theirs,
      dtype: "F32",
      shape: e.torchShape,
      data: e.conv ? convLayout(e.conv, e.tensor.data, true) : Float32Array.from(e.tensor.data),
    }),
  );
  for (const name of batchCounters(modules))
    tensors.push({ name, dtype: "F32", shape: [], data: new Float32Array(1) });
  const weights = encodeSafetensors(tensors, { format: "pt", [ARCH_KEY]: JSON.stringify(model.config()) });
  const shapes = model.parameters().map(([name, t]) => ({ name, shape: t.shape }));
  const saved = o.optimizer ? optimizerTensors(o.optimizer, shapes) : null;
  const opt = saved && { ...saved, tensors: convMoments(saved.tensors, model, modules, true) };
  const optimizerFile = fileName(safetensorsPaths(o.weightsFile).optimizer);
  const python = pythonModule(modules, {
    description:
      o.description ?? `A Homeostat model: ${model.inputDim} inputs, ${model.layers.length} layers.`,
    inputDim: model.inputDim,
    inputShape: model.inputShape,
    weightsFile: o.weightsFile,
    ...(opt ? { optimizerFile, optimizerClass: opt.metadata.optimizer } : {}),
    inputNormalization: o.inputNormalization ?? null,
  });
  return { weights, python, optimizer: opt ? encodeSafetensors(opt.tensors, opt.metadata) : null };
}

/** One tensor of the state dict: its PyTorch name and shape, the Homeostat tensor, and its conv layout. */
interface TorchEntry {
  ours: string;
  theirs: string;
  torchShape: number[];
  tensor: Tensor;
  conv: Extract<TorchModule, { kind: "conv" }> | null;
}

/** The state dict's tensors (parameters, then BatchNorm buffers) against the built model's tensors. */
function torchEntries(model: Sequential, modules: readonly TorchModule[]): TorchEntry[] {
  const ours = new Map([...model.parameters(), ...model.buffers()]);
  const convs = new Map<string, TorchEntry["conv"]>();
  for (const { module: m, theirs } of placedModules(modules))
    if (m.kind === "conv") convs.set(`${theirs}weight`, m);
  return [...torchNames(modules), ...torchBuffers(modules)].map(([name, theirs]) => {
    const tensor = ours.get(name)!;
    const conv = convs.get(theirs) ?? null;
    return { ours: name, theirs, tensor, conv, torchShape: conv ? torchConvShape(conv) : [...tensor.shape] };
  });
}

/**
 * Optimiser moments (`state.<i>.<key>`) of conv weights in the other library's layout: `toTorch`
 * [filters, kh·kw·c/g] → [filters, c/g, kh, kw], else back (reading `file`). Other tensors pass unchanged.
 */
function convMoments(
  tensors: SafeTensor[],
  model: Sequential,
  modules: readonly TorchModule[],
  toTorch: boolean,
  file = "",
): SafeTensor[] {
  const entries = torchEntries(model, modules);
  return tensors.map((t) => {
    const [, index, key] = t.name.split(".");
    const e = entries[Number(index)];
    if (!e?.conv || key === "step") return t;
    // Refused here: optimizerFromTensors checks Homeostat's shape, which a moment left in
    // Homeostat's own layout would pass, loaded without the permutation.
    if (!toTorch && t.shape.join() !== e.torchShape.join())
      throw new ModelFileError(
        `${file}: tensor "${t.name}" has shape ${shapeText(t.shape)}; parameter ${index} (${e.ours}) needs ${shapeText(e.torchShape)}`,
        { file, layer: t.name },
      );
    const shape = toTorch ? e.torchShape : [...e.tensor.shape];
    const data = convLayout(e.conv, t.data, toTorch);
    return { ...t, dtype: "F32", shape, data };
  });
}

/** PyTorch's BatchNorm step counters: no Homeostat counterpart (export writes 0, import ignores them). */
function batchCounters(modules: readonly TorchModule[]): string[] {
  return placedModules(modules).flatMap((p) =>
    p.module.kind === "batchNorm" ? [`${p.theirs}num_batches_tracked`] : [],
  );
}

/**
 * PyTorch's I64 `num_batches_tracked`: one count of batches seen, never negative. Homeostat's
 * BatchNorm always has a momentum, and PyTorch reads the counter only without one (a cumulative
 * average), so a well-formed counter is checked and then left out.
 */
function checkCounters(counters: readonly SafeCounter[], file: string): void {
  for (const c of counters)
    if (c.values.length !== 1 || c.values[0]! < 0n)
      throw new ModelFileError(
        `${file}: tensor "${c.name}" (I64, shape ${shapeText(c.shape)}): expected one batch count of at least 0, as PyTorch's BatchNorm keeps, got [${c.values.slice(0, 4).join(", ")}${c.values.length > 4 ? ", …" : ""}]`,
        { file, layer: c.name },
      );
}

/** The last segment of a POSIX path, as `path.basename` gives it, with no `node:path` in a browser. */
function fileName(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1);
}

/** A declared architecture: the layer configs and, optionally, the input width. */
export interface Architecture {
  layers: unknown;
  inputDim?: number;
  /** One sample's shape, for shaped layers (convolution: [height, width, channels]). */
  inputShape?: number[];
  /** Where it was declared, for messages. */
  source: string;
}

/**
 * The architecture in a JSON document: a run config (its `model`), a `{layers, inputDim?}` object,
 * or a model file's `architecture`. `file` names it in errors.
 *
 * @example
 * architectureOf({ model: { layers: [{ type: "dense", units: 3 }] } }, "run.json"); // { layers: [...], source: "run.json" }
 */
export function architectureOf(json: unknown, file: string): Architecture {
  const obj = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  const source =
    obj(json) && obj(json.model)
      ? json.model
      : obj(json) && obj(json.architecture)
        ? json.architecture
        : json;
  if (!obj(source) || !Array.isArray(source.layers))
    throw new ConfigError(
      `${file}: expected a run config with model.layers, or {"layers": [...], "inputDim": N}`,
      {
        file,
        field: "model.layers",
      },
    );
  const inputDim = source.inputDim;
  if (inputDim !== undefined && !(Number.isInteger(inputDim) && (inputDim as number) >= 1))
    throw new ConfigError(`${file}: inputDim: expected a positive integer, got ${JSON.stringify(inputDim)}`, {
      file,
      field: "inputDim",
    });
  const inputShape = source.inputShape;
  if (
    inputShape !== undefined &&
    !(
      Array.isArray(inputShape) &&
      inputShape.length > 0 &&
      inputShape.every((d) => Number.isInteger(d) && d >= 1)
    )
  )
    throw new ConfigError(
      `${file}: inputShape: expected positive integers, got ${JSON.stringify(inputShape)}`,
      {
        file,
        field: "inputShape",
      },
    );
  const layers = source.layers;
  return {
    layers,
    source: file,
    ...(inputDim === undefined ? {} : { inputDim: inputDim as number }),
    ...(inputShape === undefined ? {} : { inputShape: inputShape as number[] }),
  };
}

/** The architecture an export stored in the file's metadata, if any. */
function storedArchitecture(metadata: Record<string, string>, file: string): Architecture | null {
  const text = metadata[ARCH_KEY];
  if (text === undefined) return null;
  try {
    return architectureOf({ architecture: JSON.parse(text) }, `${file}: __metadata__.${ARCH_KEY}`);
  } catch (error) {
    if (!(error instanceof HomeostatError || error instanceof SyntaxError)) throw error;
    throw new ModelFileError(`${file}: __metadata__.${ARCH_KEY} is not a layer list`, {
      file,
      field: ARCH_KEY,
    });
  }
}

const shapeText = (s: readonly number[]): string => JSON.stringify(s);

/**
 * A model from a PyTorch `nn.Sequential` state dict in safetensors form. `arch` declares the network
 * (null: the one an export stored in the file); the input width comes from the first weight. With
 * `optimizer` (the bytes and name of an optimiser file) the result carries its state as well.
 *
 * @example
 * const { model } = importSafetensors(bytes, { layers: [{ type: "dense", units: 3 }], source: "arch.json" }, "m.safetensors");
 */
export function importSafetensors(
  bytes: Uint8Array,
  arch: Architecture | null,
  file: string,
  optimizer?: { bytes: Uint8Array; file: string },
): { model: Sequential; optimizer?: SavedOptimizer } {
  const st = decodeSafetensors(bytes, file, (name) => name.endsWith("num_batches_tracked"));
  const declared = arch ?? storedArchitecture(st.metadata, file);
  if (!declared)
    throw new ConfigError(
      `${file}: no architecture stored in the file; declare it with --arch (a run config's model section)`,
      {
        file,
      },
    );
  const model = Sequential.fromLayerConfigs(declared.layers, `${declared.source}: layers`);
  const byName = new Map(st.tensors.map((t) => [t.name, t]));
  const inferred = declared.inputShape
    ? null
    : declared.inputDim === undefined
      ? inferInputDim(torchModules(model.layers), (name) => byName.get(name)?.shape)
      : null;
  const inputDim = declared.inputShape ? 0 : (declared.inputDim ?? inferred?.inputDim);
  if (inputDim === undefined)
    throw inferred
      ? new ModelFileError(`${file}: missing tensor "${inferred.from}" (the first layer's weight)`, {
          file,
          layer: inferred.from,
        })
      : new ConfigError(
          `${declared.source}: the architecture has no weights; declare "inputDim" beside the layers`,
          { file: declared.source },
        );
  model.build(declared.inputShape ?? inputDim, new Rng(0));
  const modules = torchModules(model.layers, model.inputShape);
  const entries = torchEntries(model, modules);
  for (const { ours, theirs, tensor: p, torchShape, conv } of entries) {
    const t = byName.get(theirs);
    const what = `layer ${ours.slice(0, ours.lastIndexOf("."))} (${model.layers[Number(ours.split(".")[0])]!.type})`;
    if (!t)
      throw new ModelFileError(
        `${file}: missing tensor "${theirs}" (${what}, shape ${shapeText(torchShape)})`,
        {
          file,
          layer: theirs,
        },
      );
    if (t.shape.length !== torchShape.length || t.shape.some((d, i) => d !== torchShape[i]))
      throw new ModelFileError(
        `${file}: tensor "${theirs}" has shape ${shapeText(t.shape)}, but ${what} of the declared architecture needs ${shapeText(torchShape)}`,
        { file, layer: theirs },
      );
    p.data.set(conv ? convLayout(conv, t.data, false) : t.data);
  }
  const expected = new Set(entries.map((e) => e.theirs));
  for (const name of batchCounters(modules)) expected.add(name);
  checkCounters(st.counters ?? [], file);
  const extra = [...st.tensors, ...(st.counters ?? [])]
    .filter((t) => !expected.has(t.name))
    .map((t) => `"${t.name}"`);
  if (extra.length > 0)
    throw new ModelFileError(
      `${file}: tensor${extra.length > 1 ? "s" : ""} ${extra.slice(0, 4).join(", ")}${extra.length > 4 ? ", …" : ""} not in the declared architecture, which has ${[...expected].join(", ") || "no parameters"}`,
      { file, layer: extra[0]!.slice(1, -1) },
    );
  if (!optimizer) return { model };
  const shapes = model.parameters().map(([name, t]) => ({ name, shape: t.shape }));
  const data = model.parameters().map(([, t]) => t.data as Float32Array);
  const moments = decodeSafetensors(optimizer.bytes, optimizer.file);
  const saved = optimizerFromTensors(
    { ...moments, tensors: convMoments(moments.tensors, model, modules, false, optimizer.file) },
    shapes,
    data,
    optimizer.file,
  );
  return { model, optimizer: saved };
}
