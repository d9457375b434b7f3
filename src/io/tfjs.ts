/**
 * TensorFlow.js layers-model files: `model.json` (a Keras Sequential topology plus a
 * weights manifest) and one binary of little-endian float32 weights, loadable with
 * `tf.loadLayersModel`.
 *
 * Dense keeps Keras's kernel layout [in, units], the transpose of Homeostat's [units, in]; leakyRelu,
 * which Keras's Dense cannot name, becomes a LeakyReLU layer (alpha 0.01) after a linear Dense. The
 * original layer configs and a CRC-32 of the weights go in `userDefinedMetadata.homeostat`, so that
 * import restores the identical config and a `model.json` paired with the wrong `weights.bin` is caught.
 * `tfjs-export.ts` and `tfjs-import.ts` map the model to and from bytes (browser-safe);
 * `tfjs-files.ts` (Node, `homeostat/node`) writes and reads the folder. Shaped layers (conv, pools,
 * norms, embeddings, residual and concat blocks): `tfjs-export-shaped.ts` and `tfjs-import-shaped.ts`.
 */
export { exportTfjs, type TfjsModelJson } from "./tfjs-export.js";
export { importTfjs } from "./tfjs-import.js";
