/**
 * TF.js layers for models over shaped samples. Both Homeostat and TF.js are channels last, so no layer
 * needs a transpose of its data; only kernels change layout. A Homeostat conv weight is [filters,
 * kh·kw·channels/groups] with taps ordered (ky, kx, c), so its transpose is Keras's Conv2D kernel
 * [kh, kw, channels, filters] (Conv1D: [k, channels, filters]) and, with groups = channels, the
 * DepthwiseConv2D kernel [kh, kw, channels, filters/channels]. What TF.js cannot express is a
 * `ConfigError` naming the layer: a grouped convolution that is neither plain nor depthwise, a stride
 * and a dilation both above 1 (TF.js's conv kernels refuse the pair), GroupNorm (no core layer), and
 * a global average pool over more than two position axes. Residual and concat blocks need the
 * functional "Model" topology (Add, Concatenate); a chain without them stays a "Sequential".
 */
import type { Concat, Residual } from "../nn/blocks.js";
import type { Conv2D } from "../nn/conv.js";
import type { Layer } from "../nn/layer.js";
import { ConfigError } from "../tensor/errors.js";
import type { Tensor } from "../tensor/tensor.js";
import { chainLayers, transpose } from "./interchange.js";

/** One Keras layer with the tensors it reads (names of earlier layers; empty for the input). */
export interface KerasNode {
  class_name: string;
  name: string;
  config: Record<string, unknown>;
  inputs: string[];
}

/** A weight of the manifest with the Homeostat tensor it comes from and whether its layout is transposed. */
export interface KerasWeight {
  name: string;
  shape: number[];
  data: Float32Array;
  source: Tensor;
  /** [rows, cols] of the Homeostat tensor when the TF.js layout is its transpose. */
  transposed: [number, number] | null;
}

/** The Keras name of an activation, or null for one that needs a layer of its own (leakyRelu). */
export type KerasActivation = (a: string, layer: string) => string | null;

const INIT_CONFIG = { class_name: "Zeros", config: {} };
const NO_REGULARIZERS = {
  kernel_regularizer: null,
  bias_regularizer: null,
  activity_regularizer: null,
  kernel_constraint: null,
  bias_constraint: null,
};

const f32 = (t: Tensor): Float32Array => Float32Array.from(t.data);

/** Walks the layers, appending Keras nodes and weights; tracks the current tensor's name and shape. */
export class KerasEmitter {
  readonly nodes: KerasNode[] = [];
  readonly weights: KerasWeight[] = [];
  /** Whether a residual or concat block asked for the functional topology. */
  branched = false;

  constructor(
    private readonly activation: KerasActivation,
    private readonly initializer: (layer: Layer) => Record<string, unknown>,
  ) {}

  add(className: string, name: string, config: Record<string, unknown>, inputs: string[]): string {
    this.nodes.push({ class_name: className, name, config: { name, trainable: true, ...config }, inputs });
    return name;
  }

  private weight(name: string, shape: number[], source: Tensor, rows = 0, cols = 0): void {
    const data = rows ? transpose(f32(source), rows, cols) : f32(source);
    this.weights.push({ name, shape, data, source, transposed: rows ? [rows, cols] : null });
  }

  chain(
    layers: readonly Layer[],
    prefix: string,
    x: string,
    shape: number[],
  ): { x: string; shape: number[] } {
    return chainLayers(layers, prefix, { x, shape }, (l, p, v) => this.layer(l, p, v.x, v.shape));
  }

  /** The Keras activation argument for a layer, and a LeakyReLU node after it where Keras has no name. */
  private activated(layer: Layer, p: string): { activation: string; after: (y: string) => string } {
    const a = String(layer.config().activation ?? "identity");
    const keras = this.activation(a, p);
    if (keras !== null) return { activation: keras, after: (y) => y };
    return {
      activation: "linear",
      after: (y) => this.add("LeakyReLU", `leaky_re_lu_${p}`, { alpha: 0.01 }, [y]),
    };
  }

  layer(layer: Layer, p: string, x: string, shape: number[]): { x: string; shape: number[] } {
    const c = layer.config();
    const params = new Map([...layer.parameters(), ...(layer.buffers?.() ?? [])]);
    const id = p.replaceAll(".", "_");
    const t = layer.type;
    if (t === "dense") {
      if (shape.length !== 1)
        throw refuse(p, t, "a dense layer on flat samples only; put a flatten before it");
      const w = params.get("weight")!;
      const [units, inputs] = [w.shape[0]!, w.shape[1]!];
      const act = this.activated(layer, p);
      const bias = params.get("bias");
      const y = this.add(
        "Dense",
        `dense_${id}`,
        {
          units,
          activation: act.activation,
          use_bias: bias !== undefined,
          kernel_initializer: this.initializer(layer),
          bias_initializer: INIT_CONFIG,
          ...NO_REGULARIZERS,
        },
        [x],
      );
      this.weight(`dense_${id}/kernel`, [inputs, units], w, units, inputs);
      if (bias) this.weight(`dense_${id}/bias`, [units], bias);
      return { x: act.after(y), shape: [units] };
    }
    if (t === "activation") {
      const a = String(c.activation);
      const keras = this.activation(a, p);
      if (a === "identity" || a === "linear") return { x, shape };
      if (keras === null)
        return { x: this.add("LeakyReLU", `leaky_re_lu_${id}`, { alpha: 0.01 }, [x]), shape };
      return { x: this.add("Activation", `activation_${id}`, { activation: keras }, [x]), shape };
    }
    if (t === "dropout")
      return {
        x: this.add("Dropout", `dropout_${id}`, { rate: c.rate, noise_shape: null, seed: null }, [x]),
        shape,
      };
    if (t === "layerNorm" || t === "batchNorm") return { x: this.norm(layer, id, x, params), shape };
    if (t === "conv2d" || t === "conv1d") return this.conv(layer as Conv2D, p, x, shape);
    if (t === "maxPool2d" || t === "avgPool2d") {
      const cls = t === "maxPool2d" ? "MaxPooling2D" : "AveragePooling2D";
      const pool = pairOf(c.pool);
      const stride = pairOf(c.stride);
      const out = [0, 1].map((a) => outSize(shape[a]!, pool[a]!, stride[a]!, 1, String(c.padding)));
      const config = { pool_size: pool, strides: stride, padding: c.padding, data_format: "channels_last" };
      return { x: this.add(cls, `${snake(t)}_${id}`, config, [x]), shape: [...out, shape[2]!] };
    }
    if (t === "globalAvgPool") {
      if (shape.length !== 2 && shape.length !== 3)
        throw refuse(
          p,
          t,
          `samples [length, channels] or [height, width, channels], not ${shape.length} axes`,
        );
      const cls = shape.length === 2 ? "GlobalAveragePooling1D" : "GlobalAveragePooling2D";
      const config = shape.length === 3 ? { data_format: "channels_last" } : {};
      return { x: this.add(cls, `global_average_pooling_${id}`, config, [x]), shape: [shape.at(-1)!] };
    }
    if (t === "flatten") {
      const out = [shape.reduce((a, d) => a * d, 1)];
      if (shape.length === 1) return { x, shape: out };
      return { x: this.add("Flatten", `flatten_${id}`, { data_format: "channels_last" }, [x]), shape: out };
    }
    if (t === "reshape") {
      const target = (c.shape as number[]).slice();
      const known = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
      const out = target.map((d) => (d === -1 ? shape.reduce((a, s) => a * s, 1) / known : d));
      return { x: this.add("Reshape", `reshape_${id}`, { target_shape: out }, [x]), shape: out };
    }
    if (t === "embedding") {
      const w = params.get("weight")!;
      const config = {
        input_dim: c.vocabulary,
        output_dim: c.dim,
        embeddings_initializer: { class_name: "RandomNormal", config: { mean: 0, stddev: 1, seed: null } },
        embeddings_regularizer: null,
        activity_regularizer: null,
        embeddings_constraint: null,
        mask_zero: false,
      };
      const y = this.add("Embedding", `embedding_${id}`, config, [x]);
      this.weight(`embedding_${id}/embeddings`, [...w.shape], w);
      return { x: y, shape: [...shape, Number(c.dim)] };
    }
    if (t === "residual") return this.residual(layer as Residual, p, x, shape);
    if (t === "concat") return this.concat(layer as Concat, p, x, shape);
    if (t === "groupNorm")
      throw new ConfigError(
        `layer ${p} (groupNorm): TensorFlow.js has no group normalisation layer (GroupNormalization is not in tfjs-layers); export to ONNX or safetensors instead`,
        { layer: p },
      );
    throw refuse(p, t, "");
  }

  private norm(layer: Layer, id: string, x: string, params: Map<string, Tensor>): string {
    const c = layer.config();
    const common = {
      axis: -1,
      epsilon: c.eps,
      center: true,
      scale: true,
      beta_initializer: INIT_CONFIG,
      gamma_initializer: { class_name: "Ones", config: {} },
    };
    if (layer.type === "layerNorm") {
      const name = `layer_normalization_${id}`;
      this.weight(`${name}/gamma`, [...params.get("weight")!.shape], params.get("weight")!);
      this.weight(`${name}/beta`, [...params.get("bias")!.shape], params.get("bias")!);
      return this.add("LayerNormalization", name, common, [x]);
    }
    const name = `batch_normalization_${id}`;
    // Keras's momentum is the weight of the old running value; Homeostat's (PyTorch's) that of the batch.
    const config = {
      ...common,
      momentum: 1 - Number(c.momentum),
      moving_mean_initializer: INIT_CONFIG,
      moving_variance_initializer: { class_name: "Ones", config: {} },
      beta_regularizer: null,
      gamma_regularizer: null,
      beta_constraint: null,
      gamma_constraint: null,
    };
    const names = [
      ["weight", "gamma"],
      ["bias", "beta"],
      ["runningMean", "moving_mean"],
      ["runningVar", "moving_variance"],
    ];
    for (const [ours, theirs] of names) {
      const t = params.get(ours!)!;
      this.weight(`${name}/${theirs}`, [...t.shape], t);
    }
    return this.add("BatchNormalization", name, config, [x]);
  }

  /** Conv2D, Conv1D, or DepthwiseConv2D (a Conv1D's between two Reshapes) where groups = channels. */
  private conv(layer: Conv2D, p: string, x: string, shape: number[]): { x: string; shape: number[] } {
    const oneD = layer.type === "conv1d";
    const id = p.replaceAll(".", "_");
    const img = oneD ? [1, shape[0]!, shape[1]!] : shape;
    const channels = img[2]!;
    const { kernel, stride, dilation, padding, groups, units: filters } = layer;
    const depthwise = groups > 1 && groups === channels;
    if (groups > 1 && !depthwise)
      throw refuse(
        p,
        layer.type,
        `groups 1 or depthwise (groups = channels); TF.js layers have no grouped convolution (groups ${groups} of ${channels} channels)`,
      );
    if (stride.some((s) => s > 1) && dilation.some((d) => d > 1)) {
      // As the user configured them: one number for a conv1d or where both axes agree, else the pair.
      const c = layer.config();
      throw refuse(
        p,
        layer.type,
        `a stride or a dilation, not both (stride ${JSON.stringify(c.stride)}, dilation ${JSON.stringify(c.dilation)}: TF.js's conv kernels refuse the pair)`,
      );
    }
    const out = [0, 1].map((a) => outSize(img[a]!, kernel[a]!, stride[a]!, dilation[a]!, padding));
    const act = this.activated(layer, p);
    const common = {
      padding,
      data_format: "channels_last",
      activation: act.activation,
      use_bias: layer.bias !== null,
      bias_initializer: INIT_CONFIG,
      ...NO_REGULARIZERS,
    };
    const fanIn = layer.weight.shape[1]!;
    let y: string;
    if (!depthwise) {
      const cls = oneD ? "Conv1D" : "Conv2D";
      const name = `${snake(layer.type)}_${id}`;
      const config = {
        ...common,
        filters,
        kernel_size: oneD ? [kernel[1]] : [...kernel],
        strides: oneD ? [stride[1]] : [...stride],
        dilation_rate: oneD ? dilation[1] : [...dilation],
        kernel_initializer: this.initializer(layer),
      };
      y = this.add(cls, name, config, [x]);
      const kshape = oneD ? [kernel[1], channels, filters] : [kernel[0], kernel[1], channels, filters];
      this.weight(`${name}/kernel`, kshape, layer.weight, filters, fanIn);
      if (layer.bias) this.weight(`${name}/bias`, [filters], layer.bias);
    } else {
      const name = `depthwise_conv2d_${id}`;
      const input = oneD ? this.add("Reshape", `${name}_to2d`, { target_shape: img }, [x]) : x;
      const config = {
        ...common,
        kernel_size: [...kernel],
        strides: [...stride],
        dilation_rate: [...dilation],
        depth_multiplier: filters / channels,
        depthwise_initializer: this.initializer(layer),
      };
      y = this.add("DepthwiseConv2D", name, config, [input]);
      const kshape = [kernel[0], kernel[1], channels, filters / channels];
      this.weight(`${name}/depthwise_kernel`, kshape, layer.weight, filters, fanIn);
      if (layer.bias) this.weight(`${name}/bias`, [filters], layer.bias);
      if (oneD) y = this.add("Reshape", `${name}_to1d`, { target_shape: [out[1], filters] }, [y]);
    }
    return { x: act.after(y), shape: oneD ? [out[1]!, filters] : [out[0]!, out[1]!, filters] };
  }

  private residual(r: Residual, p: string, x: string, shape: number[]): { x: string; shape: number[] } {
    this.branched = true;
    const body = this.chain(r.layers, `${p}.`, x, shape);
    const skip = r.projection ? this.chain([r.projection], `${p}.projection.`, x, shape).x : x;
    return { x: this.add("Add", `add_${p.replaceAll(".", "_")}`, {}, [body.x, skip]), shape: body.shape };
  }

  private concat(c: Concat, p: string, x: string, shape: number[]): { x: string; shape: number[] } {
    this.branched = true;
    const outs = c.branches.map((b, j) => this.chain(b, `${p}.${j}.`, x, shape));
    const width = outs.reduce((w, o) => w + o.shape.at(-1)!, 0);
    const out = [...outs[0]!.shape.slice(0, -1), width];
    if (outs.length === 1) return { x: outs[0]!.x, shape: out };
    const name = `concatenate_${p.replaceAll(".", "_")}`;
    return {
      x: this.add(
        "Concatenate",
        name,
        { axis: -1 },
        outs.map((o) => o.x),
      ),
      shape: out,
    };
  }
}

const pairOf = (v: unknown): [number, number] =>
  Array.isArray(v) ? [Number(v[0]), Number(v[1])] : [Number(v), Number(v)];

const snake = (type: string): string => type.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`);

/** Output size along one axis, as windowGeometry computes it (TensorFlow's "same"). */
function outSize(size: number, k: number, s: number, d: number, padding: string): number {
  return padding === "same" ? Math.ceil(size / s) : Math.floor((size - ((k - 1) * d + 1)) / s) + 1;
}

function refuse(p: string, type: string, how: string): ConfigError {
  return new ConfigError(
    `layer ${p} (${type}): TensorFlow.js export supports ${how || "dense, activation, dropout, layerNorm, batchNorm, conv1d, conv2d, maxPool2d, avgPool2d, globalAvgPool, flatten, reshape, embedding, residual and concat layers"}`,
    { layer: p },
  );
}
