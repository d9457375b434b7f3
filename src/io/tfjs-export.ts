/**
 * TensorFlow.js layers-model export: a Keras Sequential topology plus a weights manifest, and one
 * binary of little-endian float32 weights. Dense keeps Keras's kernel layout [in, units], the transpose
 * of Homeostat's [units, in]; leakyRelu, which Keras's Dense cannot name, becomes a LeakyReLU layer
 * (alpha 0.01) after a linear Dense. The original layer configs and a CRC-32 of the weights go in
 * `userDefinedMetadata.homeostat`. A model with shaped layers (convolutions, pools, norms, embeddings,
 * blocks) goes through tfjs-export-shaped.ts, its input shaped as the samples, and its metadata
 * carries the input shape too.
 */
import type { ActivationName } from "../nn/activations.js";
import type { InitName } from "../nn/init.js";
import type { Sequential } from "../nn/sequential.js";
import { ConfigError } from "../tensor/errors.js";
import { crc32 } from "./crc32.js";
import { float32Bytes, modelSteps, needsShapedExport, type Step, transpose } from "./interchange.js";
import { KerasEmitter, type KerasNode, type KerasWeight } from "./tfjs-export-shaped.js";

/** The `model.json` of a TF.js layers model. */
export interface TfjsModelJson {
  format: "layers-model";
  generatedBy: string;
  convertedBy: null;
  modelTopology: {
    /** "Model" (functional, with inbound nodes) where the model has residual or concat blocks. */
    class_name: "Sequential" | "Model";
    config: {
      name: string;
      layers: KerasLayer[];
      input_layers?: [string, number, number][];
      output_layers?: [string, number, number][];
    };
    keras_version: string;
    backend: string;
  };
  weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: "float32" }[] }[];
  userDefinedMetadata: { homeostat: { layers: unknown[]; inputShape?: number[]; weightsCrc32: number } };
}

interface KerasLayer {
  class_name: string;
  config: Record<string, unknown>;
  name?: string;
  inbound_nodes?: [string, number, number, Record<string, never>][][];
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

export const KERAS_INIT = {
  glorotUniform: "GlorotUniform",
  glorotNormal: "GlorotNormal",
  heUniform: "HeUniform",
  heNormal: "HeNormal",
  lecunUniform: "LeCunUniform",
  lecunNormal: "LeCunNormal",
  zeros: "Zeros",
} satisfies Record<InitName, string>;

export const WEIGHTS_FILE = "weights.bin";

/**
 * The model as a TF.js layers model: `modelJson` to write as `model.json`, `weights` as `weights.bin`.
 * A model with shaped layers takes inputs shaped as its samples ([batch, height, width, channels]); one
 * with residual or concat blocks is a functional "Model". A layer or activation the format cannot
 * express (GroupNorm, a grouped conv that is not depthwise, stride with dilation) is a `ConfigError`
 * naming the layer.
 *
 * @example
 * import * as tf from "@tensorflow/tfjs";
 * const { modelJson, weights } = exportTfjs(model);
 * const tfModel = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: modelJson.modelTopology,
 *   weightSpecs: modelJson.weightsManifest[0].weights, weightData: weights.slice().buffer }));
 */
export function exportTfjs(model: Sequential): { modelJson: TfjsModelJson; weights: Uint8Array } {
  if (needsShapedExport(model)) return exportShaped(model);
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
      add("Dense", `dense_${i}`, {
        units: s.units,
        activation: kerasActivation(act.activation, i, true) ?? "linear",
        use_bias: s.bias !== null,
        kernel_initializer: { class_name: kerasInit(model.layers[i].config().init), config: { seed: null } },
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
      else add("Activation", `activation_${i}`, { activation: kerasActivation(s.activation, i, false)! });
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
  const weights = concatenated(blobs);
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

function concatenated(blobs: Float32Array[]): Uint8Array {
  const weights = new Uint8Array(blobs.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of blobs) {
    weights.set(float32Bytes(b), offset);
    offset += b.byteLength;
  }
  return weights;
}

/**
 * The Keras nodes and weights of a model with shaped layers (tfjs-export-shaped.ts), input shaped as
 * the samples ([null, height, width, channels]).
 */
export function shapedKeras(model: Sequential): {
  nodes: KerasNode[];
  weights: KerasWeight[];
  branched: boolean;
} {
  const e = new KerasEmitter(
    (a, p) => kerasActivation(a as ActivationName, p, true),
    (layer) => ({
      class_name: kerasInit(layer.config().init),
      config: { seed: null },
    }),
  );
  const out = e.chain(model.layers, "", "input", [...model.inputShape]);
  if (out.x === "input") e.add("Activation", "activation_0", { activation: "linear" }, ["input"]);
  return { nodes: e.nodes, weights: e.weights, branched: e.branched };
}

/** A Sequential topology for a chain, the functional "Model" one where blocks branch. */
function exportShaped(model: Sequential): { modelJson: TfjsModelJson; weights: Uint8Array } {
  const { nodes, weights: specs, branched } = shapedKeras(model);
  const batchShape = [null, ...model.inputShape];
  const layers: KerasLayer[] = nodes.map((n) => ({
    class_name: n.class_name,
    config: { ...n.config, dtype: "float32" },
  }));
  let config: TfjsModelJson["modelTopology"]["config"] = { name: "sequential", layers };
  if (!branched) layers[0]!.config = { ...layers[0]!.config, batch_input_shape: batchShape };
  else {
    const input: KerasLayer = {
      class_name: "InputLayer",
      name: "input",
      config: { batch_input_shape: batchShape, dtype: "float32", sparse: false, name: "input" },
      inbound_nodes: [],
    };
    layers.forEach((l, i) => {
      l.name = nodes[i]!.name;
      l.inbound_nodes = [nodes[i]!.inputs.map((x) => [x, 0, 0, {}])];
    });
    config = {
      name: "model",
      layers: [input, ...layers],
      input_layers: [["input", 0, 0]],
      output_layers: [[nodes.at(-1)!.name, 0, 0]],
    };
  }
  const weights = concatenated(specs.map((s) => s.data));
  const modelJson: TfjsModelJson = {
    format: "layers-model",
    generatedBy: "homeostat",
    convertedBy: null,
    modelTopology: {
      class_name: branched ? "Model" : "Sequential",
      config,
      keras_version: "tfjs-layers 4.22.0",
      backend: "tensor_flow.js",
    },
    weightsManifest: [
      {
        paths: [WEIGHTS_FILE],
        weights: specs.map((s) => ({ name: s.name, shape: s.shape, dtype: "float32" })),
      },
    ],
    userDefinedMetadata: {
      homeostat: {
        layers: model.config().layers,
        inputShape: model.inputShape,
        weightsCrc32: crc32(weights),
      },
    },
  };
  return { modelJson, weights };
}

/** Keras' name for an initialiser; a user's own (not in the table, even one named "constructor") is GlorotUniform. */
function kerasInit(init: unknown): string {
  const name = String(init);
  return Object.hasOwn(KERAS_INIT, name) ? KERAS_INIT[name as InitName] : "GlorotUniform";
}

function kerasActivation(a: ActivationName, layer: number | string, inDense: boolean): string | null {
  // A user's activation is no key of the table, whatever its name ("constructor" included).
  const name = Object.hasOwn(KERAS_ACTIVATION, a) ? KERAS_ACTIVATION[a] : undefined;
  if (name === null && inDense) return null; // a LeakyReLU layer follows
  if (name === null || name === undefined)
    throw new ConfigError(`layer ${layer}: activation "${a}" has no TensorFlow.js equivalent`, {
      layer: String(layer),
    });
  return name;
}
