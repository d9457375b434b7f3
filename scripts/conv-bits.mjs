// The conv nets' weights after 6 Adam steps (batch 32) on the digits, wasm on 1 and 2 threads: the
// LeNet-like and ResNet block nets of the bench, the demo CNN's, a net with a 4-channel layer and one
// with a 3-channel layer that wants dx; one sha256 of all weights per run. A kernel change that keeps
// the bits prints the same lines for main's dist and the branch's:
//   node scripts/conv-bits.mjs .scratch/dist-main > a.txt; node scripts/conv-bits.mjs dist | diff a.txt -
import { createHash } from "node:crypto";
import path from "node:path";
const dist = path.resolve(process.argv[2]);
const imp = (p) => import(`${dist}/${p}`);
const { useBackend } = await imp("src/backend/index.js");
const { Sequential } = await imp("src/nn/sequential.js");
const { adam } = await imp("src/optim/optimizers.js");
const { Rng } = await imp("src/tensor/rng.js");
const { Tensor } = await imp("src/tensor/tensor.js");
const { fit } = await imp("src/train/fit.js");
const { loadBundledMnist } = await imp("src/data/mnist.js");
const { CNN_NETS } = await imp("bench/conv-workloads.js");
const { CNN_DEMO_CONFIG } = await imp("src/cli/commands.js");
const { train } = loadBundledMnist();
const rows = 6 * 32;
const nets = {
  lenet: CNN_NETS.lenet.layers,
  resnet: CNN_NETS.resnet.layers,
  demo: CNN_DEMO_CONFIG.model.layers,
  rgb: [
    { type: "reshape", shape: [14, 14, 4] },
    { type: "conv2d", filters: 16, kernel: 3, padding: "same", activation: "relu" },
    { type: "conv2d", filters: 12, kernel: 3, activation: "relu" },
    { type: "flatten" },
    { type: "dense", units: 10, activation: "softmax" },
  ],
  c3: [
    { type: "reshape", shape: [28, 28, 1] },
    { type: "conv2d", filters: 3, kernel: 3, activation: "relu" },
    { type: "conv2d", filters: 16, kernel: 3, stride: 2, activation: "relu" },
    { type: "conv2d", filters: 20, kernel: 3, padding: "same", activation: "relu" },
    { type: "flatten" },
    { type: "dense", units: 10, activation: "softmax" },
  ],
};
for (const threads of [1, 2])
  for (const [name, layers] of Object.entries(nets)) {
    useBackend("wasm", { threads });
    const data = {
      x: new Tensor(train.x.slice(0, rows * 784), [rows, 784]),
      y: new Tensor(train.y.slice(0, rows * 10), [rows, 10]),
    };
    const model = Sequential.fromLayerConfigs(layers).build(784, new Rng(1));
    fit(model, data, {
      epochs: 1,
      batchSize: 32,
      optimizer: adam({ lr: 1e-3 }),
      loss: "crossEntropy",
      seed: 1,
    });
    const h = createHash("sha256");
    for (const [, t] of model.parameters())
      h.update(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    console.log(`${name} threads=${threads} ${h.digest("hex").slice(0, 24)}`);
  }
process.exit(0);
