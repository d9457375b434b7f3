/**
 * TF.js import of the shaped models Homeostat exported: the layer configs and input shape in
 * `userDefinedMetadata.homeostat` rebuild the model, the exporter's own walk over it names each weight
 * and its layout, and each is read from the manifest by that name (kernels transposed back). A TF.js
 * model with convolutions that Homeostat did not write has no such metadata and is not supported.
 */
import { Sequential } from "../nn/sequential.js";
import { HomeostatError, ModelFileError } from "../tensor/errors.js";
import { Rng } from "../tensor/rng.js";
import { transpose } from "./interchange.js";
import { shapedKeras } from "./tfjs-export.js";

/** Where a named weight lies in the concatenated weights (tfjs-import.ts's manifest reader). */
export interface ManifestEntry {
  offset: number;
  shape: number[];
  dtype: string;
}

/**
 * The model the metadata describes, with its weights read from `weights` by the names export gives
 * them. A weight that is missing, or of another shape or dtype, is a `ModelFileError` naming it.
 *
 * @example
 * const model = importShapedTfjs({ layers, inputShape }, entries, weights, "model.json");
 */
export function importShapedTfjs(
  hints: { layers: unknown; inputShape: unknown },
  entries: Map<string, ManifestEntry>,
  weights: Uint8Array,
  file: string,
): Sequential {
  const where = `${file}: userDefinedMetadata.homeostat`;
  const shape = hints.inputShape;
  if (!Array.isArray(shape) || shape.length === 0 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1))
    throw new ModelFileError(`${where}.inputShape: expected an array of positive integers`, { file });
  let model: Sequential;
  let specs: ReturnType<typeof shapedKeras>["weights"];
  try {
    model = Sequential.fromLayerConfigs(hints.layers, `${where}.layers`).build(shape, new Rng(0));
    specs = shapedKeras(model).weights;
  } catch (error) {
    if (!(error instanceof HomeostatError) && !(error instanceof RangeError)) throw error;
    throw new ModelFileError(`${where}: the layers do not make a model (${(error as Error).message})`, {
      file,
    });
  }
  for (const spec of specs) {
    const entry = entries.get(spec.name);
    const fail = (msg: string): never => {
      throw new ModelFileError(`${file}: weight "${spec.name}" ${msg}`, { file });
    };
    if (!entry) fail("is missing from the weights manifest");
    if (entry!.dtype !== "float32") fail(`is ${entry!.dtype}; expected float32`);
    if (entry!.shape.length !== spec.shape.length || entry!.shape.some((d, i) => d !== spec.shape[i]))
      fail(`has shape [${entry!.shape.join(", ")}]; expected [${spec.shape.join(", ")}]`);
    const data = new Float32Array(spec.data.length);
    new Uint8Array(data.buffer).set(weights.subarray(entry!.offset, entry!.offset + data.byteLength));
    const [rows, cols] = spec.transposed ?? [0, 0];
    spec.source.data.set(spec.transposed ? transpose(data, cols, rows) : data);
  }
  return model;
}
