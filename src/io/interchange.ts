/**
 * What ONNX and TensorFlow.js export and import share: a model as a chain of inference steps
 * (dense, activation, layer norm, dropout). Exporters read a `Sequential` as steps; importers produce
 * steps and `modelFromSteps` turns them back into a model.
 */
import type { ActivationName } from "../nn/activations.js";
import type { InitName } from "../nn/init.js";
import type { Layer, LayerConfig } from "../nn/layer.js";
import { Sequential } from "../nn/sequential.js";
import { ConfigError, HomeostatError, ModelFileError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";

/** [rows, cols] → [cols, rows], moving bit patterns (so NaN payloads survive). */
export function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const src = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const out = new Float32Array(data.length);
  const dst = new Uint32Array(out.buffer);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
  return out;
}

/**
 * A model as the chain of inference steps every interchange format can describe. Exporters read a
 * `Sequential` as steps; importers produce steps and `modelFromSteps` turns them back into a model.
 * `layer` is the layer index (export) or node/layer position (import), for names and messages.
 */
export type Step =
  | {
      op: "dense";
      units: number;
      inputDim: number;
      weight: Float32Array;
      bias: Float32Array | null;
      init?: InitName;
      layer: number;
    }
  | { op: "act"; activation: ActivationName; standalone: boolean; layer: number }
  | { op: "layerNorm"; eps: number; weight: Float32Array; bias: Float32Array; layer: number }
  | { op: "dropout"; rate: number; layer: number };

const asFloat32 = (data: Float32Array | Float64Array): Float32Array =>
  data instanceof Float32Array ? data : Float32Array.from(data);

/** A float32 array's bytes, little-endian (every platform Node and browsers run on). */
/** A tensor of an export graph: its name and its sample shape. */
export interface GraphValue {
  x: string;
  shape: number[];
}

/**
 * An exporter's nodes for `layers` in order from value `x` of sample shape `shape`, layer i named
 * `prefix + i` (a block's inner layers `"1.0"`, …); `emit` writes one layer's nodes.
 *
 * @example
 * const out = chainLayers(layers, "", { x: "input", shape: [28, 28, 1] }, (l, p, v) => emitLayer(l, p, v));
 */
export function chainLayers(
  layers: readonly Layer[],
  prefix: string,
  from: GraphValue,
  emit: (layer: Layer, name: string, value: GraphValue) => GraphValue,
): GraphValue {
  return layers.reduce((v, layer, i) => emit(layer, `${prefix}${i}`, v), from);
}

export function float32Bytes(data: Float32Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** The layer types both exporters' flat paths (a chain of dense steps) map. */
const FLAT_TYPES = new Set(["dense", "activation", "dropout", "layerNorm"]);

/**
 * Whether an exporter writes `model` through its shaped path: a built model with a layer the flat path
 * does not map, or on shaped samples (whose layer norm normalises the last axis, not the whole row).
 */
export function needsShapedExport(model: Sequential): boolean {
  return model.isBuilt && (model.inputShape.length > 1 || model.layers.some((l) => !FLAT_TYPES.has(l.type)));
}

/** The steps of a built model; a layer type the format cannot express is a `ConfigError` naming it. */
export function modelSteps(model: Sequential, format: string): Step[] {
  if (!model.isBuilt)
    throw new ConfigError(
      `${format} export: the model has no weights yet; call build(inputDim, rng) or train it first`,
    );
  const steps: Step[] = [];
  let width = model.inputDim;
  model.layers.forEach((layer, i) => {
    const params = new Map(layer.parameters());
    const weight = params.get("weight");
    const bias = params.get("bias");
    if (layer.type === "dense" && weight) {
      const units = weight.shape[0];
      steps.push({
        op: "dense",
        units,
        inputDim: width,
        weight: asFloat32(weight.data),
        bias: bias ? asFloat32(bias.data) : null,
        layer: i,
      });
      steps.push({ op: "act", activation: layer.activation as ActivationName, standalone: false, layer: i });
      width = units;
    } else if (layer.type === "activation") {
      steps.push({ op: "act", activation: layer.activation as ActivationName, standalone: true, layer: i });
    } else if (layer.type === "dropout") {
      steps.push({ op: "dropout", rate: Number(layer.config().rate), layer: i });
    } else if (layer.type === "layerNorm" && weight && bias) {
      steps.push({
        op: "layerNorm",
        eps: Number(layer.config().eps),
        weight: asFloat32(weight.data),
        bias: asFloat32(bias.data),
        layer: i,
      });
    } else {
      throw new ConfigError(
        `layer ${i} (${layer.type}): ${format} export supports dense, activation, dropout and layerNorm layers (convolution and pooling: not yet)`,
        { layer: String(i) },
      );
    }
  });
  return steps;
}

/** What a step list or a layer list computes at inference, as comparable tokens (dropout and identity drop out; a layer no step describes is a token of its own). */
function inferenceTokens(items: ({ op: string } & Record<string, unknown>)[]): string[] {
  const out: string[] = [];
  const act = (a: unknown): void => {
    if (a !== undefined && a !== "identity" && a !== "linear") out.push(`act ${String(a)}`);
  };
  for (const s of items) {
    if (s.op === "dense") {
      out.push(
        `dense ${String(s.units)} ${String(s.useBias ?? (s.bias !== undefined ? s.bias !== null : true))}`,
      );
      act(s.activation);
    } else if (s.op === "act" || s.op === "activation") act(s.activation);
    else if (s.op === "layerNorm") out.push(`layerNorm ${Math.fround(Number(s.eps ?? 1e-5))}`);
    // Any other layer (batch norm, conv, ...) computes something no step describes: it must not match.
    else if (s.op !== "dropout") out.push(`other ${String(s.op)}`);
  }
  return out;
}

/** Layer configs for steps: an activation that followed its Dense in the source joins it. */
function layersOfSteps(steps: Step[]): LayerConfig[] {
  const layers: LayerConfig[] = [];
  let openDense: LayerConfig | null = null;
  for (const s of steps) {
    if (s.op === "dense") {
      openDense = {
        type: "dense",
        units: s.units,
        activation: "identity",
        useBias: s.bias !== null,
        ...(s.init ? { init: s.init } : {}),
      };
      layers.push(openDense);
      continue;
    }
    if (s.op === "act" && !s.standalone && openDense) openDense.activation = s.activation;
    else if (s.op === "act") layers.push({ type: "activation", activation: s.activation });
    else if (s.op === "layerNorm") layers.push({ type: "layerNorm", eps: s.eps });
    else layers.push({ type: "dropout", rate: s.rate });
    openDense = null;
  }
  return layers;
}

/**
 * Build the model the steps describe. `hints` (the original layer configs an exporter stored beside the
 * graph) are used when they compute the same thing, so that a round trip gives the identical config;
 * otherwise, or when they do not parse, the steps alone decide. Weights are copied bit for bit.
 */
export function modelFromSteps(steps: Step[], inputDim: number, hints: unknown, file: string): Sequential {
  let width = inputDim;
  for (const s of steps) {
    if (s.op === "dense" && s.inputDim !== width)
      throw new ModelFileError(`${file}: step ${s.layer} expects ${s.inputDim} features, gets ${width}`);
    if (s.op === "dense") width = s.units;
    if (s.op === "layerNorm" && (s.weight.length !== width || s.bias.length !== width))
      throw new ModelFileError(
        `${file}: step ${s.layer}: layer norm over ${s.weight.length} features, gets ${width}`,
      );
  }
  const stepTokens = inferenceTokens(steps as unknown as ({ op: string } & Record<string, unknown>)[]);
  let layers = layersOfSteps(steps);
  if (Array.isArray(hints)) {
    try {
      Sequential.fromLayerConfigs(hints); // validates every hint
      const hintTokens = inferenceTokens(hints.map((h: LayerConfig) => ({ ...h, op: h.type })));
      if (hintTokens.length === stepTokens.length && hintTokens.every((t, i) => t === stepTokens[i]))
        layers = hints as LayerConfig[];
    } catch (error) {
      if (!(error instanceof HomeostatError)) throw error;
    }
  }
  if (layers.length === 0) layers = [{ type: "activation", activation: "identity" }];
  const model = Sequential.fromLayerConfigs(layers, `${file}: layers`).build(inputDim, new Rng(0));
  const weighted = steps.filter((s) => s.op === "dense" || s.op === "layerNorm");
  let next = 0;
  for (const layer of model.layers) {
    const params = new Map(layer.parameters());
    if (params.size === 0) continue;
    const s = weighted[next++];
    if (s?.op === "dense" || s?.op === "layerNorm") {
      params.get("weight")?.data.set(s.weight);
      if (s.bias) params.get("bias")?.data.set(s.bias);
    }
  }
  return model;
}
