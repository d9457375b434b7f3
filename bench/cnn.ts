/**
 * Training throughput of a small CNN on the bundled digits, js against wasm (1 and 2 threads) and
 * TensorFlow.js (its wasm and cpu backends; `--no-peers` leaves them out), in interleaved rounds
 * (harness.ts): 28×28×1 → conv 3×3×16 relu → max pool 2 → conv 3×3×32 relu → max
 * pool 2 → flatten → dense 10 softmax, Adam, batch 32. Not part of the test suite.
 *
 *   npm run build && node dist/bench/cnn.js [budgetSeconds] [--no-peers]
 */
import { useBackend } from "../src/backend/index.js";
import { loadBundledMnist } from "../src/data/mnist.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";
import { LENET } from "./conv-workloads.js";
import { type Contestant, fmtRate, measure, secondsSince } from "./harness.js";
import { initTfjs } from "./peers-tfjs.js";
import { tfjsCnn, tfjsCnnUnavailable } from "./cnn-tfjs-peer.js";

// The LeNet-5-like net (conv-workloads.ts): its first layer reads the flat rows as 28×28×1 images.
const LAYERS = LENET;
const BATCH = 32;
const STEPS = 8;

const { train } = loadBundledMnist();
const rows = BATCH * STEPS;
const data = {
  x: new Tensor(train.x.subarray(0, rows * 784), [rows, 784]),
  y: new Tensor(train.y.subarray(0, rows * 10), [rows, 10]),
};

function contestant(name: string, backend: string, threads: number): Contestant {
  const model = Sequential.fromLayerConfigs(LAYERS).build(784, new Rng(1));
  return {
    name,
    reference: backend === "js",
    peer: "Homeostat",
    async run(reps) {
      useBackend(backend, { threads });
      const start = performance.now();
      for (let r = 0; r < reps; r++)
        fit(model, data, {
          epochs: 1,
          batchSize: BATCH,
          optimizer: adam({ lr: 1e-3 }),
          loss: "crossEntropy",
          seed: r,
        });
      return { work: reps * rows, seconds: secondsSince(start) };
    },
  };
}

const args = process.argv.slice(2);
const budget = Number(args.find((a) => !a.startsWith("--")) ?? 60);
const peers: Contestant[] = [];
if (!args.includes("--no-peers")) {
  const tf = await initTfjs();
  console.log(`TensorFlow.js ${tf.version} (wasm SIMD: ${tf.wasmSimd}, threads: ${tf.wasmThreads})`);
  for (const b of ["wasm", "cpu"] as const) {
    const why = await tfjsCnnUnavailable(b);
    if (why) console.log(`tfjs ${b} left out: ${why}`);
    else peers.push(tfjsCnn(b, data.x.data as Float32Array, data.y.data as Float32Array, BATCH));
  }
}
const results = await measure(
  {
    name: "small CNN training, batch 32",
    unit: "rows/s",
    scale: 1,
    contestants: [
      contestant("js", "js", 1),
      contestant("wasm, 1 thread", "wasm", 1),
      contestant("wasm, 2 threads", "wasm", 2),
      ...peers,
    ],
  },
  { warmupSeconds: 3, roundSeconds: 2, budgetSeconds: budget, minRounds: 3 },
  (line) => console.log(line),
);
for (const r of results)
  console.log(
    `${r.contestant.padEnd(16)} ${fmtRate(r.median)} rows/s ±${(100 * r.spread).toFixed(0)}% (${r.rounds} rounds)`,
  );
