/**
 * TensorFlow.js layers-model import: a Keras Sequential topology (Dense, Activation, LeakyReLU,
 * Dropout, LayerNormalization, InputLayer) and its weights manifest, as a `Sequential`; a shaped model
 * that Homeostat exported (its metadata has an input shape) goes through tfjs-import-shaped.ts. The layer
 * configs and weights CRC-32 that export leaves in `userDefinedMetadata.homeostat` restore the identical
 * config and catch a `model.json` paired with the wrong weights.
 */
import type { ActivationName } from "../nn/activations.js";
import type { InitName } from "../nn/init.js";
import type { Sequential } from "../nn/sequential.js";
import { ModelFileError } from "../tensor/errors.js";
import { crc32 } from "./crc32.js";
import { modelFromSteps, type Step, transpose } from "./interchange.js";
import { KERAS_INIT } from "./tfjs-export.js";
import { importShapedTfjs } from "./tfjs-import-shaped.js";

type Json = Record<string, unknown>;

export const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
export const own = (o: Json, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

const FROM_KERAS_ACTIVATION: Record<string, ActivationName> = {
  linear: "identity",
  sigmoid: "sigmoid",
  tanh: "tanh",
  relu: "relu",
  elu: "elu",
  selu: "selu",
  gelu: "gelu",
  softplus: "softplus",
  softmax: "softmax",
};

const FROM_KERAS_INIT = new Map<string, InitName>([
  ...Object.entries(KERAS_INIT).map(([ours, keras]) => [keras, ours as InitName] as const),
  ["LecunNormal", "lecunNormal"],
  ["LecunUniform", "lecunUniform"],
]);

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  float16: 2,
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
};

interface WeightEntry {
  offset: number;
  shape: number[];
  dtype: string;
}

/** Where each named weight lies in the concatenated weights, checked against their total size. */
function readManifest(manifest: unknown, weightBytes: number, file: string): Map<string, WeightEntry> {
  if (!Array.isArray(manifest))
    throw new ModelFileError(`${file}: weightsManifest: expected an array of weight groups`);
  const entries = new Map<string, WeightEntry>();
  let offset = 0;
  manifest.forEach((group: unknown, g) => {
    const specs = isObject(group) ? own(group, "weights") : undefined;
    if (!Array.isArray(specs))
      throw new ModelFileError(`${file}: weightsManifest[${g}].weights: expected an array`);
    specs.forEach((spec: unknown, k) => {
      const where = `${file}: weightsManifest[${g}].weights[${k}]`;
      if (!isObject(spec)) throw new ModelFileError(`${where}: expected an object {name, shape, dtype}`);
      const name = own(spec, "name");
      const shape = own(spec, "shape");
      const dtype = own(spec, "dtype") ?? "float32";
      if (typeof name !== "string") throw new ModelFileError(`${where}.name: expected a string`);
      if (own(spec, "quantization") !== undefined)
        throw new ModelFileError(`${where} ("${name}"): quantized weights are not supported`);
      if (typeof dtype !== "string" || !Object.hasOwn(BYTES_PER_ELEMENT, dtype))
        throw new ModelFileError(`${where} ("${name}"): dtype ${JSON.stringify(dtype)} is not supported`);
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0))
        throw new ModelFileError(`${where} ("${name}"): shape must be an array of non-negative integers`);
      let bytes = BYTES_PER_ELEMENT[dtype];
      for (const d of shape as number[]) {
        bytes *= d;
        if (bytes > weightBytes)
          throw new ModelFileError(
            `${where} ("${name}"): shape [${shape.join(", ")}] needs more bytes than the ${weightBytes} weight bytes`,
          );
      }
      entries.set(name, { offset, shape: shape as number[], dtype });
      offset += bytes;
      if (offset > weightBytes)
        throw new ModelFileError(
          `${file}: the weights manifest describes more than the ${weightBytes} weight bytes given`,
        );
    });
  });
  if (offset !== weightBytes)
    throw new ModelFileError(
      `${file}: the weights hold ${weightBytes} bytes; the manifest describes ${offset}`,
    );
  return entries;
}

/**
 * A `Sequential` from a TF.js layers model: `modelJson` (the parsed `model.json`, or its text) and the
 * weights (every file of the manifest, concatenated in order). Layers: Dense, Activation, LeakyReLU
 * (alpha 0.01), Dropout, LayerNormalization (last axis), InputLayer; anything else is a `ModelFileError`
 * naming the layer.
 *
 * @example
 * import { readFileSync } from "node:fs";
 * const model = importTfjs(JSON.parse(readFileSync("model.json", "utf8")), readFileSync("weights.bin"), "model.json");
 */
export function importTfjs(modelJson: unknown, weights: Uint8Array, file = "model.json"): Sequential {
  const root = parseRoot(modelJson, file);
  const meta = own(root, "userDefinedMetadata");
  const hints = isObject(meta) && isObject(own(meta, "homeostat")) ? (own(meta, "homeostat") as Json) : null;
  const crc = hints ? own(hints, "weightsCrc32") : undefined;
  const checkCrc = (): void => {
    if (typeof crc === "number" && crc !== crc32(weights))
      throw new ModelFileError(`${file}: the weights do not belong to this model.json (CRC-32 mismatch)`);
  };
  if (hints && own(hints, "inputShape") !== undefined) {
    checkCrc();
    const entries = readManifest(own(root, "weightsManifest"), weights.length, file);
    const shaped = { layers: own(hints, "layers"), inputShape: own(hints, "inputShape") };
    return importShapedTfjs(shaped, entries, weights, file);
  }
  const layers = topologyLayers(root, file);
  const entries = readManifest(own(root, "weightsManifest"), weights.length, file);
  checkCrc();
  const walk: LayerWalk = { file, entries, weights, steps: [], width: null, inputDim: null };
  layers.forEach((raw: unknown, i) => mapLayer(walk, raw, i));
  if (walk.inputDim === null)
    throw new ModelFileError(
      `${file}: the input shape is unknown (expected batch_input_shape on the first layer)`,
    );
  return modelFromSteps(walk.steps, walk.inputDim, hints ? own(hints, "layers") : null, file);
}

/** The `model.json` object (parsed when given as text), refusing a graph model. */
function parseRoot(modelJson: unknown, file: string): Json {
  let root = modelJson;
  if (typeof root === "string" || root instanceof Uint8Array) {
    try {
      root = JSON.parse(typeof root === "string" ? root : new TextDecoder().decode(root));
    } catch (error) {
      throw new ModelFileError(`${file}: not JSON (${(error as Error).message})`);
    }
  }
  if (!isObject(root))
    throw new ModelFileError(`${file}: expected a JSON object with modelTopology and weightsManifest`);
  const format = own(root, "format");
  if (format !== undefined && format !== "layers-model")
    throw new ModelFileError(
      `${file}: format ${JSON.stringify(format)}; only "layers-model" is supported (a graph model has no layers to import)`,
    );
  return root;
}

/** The layer list of the Keras Sequential topology (Keras 2 and 3 layouts). */
function topologyLayers(root: Json, file: string): unknown[] {
  let topology = own(root, "modelTopology");
  if (isObject(topology) && isObject(own(topology, "model_config"))) topology = own(topology, "model_config");
  if (!isObject(topology) || own(topology, "class_name") !== "Sequential") {
    throw new ModelFileError(
      `${file}: modelTopology: expected a Keras "Sequential" model, got ${isObject(topology) ? JSON.stringify(own(topology, "class_name")) : "none"}`,
    );
  }
  const config = own(topology, "config");
  const layers = Array.isArray(config) ? config : isObject(config) ? own(config, "layers") : undefined;
  if (!Array.isArray(layers))
    throw new ModelFileError(`${file}: modelTopology.config.layers: expected an array`);
  return layers;
}

/** The walk along the layer list: the steps so far and the current width. */
interface LayerWalk {
  file: string;
  entries: Map<string, WeightEntry>;
  weights: Uint8Array;
  steps: Step[];
  width: number | null;
  inputDim: number | null;
}

/** One Keras layer as its mapper sees it, with accessors that fail naming the layer. */
interface LayerView {
  cfg: Json;
  i: number;
  fail(msg: string): never;
  weight(suffix: string, expected: number[]): Float32Array;
  activation(): ActivationName;
}

/** Check a layer's frame (name, input shape, dtype) and hand it to its class's mapper. */
function mapLayer(walk: LayerWalk, raw: unknown, i: number): void {
  const cfg = isObject(raw) ? own(raw, "config") : undefined;
  const className = isObject(raw) ? own(raw, "class_name") : undefined;
  const name =
    isObject(cfg) && typeof own(cfg, "name") === "string" ? (own(cfg, "name") as string) : `layers[${i}]`;
  const fail = (msg: string): never => {
    throw new ModelFileError(
      `${walk.file}: layer ${JSON.stringify(name)} (${typeof className === "string" ? className : "?"}): ${msg}`,
      { file: walk.file, layer: name },
    );
  };
  if (!isObject(cfg) || typeof className !== "string") return fail("expected {class_name, config}");
  readInputShape(walk, cfg, fail);
  const dtype = own(cfg, "dtype");
  if (dtype !== undefined && dtype !== null && dtype !== "float32" && !isObject(dtype))
    fail(`dtype ${JSON.stringify(dtype)}; expected float32`);
  const view: LayerView = {
    cfg,
    i,
    fail,
    weight: (suffix, expected) => readWeight(walk.entries, walk.weights, name, suffix, expected, fail),
    activation: () => {
      const a = own(cfg, "activation") ?? "linear";
      if (typeof a !== "string" || !Object.hasOwn(FROM_KERAS_ACTIVATION, a))
        fail(
          `activation ${JSON.stringify(a)} is not supported; expected one of ${Object.keys(FROM_KERAS_ACTIVATION).join(", ")} (or a LeakyReLU layer)`,
        );
      return FROM_KERAS_ACTIVATION[a as string];
    },
  };
  (Object.hasOwn(LAYER_MAPPERS, className) ? LAYER_MAPPERS[className] : unsupportedLayer)(view, walk);
}

/** A layer's batch_input_shape (Keras 3: batch_shape), which sets or must match the width. */
function readInputShape(walk: LayerWalk, cfg: Json, fail: (msg: string) => never): void {
  const shape = own(cfg, "batch_input_shape") ?? own(cfg, "batch_shape");
  if (shape === undefined || shape === null) return;
  const d = Array.isArray(shape) && shape.length === 2 ? shape[1] : undefined;
  if (!(Number.isSafeInteger(d) && (d as number) >= 1))
    fail(`input shape ${JSON.stringify(shape)}; expected [null, features]`);
  if (walk.width !== null && walk.width !== d)
    fail(`input shape [null, ${d}] does not match the ${walk.width} features before it`);
  walk.width = d as number;
  walk.inputDim ??= walk.width;
}

type LayerMapper = (v: LayerView, walk: LayerWalk) => void;

const UNKNOWN_WIDTH = "the input shape is unknown (expected batch_input_shape on the first layer)";

/** One mapper per supported Keras class_name. */
const LAYER_MAPPERS: Record<string, LayerMapper> = {
  InputLayer: () => {},
  Dense: mapDense,
  Activation: (v, walk) => {
    walk.steps.push({ op: "act", activation: v.activation(), standalone: true, layer: v.i });
  },
  LeakyReLU: ({ cfg, fail, i }, walk) => {
    const alpha = own(cfg, "alpha") ?? own(cfg, "negative_slope") ?? 0.3;
    if (typeof alpha !== "number" || Math.abs(alpha - 0.01) > 1e-7)
      fail(`alpha ${JSON.stringify(alpha)}; only 0.01 is supported (Homeostat's leakyRelu)`);
    walk.steps.push({ op: "act", activation: "leakyRelu", standalone: true, layer: i });
  },
  Dropout: ({ cfg, fail, i }, walk) => {
    const rate = own(cfg, "rate");
    if (typeof rate !== "number" || !(rate >= 0 && rate < 1))
      fail(`rate ${JSON.stringify(rate)}; expected a number in [0, 1)`);
    walk.steps.push({ op: "dropout", rate: rate as number, layer: i });
  },
  LayerNormalization: mapLayerNorm,
};

function unsupportedLayer({ fail }: LayerView): void {
  fail(
    "this layer type is not supported; expected Dense, Activation, LeakyReLU, Dropout, LayerNormalization or InputLayer",
  );
}

/** Dense: a dense step (kernel transposed to [units, in]) and its activation step. */
function mapDense(v: LayerView, walk: LayerWalk): void {
  const { cfg, fail, i } = v;
  const units = own(cfg, "units");
  if (!(Number.isSafeInteger(units) && (units as number) >= 1))
    fail(`units ${JSON.stringify(units)}; expected a positive integer`);
  const width = walk.width;
  if (width === null) fail(UNKNOWN_WIDTH);
  const useBias = own(cfg, "use_bias") ?? true;
  if (typeof useBias !== "boolean") fail("use_bias: expected true or false");
  const act = v.activation();
  const kernel = v.weight("kernel", [width!, units as number]);
  const init = FROM_KERAS_INIT.get(String((own(cfg, "kernel_initializer") as Json | undefined)?.class_name));
  walk.steps.push({
    op: "dense",
    units: units as number,
    inputDim: width!,
    weight: transpose(kernel, width!, units as number),
    bias: useBias ? v.weight("bias", [units as number]) : null,
    ...(init ? { init } : {}),
    layer: i,
  });
  walk.steps.push({ op: "act", activation: act, standalone: false, layer: i });
  walk.width = units as number;
}

/** LayerNormalization over the last axis; gamma and beta default to 1 and 0 where not stored. */
function mapLayerNorm(v: LayerView, walk: LayerWalk): void {
  const { cfg, fail, i } = v;
  const axis = own(cfg, "axis") ?? -1;
  const axes = Array.isArray(axis) ? axis : [axis];
  if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== 1))
    fail(`axis ${JSON.stringify(axis)}; only the last axis is supported`);
  const eps = own(cfg, "epsilon") ?? 1e-3;
  if (typeof eps !== "number" || !(eps > 0 && Number.isFinite(eps)))
    fail(`epsilon ${JSON.stringify(eps)}; expected a positive number`);
  const width = walk.width;
  if (width === null) fail(UNKNOWN_WIDTH);
  // Without stored gain or shift nothing in the input vouches for the width: keep allocations sane.
  if ((own(cfg, "scale") === false || own(cfg, "center") === false) && width! > 1 << 20)
    fail(`${width} features without stored weights; expected at most ${1 << 20}`);
  const gamma = own(cfg, "scale") === false ? new Float32Array(width!).fill(1) : v.weight("gamma", [width!]);
  const beta = own(cfg, "center") === false ? new Float32Array(width!) : v.weight("beta", [width!]);
  walk.steps.push({ op: "layerNorm", eps: eps as number, weight: gamma, bias: beta, layer: i });
}

function readWeight(
  entries: Map<string, WeightEntry>,
  weights: Uint8Array,
  layer: string,
  suffix: string,
  expected: number[],
  fail: (m: string) => never,
): Float32Array {
  const wanted = `${layer}/${suffix}`;
  let entry = entries.get(wanted);
  if (!entry) for (const [name, e] of entries) if (name.endsWith(`/${wanted}`)) entry = e;
  if (!entry) return fail(`weight "${wanted}" is missing from the weights manifest`);
  if (entry.dtype !== "float32") fail(`weight "${wanted}" is ${entry.dtype}; expected float32`);
  if (entry.shape.length !== expected.length || entry.shape.some((d, i) => d !== expected[i]))
    fail(`weight "${wanted}" has shape [${entry.shape.join(", ")}]; expected [${expected.join(", ")}]`);
  const count = expected.reduce((n, d) => n * d, 1);
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(weights.subarray(entry.offset, entry.offset + count * 4)); // bit-exact copy
  return out;
}
