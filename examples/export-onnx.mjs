// A model that travels: trained here, saved as a Homeostat model file, exported to ONNX (for ONNX
// Runtime, in a browser or a server) and TensorFlow.js, and each brought back; every copy predicts the
// same numbers as the original. Run after `npm run build`:   node examples/export-onnx.mjs
import {
  Dense,
  Rng,
  Sequential,
  Tensor,
  adam,
  decodeModel,
  encodeModel,
  exportOnnx,
  exportTfjs,
  fit,
  importOnnx,
  importTfjs,
  predict,
} from "homeostat";

// A regression target, y = sin(x0) + x1², learnt by a small tanh network.
const rng = new Rng(3);
const n = 256;
const x = new Float32Array(n * 2).map(() => rng.uniform(-1, 1));
const y = new Float32Array(n).map((_, r) => Math.sin(x[2 * r]) + x[2 * r + 1] ** 2);
const data = { x: new Tensor(x, [n, 2]), y: new Tensor(y, [n, 1]) };
const model = new Sequential([new Dense(16, { activation: "tanh" }), new Dense(1)]).build(2, new Rng(4));
const { epochs } = fit(model, data, { epochs: 30, batchSize: 32, optimizer: adam({ lr: 0.01 }), loss: "mse", seed: 5 });
console.log(`trained: mse ${epochs.at(-1).train.loss.toFixed(4)} after ${epochs.length} epochs`);

const onnx = exportOnnx(model); // bytes of a .onnx file (opset 17)
const { modelJson, weights } = exportTfjs(model); // model.json and weights.bin
const file = encodeModel(model, { task: "regression", loss: "mse" }); // a .hmst model file
const copies = {
  "model file": decodeModel(file).model,
  onnx: importOnnx(onnx, "model.onnx"),
  tfjs: importTfjs(modelJson, weights, "model.json"),
};
const expected = predict(model, data.x).data;
for (const [name, copy] of Object.entries(copies)) {
  const got = predict(copy, data.x).data;
  const diff = got.reduce((m, v, i) => Math.max(m, Math.abs(v - expected[i])), 0);
  console.log(`${name}: largest difference from the original over ${n} rows: ${diff}`);
}
console.log(`sizes: onnx ${onnx.length} bytes, tfjs weights ${weights.length} bytes, model file ${file.length} bytes`);
