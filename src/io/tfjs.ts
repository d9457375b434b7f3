/**
 * TensorFlow.js layers-model export and import: `model.json` (a Keras Sequential topology plus a
 * weights manifest) and one binary of little-endian float32 weights, loadable with
 * `tf.loadLayersModel`.
 *
 * Dense keeps Keras's kernel layout [in, units], the transpose of Homeostat's [units, in]; leakyRelu,
 * which Keras's Dense cannot name, becomes a LeakyReLU layer (alpha 0.01) after a linear Dense. The
 * original layer configs and a CRC-32 of the weights go in `userDefinedMetadata.homeostat`, so that
 * import restores the identical config and a `model.json` paired with the wrong `weights.bin` is caught.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ActivationName } from "../nn/activations.js";
import type { InitName } from "../nn/init.js";
import type { Sequential } from "../nn/sequential.js";
import { ConfigError, ModelFileError } from "../tensor/errors.js";
import { readModelBytes, writeFileAtomic } from "./atomic.js";
import { crc32 } from "./crc32.js";
import { float32Bytes, modelFromSteps, modelSteps, type Step, transpose } from "./interchange.js";

/** The `model.json` of a TF.js layers model. */
export interface TfjsModelJson {
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    class_name: "Sequential";
    config: { name: string; layers: KerasLayer[] };
    keras_version: string;
    backend: string;
  };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: "float32" }[] }[];
  userDefinedMetadata: { homeostat: { layers: unknown[]; weightsCrc32: number } };
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
}

const KERAS_ACTIVATION = {
  identity: "linear",
  linear: "linear",
  sigmoid: "sigmoid",
  tanh: "tanh",
  relu: "relu",
  leakyRelu: null,
  elu: "elu",
  selu: "selu",
  gelu: "gelu",
  softplus: "softplus",
  softmax: "softmax",
} satisfies Record<ActivationName, string | null>;

const KERAS_INIT = {
  glorotUniform: "GlorotUniform",
  glorotNormal: "GlorotNormal",
  heUniform: "HeUniform",
  heNormal: "HeNormal",
  lecunUniform: "LeCunUniform",
  lecunNormal: "LeCunNormal",
  zeros: "Zeros",
} satisfies Record<InitName, string>;

const WEIGHTS_FILE = "weights.bin";

/**
 * The model as a TF.js layers model: `modelJson` to write as `model.json`, `weights` as `weights.bin`.
 * A layer or activation the format cannot express is a `ConfigError` naming the layer.
 *
 * @example
 * const { modelJson, weights } = exportTfjs(model);
 * const tfModel = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology,
 *   weightSpecs: modelJson.weightsManifest[0].weights, weightData: weights.slice().buffer }));
 */
export function exportTfjs(model: Sequential): { modelJson: TfjsModelJson; weights: Uint8Array } {
  const layers: KerasLayer[] = [];
  const specs: TfjsModelJson["weightsManifest"][0]["weights"] = [];
  const blobs: Float32Array[] = [];
  const addWeight = (name: string, shape: number[], data: Float32Array): void => {
    specs.push({ name, shape, dtype: "float32" });
    blobs.push(data);
  };
  const add = (className: string, name: string, config: Record<string, unknown>): void => {
    const first = layers.length === 0 ? { batch_input_shape: [null, model.inputDim] } : {};
    layers.push({
      class_name: className,
      config: { name, trainable: true, dtype: "float32", ...first, ...config },
    });
  };
  const steps = modelSteps(model, "TensorFlow.js");
  steps.forEach((s, k) => {
    const i = s.layer;
    if (s.op === "dense") {
      const act = steps[k + 1] as Extract<Step, { op: "act" }>;
      const initName = model.layers[i].config().init as InitName;
      add("Dense", `dense_${i}`, {
        units: s.units,
        activation: kerasActivation(act.activation, i, true),
        use_bias: s.bias !== null,
        kernel_initializer: { class_name: KERAS_INIT[initName] ?? "GlorotUniform", config: { seed: null } },
        bias_initializer: { class_name: "Zeros", config: {} },
        kernel_regularizer: null,
        bias_regularizer: null,
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      });
      addWeight(`dense_${i}/kernel`, [s.inputDim, s.units], transpose(s.weight, s.units, s.inputDim));
      if (s.bias) addWeight(`dense_${i}/bias`, [s.units], s.bias);
    } else if (s.op === "act" && (s.standalone || s.activation === "leakyRelu")) {
      if (s.activation === "leakyRelu") add("LeakyReLU", `leaky_re_lu_${i}`, { alpha: 0.01 });
      else add("Activation", `activation_${i}`, { activation: kerasActivation(s.activation, i, false) });
    } else if (s.op === "dropout") {
      add("Dropout", `dropout_${i}`, { rate: s.rate, noise_shape: null, seed: null });
    } else if (s.op === "layerNorm") {
      const name = `layer_normalization_${i}`;
      add("LayerNormalization", name, {
        axis: -1,
        epsilon: s.eps,
        center: true,
        scale: true,
        beta_initializer: { class_name: "Zeros", config: {} },
        gamma_initializer: { class_name: "Ones", config: {} },
      });
      addWeight(`${name}/gamma`, [s.weight.length], s.weight);
      addWeight(`${name}/beta`, [s.bias.length], s.bias);
    }
  });
  if (layers.length === 0) add("Activation", "activation_0", { activation: "linear" });
  const weights = new Uint8Array(blobs.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of blobs) {
    weights.set(float32Bytes(b), offset);
    offset += b.byteLength;
  }
  const modelJson: TfjsModelJson = {
    format: "layers-model",
    generatedBy: "homeostat",
    convertedBy: null,
    modelTopology: {
      class_name: "Sequential",
      config: { name: "sequential", layers },
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    userDefinedMetadata: { homeostat: { layers: model.config().layers, weightsCrc32: crc32(weights) } },
  };
  return { modelJson, weights };
}

function kerasActivation(a: ActivationName, layer: number, inDense: boolean): string {
  const name = KERAS_ACTIVATION[a];
  if (name === null && inDense) return "linear"; // a LeakyReLU layer follows
  if (name === null || name === undefined)
    throw new ConfigError(`layer ${layer}: activation "${a}" has no TensorFlow.js equivalent`, {
      layer: String(layer),
    });
  return name;
}

// ---------------------------------------------------------------- import

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const own = (o: Json, key: string): unknown => (Object.hasOwn(o, key) ? o[key] : undefined);

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
 * const model = importTfjs(JSON.parse(text), weights, "model.json");
 */
export function importTfjs(modelJson: unknown, weights: Uint8Array, file = "model.json"): Sequential {
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
  const entries = readManifest(own(root, "weightsManifest"), weights.length, file);
  const meta = own(root, "userDefinedMetadata");
  const hints = isObject(meta) && isObject(own(meta, "homeostat")) ? (own(meta, "homeostat") as Json) : null;
  const crc = hints ? own(hints, "weightsCrc32") : undefined;
  if (typeof crc === "number" && crc !== crc32(weights))
    throw new ModelFileError(`${file}: the weights do not belong to this model.json (CRC-32 mismatch)`);

  const steps: Step[] = [];
  let width: number | null = null;
  let inputDim: number | null = null;
  layers.forEach((raw: unknown, i) => {
    const cfg = isObject(raw) ? own(raw, "config") : undefined;
    const className = isObject(raw) ? own(raw, "class_name") : undefined;
    const name =
      isObject(cfg) && typeof own(cfg, "name") === "string" ? (own(cfg, "name") as string) : `layers[${i}]`;
    const fail = (msg: string): never => {
      throw new ModelFileError(
        `${file}: layer ${JSON.stringify(name)} (${typeof className === "string" ? className : "?"}): ${msg}`,
        { file, layer: name },
      );
    };
    if (!isObject(cfg) || typeof className !== "string") return fail("expected {class_name, config}");
    const shape = own(cfg, "batch_input_shape") ?? own(cfg, "batch_shape");
    if (shape !== undefined && shape !== null) {
      const d = Array.isArray(shape) && shape.length === 2 ? shape[1] : undefined;
      if (!(Number.isSafeInteger(d) && (d as number) >= 1))
        fail(`input shape ${JSON.stringify(shape)}; expected [null, features]`);
      if (width !== null && width !== d)
        fail(`input shape [null, ${d}] does not match the ${width} features before it`);
      width = d as number;
      inputDim ??= width;
    }
    const dtype = own(cfg, "dtype");
    if (dtype !== undefined && dtype !== null && dtype !== "float32" && !isObject(dtype))
      fail(`dtype ${JSON.stringify(dtype)}; expected float32`);
    const weight = (suffix: string, expected: number[]): Float32Array =>
      readWeight(entries, weights, name, suffix, expected, fail);
    const activation = (): ActivationName => {
      const a = own(cfg, "activation") ?? "linear";
      if (typeof a !== "string" || !Object.hasOwn(FROM_KERAS_ACTIVATION, a))
        fail(
          `activation ${JSON.stringify(a)} is not supported; expected one of ${Object.keys(FROM_KERAS_ACTIVATION).join(", ")} (or a LeakyReLU layer)`,
        );
      return FROM_KERAS_ACTIVATION[a as string];
    };
    switch (className) {
      case "InputLayer":
        break;
      case "Dense": {
        const units = own(cfg, "units");
        if (!(Number.isSafeInteger(units) && (units as number) >= 1))
          fail(`units ${JSON.stringify(units)}; expected a positive integer`);
        if (width === null)
          fail("the input shape is unknown (expected batch_input_shape on the first layer)");
        const useBias = own(cfg, "use_bias") ?? true;
        if (typeof useBias !== "boolean") fail("use_bias: expected true or false");
        const act = activation();
        const kernel = weight("kernel", [width!, units as number]);
        const init = FROM_KERAS_INIT.get(
          String((own(cfg, "kernel_initializer") as Json | undefined)?.class_name),
        );
        steps.push({
          op: "dense",
          units: units as number,
          inputDim: width!,
          weight: transpose(kernel, width!, units as number),
          bias: useBias ? weight("bias", [units as number]) : null,
          ...(init ? { init } : {}),
          layer: i,
        });
        steps.push({ op: "act", activation: act, standalone: false, layer: i });
        width = units as number;
        break;
      }
      case "Activation":
        steps.push({ op: "act", activation: activation(), standalone: true, layer: i });
        break;
      case "LeakyReLU": {
        const alpha = own(cfg, "alpha") ?? own(cfg, "negative_slope") ?? 0.3;
        if (typeof alpha !== "number" || Math.abs(alpha - 0.01) > 1e-7)
          fail(`alpha ${JSON.stringify(alpha)}; only 0.01 is supported (Homeostat's leakyRelu)`);
        steps.push({ op: "act", activation: "leakyRelu", standalone: true, layer: i });
        break;
      }
      case "Dropout": {
        const rate = own(cfg, "rate");
        if (typeof rate !== "number" || !(rate >= 0 && rate < 1))
          fail(`rate ${JSON.stringify(rate)}; expected a number in [0, 1)`);
        steps.push({ op: "dropout", rate: rate as number, layer: i });
        break;
      }
      case "LayerNormalization": {
        const axis = own(cfg, "axis") ?? -1;
        const axes = Array.isArray(axis) ? axis : [axis];
        if (axes.length !== 1 || (axes[0] !== -1 && axes[0] !== 1))
          fail(`axis ${JSON.stringify(axis)}; only the last axis is supported`);
        const eps = own(cfg, "epsilon") ?? 1e-3;
        if (typeof eps !== "number" || !(eps > 0 && Number.isFinite(eps)))
          fail(`epsilon ${JSON.stringify(eps)}; expected a positive number`);
        if (width === null)
          fail("the input shape is unknown (expected batch_input_shape on the first layer)");
        // Without stored gain or shift nothing in the input vouches for the width: keep allocations sane.
        if ((own(cfg, "scale") === false || own(cfg, "center") === false) && width! > 1 << 20)
          fail(`${width} features without stored weights; expected at most ${1 << 20}`);
        const gamma =
          own(cfg, "scale") === false ? new Float32Array(width!).fill(1) : weight("gamma", [width!]);
        const beta = own(cfg, "center") === false ? new Float32Array(width!) : weight("beta", [width!]);
        steps.push({ op: "layerNorm", eps: eps as number, weight: gamma, bias: beta, layer: i });
        break;
      }
      default:
        fail(
          "this layer type is not supported; expected Dense, Activation, LeakyReLU, Dropout, LayerNormalization or InputLayer",
        );
    }
  });
  if (inputDim === null)
    throw new ModelFileError(
      `${file}: the input shape is unknown (expected batch_input_shape on the first layer)`,
    );
  return modelFromSteps(steps, inputDim, hints ? own(hints, "layers") : null, file);
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

// ---------------------------------------------------------------- files

/**
 * Write `dir/model.json` and `dir/weights.bin` (creating `dir`), each atomically; the weights go first,
 * so `model.json` is the commit point, and its CRC-32 of the weights catches a pair torn by a crash.
 *
 * @example
 * writeTfjs("out/tfjs", model);   // then tf.loadLayersModel("file://out/tfjs/model.json") in tfjs-node
 */
export function writeTfjs(dir: string, model: Sequential): { modelJson: string; weights: string } {
  const { modelJson, weights } = exportTfjs(model);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new ModelFileError(`${dir}: cannot create the directory (${(error as Error).message})`, {
      file: dir,
    });
  }
  const paths = { modelJson: join(dir, "model.json"), weights: join(dir, WEIGHTS_FILE) };
  writeFileAtomic(paths.weights, weights);
  writeFileAtomic(paths.modelJson, new TextEncoder().encode(JSON.stringify(modelJson)));
  return paths;
}

/**
 * Read a TF.js layers model from `dir` (`model.json` and the weight files it lists, which must sit
 * beside it).
 *
 * @example
 * const model = readTfjs("out/tfjs");
 */
export function readTfjs(dir: string): Sequential {
  const jsonPath = join(dir, "model.json");
  const text = new TextDecoder().decode(readModelBytes(jsonPath));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelFileError(`${jsonPath}: not JSON (${(error as Error).message})`, { file: jsonPath });
  }
  const manifest = isObject(json) ? own(json, "weightsManifest") : undefined;
  const parts: Uint8Array[] = [];
  for (const group of Array.isArray(manifest) ? manifest : []) {
    const paths = isObject(group) ? own(group, "paths") : undefined;
    for (const p of Array.isArray(paths) ? paths : []) {
      if (typeof p !== "string" || p === "" || /[\\/]|^\.\.?$/.test(p))
        throw new ModelFileError(
          `${jsonPath}: weights path ${JSON.stringify(p)}: expected a file name beside model.json`,
          { file: jsonPath },
        );
      parts.push(readModelBytes(join(dir, p)));
    }
  }
  const weights = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    weights.set(p, offset);
    offset += p.length;
  }
  return importTfjs(json, weights, jsonPath);
}
