/**
 * Soak test of issue 7: train online (batch 1) for 1,000,000 steps and sample memory, to show that
 * heap and RSS stay flat (within 10% of their level after warm-up). `npm run soak`, or
 * `node --expose-gc dist/bench/soak.js [--steps N] [--hidden H]`.
 */
import { loadBundledMnist } from "../src/data/mnist.js";
import { Dense } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { sgd } from "../src/optim/optimizers.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const steps = flag("steps", 1_000_000);
const hidden = flag("hidden", 32);
const every = Math.max(1, Math.round(steps / 100));
const warmup = Math.min(10_000, Math.round(steps / 100));

const { train } = loadBundledMnist();
const data = { x: new Tensor(train.x, [train.n, train.inputDim]), y: new Tensor(train.y, [train.n, train.outputDim]) };
const model = new Sequential([new Dense(hidden, { activation: "relu" }), new Dense(10, { activation: "softmax" })]).build(784, new Rng(0));
const samples: { step: number; heapMiB: number; rssMiB: number }[] = [];
// Sample after a full collection (run with --expose-gc, as `npm run soak` does): heapUsed between
// collections is a sawtooth that says nothing about what is retained.
const gc = (globalThis as { gc?: () => void }).gc;
const sample = (step: number): void => {
  gc?.();
  const m = process.memoryUsage();
  samples.push({ step, heapMiB: m.heapUsed / 2 ** 20, rssMiB: m.rss / 2 ** 20 });
};
const started = performance.now();
let lossSum = 0;
const h = fit(model, data, {
  epochs: Math.ceil(steps / train.n), batchSize: 1, optimizer: sgd({ lr: 0.01 }), loss: "crossEntropy", seed: 1,
  observers: [{
    onBatchEnd(e, control) {
      lossSum += e.loss;
      if (e.step === warmup || e.step % every === 0) {
        sample(e.step);
        const s = samples[samples.length - 1];
        process.stderr.write(`\rstep ${e.step.toLocaleString("en-US")}  heap ${s.heapMiB.toFixed(1)} MiB  rss ${s.rssMiB.toFixed(1)} MiB  loss ${(lossSum / every).toFixed(3)}   `);
        lossSum = 0;
      }
      if (e.step >= steps) control.stop("done");
    },
  }],
});
process.stderr.write("\n");
const base = samples.find((s) => s.step === warmup)!;
const after = samples.filter((s) => s.step >= warmup);
const maxHeap = Math.max(...after.map((s) => s.heapMiB));
const maxRss = Math.max(...after.map((s) => s.rssMiB));
const last = samples[samples.length - 1];
console.log(`| steps | heap at ${warmup.toLocaleString("en-US")} | heap at end | max heap after warm-up | RSS at ${warmup.toLocaleString("en-US")} | RSS at end | max RSS after warm-up | steps/s |`);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
console.log(`| ${h.steps.toLocaleString("en-US")} | ${base.heapMiB.toFixed(1)} MiB | ${last.heapMiB.toFixed(1)} MiB | ${maxHeap.toFixed(1)} MiB | ${base.rssMiB.toFixed(1)} MiB | ${last.rssMiB.toFixed(1)} MiB | ${maxRss.toFixed(1)} MiB | ${Math.round(h.steps / ((performance.now() - started) / 1000)).toLocaleString("en-US")} |`);
const flat = maxRss <= base.rssMiB * 1.1 && maxHeap <= base.heapMiB * 1.1;
console.log(flat ? "memory stayed flat (within 10% of the warm-up level)" : "MEMORY GREW beyond 10% of the warm-up level");
const i = process.argv.indexOf("--samples");
if (i > 0) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.argv[i + 1], JSON.stringify(samples));
}
process.exitCode = flat ? 0 : 1;
