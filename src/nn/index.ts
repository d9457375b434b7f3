export * from "./activations.js";
export * from "./init.js";
export type { ForwardContext, Layer, LayerConfig } from "./layer.js";
export { Dense, Activation, Dropout, LayerNorm, type DenseOptions } from "./layers.js";
export { layers, layerFromConfig, type LayerContext, type LayerType } from "./layer-kinds.js";
export { Sequential, type ModelConfig } from "./sequential.js";
export { BatchNorm, GroupNorm, Embedding, type BatchNormOptions } from "./norm-layers.js";
export { Residual, Concat } from "./blocks.js";
