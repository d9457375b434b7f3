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
import { importOnnx } from "./onnx-import.js";

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

  private constructor(readonly model: Sequential) {
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
    this.hash = `${hex(arch)}-${hex(weights)}-${bytes}`;
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
   * An ONNX backbone, through Homeostat's ONNX import (the graphs it reads: Gemm/MatMul chains with
   * activations and LayerNormalization); its output, a vector per row, is the embedding.
   */
  static fromOnnx(bytes: Uint8Array, file = "backbone.onnx"): FeatureExtractor {
    return new FeatureExtractor(importOnnx(bytes, file));
  }

  get inputDim(): number {
    return this.model.inputDim;
  }
  get outputDim(): number {
    return this.model.outputDim;
  }

  /** Embeddings of rows [n, inputDim] (or samples in the model's input shape): [n, outputDim]. */
  embed(x: Tensor): Tensor {
    return predict(this.model, x);
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
    readonly backbone: FeatureExtractor,
    readonly learner: Learner,
  ) {}

  /** A fresh learner whose inputs are the backbone's embeddings. */
  static create(backbone: FeatureExtractor, config: LearnerConfig): BackboneLearner {
    return new BackboneLearner(backbone, Learner.create({ ...config, inputs: backbone.outputDim }));
  }

  observe(row: ArrayLike<number>, label: Label): Prediction {
    return this.learner.observe(this.backbone.embedRow(row), label);
  }

  predict(row: ArrayLike<number>): Prediction {
    return this.learner.predict(this.backbone.embedRow(row));
  }

  toBytes(): Uint8Array {
    const tensors: NamedTensor[] = [];
    const state = lift(this.learner.getState(), tensors);
    return encodeContainer({ kind: KIND, backbone: this.backbone.hash, state }, tensors);
  }

  /** The learner `toBytes` saved, on `backbone`, which must be the one it learnt on (same hash). */
  static fromBytes(bytes: Uint8Array, backbone: FeatureExtractor, file = "learner"): BackboneLearner {
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
