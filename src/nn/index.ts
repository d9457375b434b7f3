export * from "./activations.js";
export * from "./init.js";
export type { ForwardContext, Layer, LayerConfig } from "./layer.js";
export { Dense, Activation, Dropout, LayerNorm, type DenseOptions } from "./layers.js";
export { Sequential, layerFromConfig, type ModelConfig } from "./sequential.js";
