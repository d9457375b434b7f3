// A frozen backbone feeding a learner that keeps learning (issue 22's class-incremental figure).
// 1. Pretrain a small CNN on digits 0–4 of the bundled MNIST (seeded), then cut its head off:
//    FeatureExtractor.fromModel(cnn, { layers: k }) gives 32-number embeddings.
// 2. On those embeddings, three heads see the stream: digits 0–4 (600 rows), then 5–9 (600 rows), one
//    row at a time: the Learner (replay memory on, its default), naive fine-tuning (the same Learner with
//    no replay), and the oracle (a softmax head fit offline on all 1,200 rows, shuffled, 30 epochs).
// 3. Accuracy on the held-out test rows of old (0–4) and new (5–9) classes.
// Plug in your own backbone: FeatureExtractor.fromOnnx(bytes) for an ONNX model (MLP or CNN, e.g. from PyTorch;
// examples/onnx-backbone.mjs), or any trained Homeostat model cut before its head.
// Run after `npm run build`:   node examples/backbone-digits.mjs [--pretrain 3000] [--epochs 3] [--rows 600]
import {
  BackboneLearner,
  Conv2D,
  Dense,
  FeatureExtractor,
  Flatten,
  fit,
  MaxPool2D,
  Rng,
  Sequential,
  Tensor,
  adam,
  predict,
} from "homeostat";
import { loadBundledMnist } from "homeostat/node";

const arg = (name, d) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const PRETRAIN = arg("pretrain", 3000);
const EPOCHS = arg("epochs", 3);
const ROWS = arg("rows", 600);
const { train, test } = loadBundledMnist();
const label = (d, i) => d.y.subarray(i * 10, i * 10 + 10).indexOf(1);
const rowsOf = (d, keep, limit) => {
  const idx = [];
  for (let i = 0; i < d.n && idx.length < limit; i++) if (keep(label(d, i))) idx.push(i);
  return idx;
};
const tensorOf = (d, idx, classes) => ({
  x: new Tensor(Float32Array.from(idx.flatMap((i) => Array.from(d.x.subarray(i * 784, i * 784 + 784)))), [idx.length, 784]),
  y: new Tensor(Float32Array.from(idx.flatMap((i) => Array.from({ length: classes }, (_, c) => (c === label(d, i) ? 1 : 0)))), [idx.length, classes]),
});
const old = (c) => c < 5;

// 1. The backbone: conv → pool → conv → pool → dense 32 (the embedding) → dense 5 (the head, cut off).
const cnn = new Sequential([
  new Conv2D(8, { kernel: 3, padding: "same", activation: "relu" }),
  new MaxPool2D({ pool: 2 }),
  new Conv2D(16, { kernel: 3, padding: "same", activation: "relu" }),
  new MaxPool2D({ pool: 2 }),
  new Flatten(),
  new Dense(32, { activation: "relu" }),
  new Dense(5, { activation: "softmax" }),
]).build([28, 28, 1], new Rng(1));
const pre = tensorOf(train, rowsOf(train, old, PRETRAIN), 5);
let start = Date.now();
fit(cnn, pre, { epochs: EPOCHS, batchSize: 32, optimizer: adam({ lr: 2e-3 }), loss: "crossEntropy", seed: 1 });
const oldTest = rowsOf(test, old, 1000);
const newTest = rowsOf(test, (c) => !old(c), 1000);
const pretrainAcc = (() => {
  const t = tensorOf(test, oldTest, 5);
  const p = predict(cnn, t.x).data;
  let ok = 0;
  for (let i = 0; i < oldTest.length; i++) {
    const row = p.subarray(i * 5, i * 5 + 5);
    if (row.indexOf(Math.max(...row)) === label(test, oldTest[i])) ok++;
  }
  return ok / oldTest.length;
})();
console.log(`backbone: 0–4 test accuracy ${(100 * pretrainAcc).toFixed(1)}% after ${EPOCHS} epochs on ${PRETRAIN} rows (${((Date.now() - start) / 1000).toFixed(0)} s)`);
const backbone = FeatureExtractor.fromModel(cnn, { layers: 6 });
console.log(`backbone hash ${backbone.hash}, ${backbone.outputDim}-number embeddings`);

// 2. The stream: ROWS rows of 0–4, then ROWS rows of 5–9, one at a time.
const stream = [...rowsOf(train, old, ROWS), ...rowsOf(train, (c) => !old(c), ROWS)];
const pixels = (d, i) => d.x.subarray(i * 784, i * 784 + 784);
const heads = {
  learner: BackboneLearner.create(backbone, { task: "classification", seed: 1 }),
  naive: BackboneLearner.create(backbone, { task: "classification", seed: 1, memory: 0 }),
};
start = Date.now();
for (const i of stream) for (const h of Object.values(heads)) h.observe(pixels(train, i), label(train, i));
const seconds = (Date.now() - start) / 1000;

// The oracle: a softmax head fit offline on every row's embedding, shuffled.
const all = tensorOf(train, stream, 10);
const oracle = new Sequential([new Dense(64, { activation: "relu" }), new Dense(10, { activation: "softmax" })]).build(backbone.outputDim, new Rng(1));
fit(oracle, { x: backbone.embed(all.x), y: all.y }, { epochs: 30, batchSize: 32, optimizer: adam({ lr: 1e-3 }), loss: "crossEntropy", seed: 1 });

// 3. Accuracy on old and new classes.
const accuracy = (guess, idx) => idx.filter((i) => guess(i) === label(test, i)).length / idx.length;
const oracleGuess = (i) => {
  const p = predict(oracle, backbone.embed(new Tensor(Float32Array.from(pixels(test, i)), [1, 784]))).data;
  return p.indexOf(Math.max(...p));
};
const pct = (v) => `${(100 * v).toFixed(1)}%`.padStart(6);
console.log(`\nafter the stream (${stream.length} rows, ${seconds.toFixed(0)} s for both heads):`);
console.log("head       old 0–4  new 5–9");
for (const [name, h] of Object.entries(heads)) {
  const g = (i) => Number(h.predict(pixels(test, i)).label);
  console.log(`${name.padEnd(10)} ${pct(accuracy(g, oldTest))}  ${pct(accuracy(g, newTest))}`);
}
console.log(`${"oracle".padEnd(10)} ${pct(accuracy(oracleGuess, oldTest))}  ${pct(accuracy(oracleGuess, newTest))}`);
