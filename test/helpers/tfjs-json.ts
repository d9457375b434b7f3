/**
 * model.json files written by hand for the TF.js import tests: Keras layers, a Sequential topology
 * with one weight group, and the float32 bytes of a Dense "d" from 2 features to 1.
 */
import assert from "node:assert/strict";
import { importTfjs } from "../../src/io/tfjs.js";
import type { Sequential } from "../../src/nn/sequential.js";

/** A weights-manifest entry. */
export type Spec = { name: string; shape: number[]; dtype?: string; quantization?: unknown };

export const layer = (class_name: string, config: Record<string, unknown>) => ({ class_name, config });
export const input = (features: number) =>
  layer("InputLayer", { name: "in", batch_input_shape: [null, features] });
/** A Dense "d" of `units` with a linear activation; `extra` adds to or replaces its config. */
export const dense = (units: number, extra: Record<string, unknown> = {}) =>
  layer("Dense", { name: "d", units, activation: "linear", use_bias: true, ...extra });
/** A Keras Sequential of `layers` whose weights are `weights`, in one group read from weights.bin. */
export const modelJson = (layers: unknown[], weights: Spec[] = []) => ({
  format: "layers-model",
  modelTopology: { class_name: "Sequential", config: { name: "sequential", layers } },
  weightsManifest: [{ paths: ["weights.bin"], weights }],
});
/** Float32 values as the little-endian bytes of weights.bin. */
export const bytes = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
/** The kernel [2, 1] = [3, 4] and bias [1] = [5] of a Dense "d" from 2 features to 1. */
export const D_SPECS: Spec[] = [
  { name: "d/kernel", shape: [2, 1] },
  { name: "d/bias", shape: [1] },
];
export const D_WEIGHTS = bytes(3, 4, 5);

/** A model's parameters as [name, values] pairs, for comparing weights with plain arrays. */
export const params = (m: Sequential) => m.parameters().map(([name, t]) => [name, [...t.data]]);

/** importTfjs refuses `json` with a ModelFileError of model.json saying `message` about layer `layerName`. */
export const refusesAtLayer = (json: unknown, weights: Uint8Array, message: string, layerName: string) =>
  assert.throws(() => importTfjs(json, weights), {
    name: "ModelFileError",
    message: `model.json: ${message}`,
    location: { file: "model.json", layer: layerName },
  });
