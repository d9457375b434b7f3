/**
 * Frozen backbones for continual learning: a `FeatureExtractor` turns raw rows into embeddings with a
 * pretrained network that never changes (a Homeostat model cut before its head, or an ONNX model that
 * Homeostat's ONNX import reads), and a `BackboneLearner` feeds those embeddings to a `Learner` that
 * keeps learning (new classes, no forgetting). The learner's file records the backbone's fingerprint and
 * refuses to load against a different backbone: its head means nothing on another backbone's features.
 */
import { Learner, type LearnerConfig, type LearnerState, type Prediction } from "../learner/learner.js";
import type { Label } from "../learner/rows.js";
import { Sequential } from "../nn/sequential.js";
import { ConfigError, ModelFileError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";
import { predict } from "../train/evaluate.js";
import { decodeContainer, encodeContainer, type NamedTensor } from "./container.js";
import { crc32 } from "./crc32.js";
import { lift, lower } from "./learner-bytes.js";
import { importOnnxGraph } from "./onnx-import.js";
import type { OnnxRuntimeBackbone } from "./onnx-runtime-backbone.js";

const KIND = "homeostat-backbone-learner";

/**
 * A pretrained network used frozen: rows in, embeddings out (eval mode: BatchNorm's running statistics,
 * no dropout). `hash` fingerprints its architecture and every weight and buffer bit (CRC-32 of each, a
 * check against mix-ups, not a cryptographic digest).
 *
 * @example
 * const backbone = FeatureExtractor.fromModel(model, { layers: 4 }); // the first 4 layers, head cut off
 * backbone.embed(x); // [rows, backbone.outputDim]
 */
export class FeatureExtractor {
  readonly hash: string;

  private constructor(
    readonly model: Sequential,
    private readonly edges: Edges = { inputOrder: null, outputOrder: null },
  ) {
    const tensors = [...model.parameters(), ...model.buffers()];
    let weights = 0;
    let bytes = 0;
    for (const [, t] of tensors) {
      const b = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      weights = crc32(b, weights);
      bytes += b.length;
    }
    const arch = crc32(new TextEncoder().encode(JSON.stringify(model.config())));
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    const { inputOrder, outputOrder } = edges;
    // Only a conv graph read channels first has orders; every other backbone keeps the hash it had.
    const orders = [inputOrder, outputOrder].map((o) =>
      o ? `-${hex(crc32(new Uint8Array(o.buffer, o.byteOffset, o.byteLength)))}` : "",
    );
    this.hash = `${hex(arch)}-${hex(weights)}-${bytes}${orders[0] || orders[1] ? orders.join("") : ""}`;
  }

  /** The first `layers` layers of a built model (default: all of them), weights and buffers copied. */
  static fromModel(model: Sequential, o: { layers?: number } = {}): FeatureExtractor {
    if (!model.isBuilt) throw new ConfigError("FeatureExtractor: the model has no weights yet");
    const k = o.layers ?? model.layers.length;
    if (!(Number.isInteger(k) && k >= 1 && k <= model.layers.length))
      throw new ConfigError(
        `FeatureExtractor: layers must be 1 to ${model.layers.length} (the model's layers), got ${k}`,
        { field: "layers" },
      );
    const configs = model.config().layers.slice(0, k);
    const cut = Sequential.fromLayerConfigs(configs, "backbone").build(model.inputShape, new Rng(0));
    const source = new Map([...model.parameters(), ...model.buffers()]);
    for (const [name, t] of [...cut.parameters(), ...cut.buffers()]) t.data.set(source.get(name)!.data);
    return new FeatureExtractor(cut);
  }

  /**
   * An ONNX backbone, through Homeostat's ONNX import: dense chains (Gemm/MatMul, activations,
   * LayerNormalization) and conv graphs (Conv, BatchNormalization, MaxPool, AveragePool,
   * GlobalAveragePool, Flatten, Reshape, residual Add, Concat; PyTorch's exports among them). Its
   * output, a vector per row, is the embedding. Rows are read as the ONNX graph reads them (a
   * PyTorch image model: channels first, [C, H, W] flattened) and embeddings come in the graph's
   * order: the conversion to Homeostat's channels-last layout happens inside, at the edges.
   *
   * @example
   * const backbone = FeatureExtractor.fromOnnx(bytes, "backbone.onnx"); // bytes: the file's contents
   * backbone.embedRow(new Array<number>(backbone.inputDim).fill(0)); // the ONNX model's output for this row
   */
  static fromOnnx(bytes: Uint8Array, file = "backbone.onnx"): FeatureExtractor {
    const { model, inputOrder, outputOrder } = importOnnxGraph(bytes, file);
    return new FeatureExtractor(model, { inputOrder, outputOrder });
  }

  get inputDim(): number {
    return this.model.inputDim;
  }
  get outputDim(): number {
    return this.model.outputDim;
  }

  /** Embeddings of rows [n, inputDim] (or samples in the model's input shape): [n, outputDim]. */
  embed(x: Tensor): Tensor {
    const { inputOrder, outputOrder } = this.edges;
    const y = predict(this.model, inputOrder ? permuteRows(x, inputOrder, true) : x);
    return outputOrder ? permuteRows(y, outputOrder, false) : y;
  }

  /** One row's embedding. */
  embedRow(row: ArrayLike<number>): Float64Array {
    if (row.length !== this.inputDim)
      throw new ConfigError(
        `FeatureExtractor: a row of ${row.length} values; the backbone reads ${this.inputDim}`,
        {
          field: "row",
        },
      );
    return Float64Array.from(this.embed(new Tensor(Float32Array.from(row), [1, row.length])).data);
  }
}

/** Where an ONNX row's values sit in the model's rows, at its input and its output (null: in place). */
interface Edges {
  inputOrder: Int32Array | null;
  outputOrder: Int32Array | null;
}

/** Rows [n, width] moved between ONNX's order and the model's: `scatter` puts value i at order[i], else takes it from there. */
function permuteRows(x: Tensor, order: Int32Array, scatter: boolean): Tensor {
  const width = order.length;
  const rows = x.size / width;
  const out = new Float32Array(x.size);
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < width; i++)
      if (scatter) out[r * width + order[i]] = x.data[r * width + i];
      else out[r * width + i] = x.data[r * width + order[i]];
  return new Tensor(out, [rows, width]);
}

/** A frozen backbone: Homeostat's own (`FeatureExtractor`, synchronous) or ONNX Runtime's (asynchronous). */
export type Backbone = FeatureExtractor | OnnxRuntimeBackbone;

/**
 * A learner on a frozen backbone's embeddings: `observe` and `predict` take raw rows. Its bytes hold
 * the learner's state and the backbone's hash.
 *
 * @example
 * const backbone = FeatureExtractor.fromModel(model, { layers: 4 });
 * const head = BackboneLearner.create(backbone, { task: "classification", seed: 1 });
 * const pixels = new Array<number>(784).fill(0);
 * head.observe(pixels, "7");
 * head.predict(pixels); // { label, probability, labels }
 * const again = BackboneLearner.fromBytes(head.toBytes(), backbone); // refuses another backbone
 */
export class BackboneLearner {
  private constructor(
    readonly backbone: Backbone,
    readonly learner: Learner,
  ) {}

  /** A fresh learner whose inputs are the backbone's embeddings. */
  static create(backbone: Backbone, config: LearnerConfig): BackboneLearner {
    return new BackboneLearner(backbone, Learner.create({ ...config, inputs: backbone.outputDim }));
  }

  observe(row: ArrayLike<number>, label: Label): Prediction {
    return this.learner.observe(this.embedNow(row), label);
  }

  predict(row: ArrayLike<number>): Prediction {
    return this.learner.predict(this.embedNow(row));
  }

  /** `observe` for a backbone that embeds asynchronously (ONNX Runtime); any backbone takes it. */
  async observeAsync(row: ArrayLike<number>, label: Label): Promise<Prediction> {
    return this.learner.observe(await this.backbone.embedRow(row), label);
  }

  /** `predict` for a backbone that embeds asynchronously (ONNX Runtime); any backbone takes it. */
  async predictAsync(row: ArrayLike<number>): Promise<Prediction> {
    return this.learner.predict(await this.backbone.embedRow(row));
  }

  private embedNow(row: ArrayLike<number>): Float64Array {
    if (!(this.backbone instanceof FeatureExtractor))
      throw new ConfigError(
        "BackboneLearner: this backbone (ONNX Runtime) embeds asynchronously; use observeAsync and predictAsync",
        { field: "backbone" },
      );
    return this.backbone.embedRow(row);
  }

  toBytes(): Uint8Array {
    const tensors: NamedTensor[] = [];
    const state = lift(this.learner.getState(), tensors);
    return encodeContainer({ kind: KIND, backbone: this.backbone.hash, state }, tensors);
  }

  /** The learner `toBytes` saved, on `backbone`, which must be the one it learnt on (same hash). */
  static fromBytes(bytes: Uint8Array, backbone: Backbone, file = "learner"): BackboneLearner {
    const { header, tensors } = decodeContainer(bytes, file);
    if (header.kind !== KIND)
      throw new ModelFileError(`${file}: not a backbone learner file (kind ${JSON.stringify(header.kind)})`, {
        file,
        field: "kind",
      });
    if (header.backbone !== backbone.hash)
      throw new ConfigError(
        `${file}: this learner was trained on backbone ${String(header.backbone)}, but the backbone given is ${backbone.hash}; its head means nothing on other features`,
        { file, field: "backbone" },
      );
    const state = lower(header.state, new Map(tensors.map((t) => [t.name, t.data]))) as LearnerState;
    return new BackboneLearner(backbone, Learner.fromState(state));
  }
}
