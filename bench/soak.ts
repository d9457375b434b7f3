/**
 * Soak test of issue 7: train online (batch 1) for 1,000,000 steps and sample memory, to show that
 * heap and RSS stay flat (within 10% of their level after warm-up). `npm run soak`, or
 * `node --expose-gc dist/bench/soak.js [--steps N] [--hidden H] [--backend js|wasm]` (default js).
 */
import { useBackend } from "../src/backend/index.js";
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
// Warm-up: the first 10% of the run. RSS climbs for the first ~80,000 steps here (the C allocator's
// arenas and mmap threshold settling under the churn of per-step typed arrays), then stays level; the
// table also shows the level at 1% of the run so that this choice is visible.
const warmup = Math.round(steps / 10);
const early = Math.round(steps / 100);

const b = process.argv.indexOf("--backend");
const backendName = b > 0 ? process.argv[b + 1]! : "js";
useBackend(backendName, { threads: 1 });

const { train } = loadBundledMnist();
const data = {
  x: new Tensor(train.x, [train.n, train.inputDim]),
  y: new Tensor(train.y, [train.n, train.outputDim]),
};
const model = new Sequential([
  new Dense(hidden, { activation: "relu" }),
  new Dense(10, { activation: "softmax" }),
]).build(784, new Rng(0));
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
  epochs: Math.ceil(steps / train.n),
  batchSize: 1,
  optimizer: sgd({ lr: 0.01 }),
  loss: "crossEntropy",
  seed: 1,
  observers: [
    {
      onBatchEnd(e, control) {
        lossSum += e.loss;
        if (e.step === warmup || e.step === early || e.step % every === 0) {
          sample(e.step);
          const s = samples[samples.length - 1];
          process.stderr.write(
            `\rstep ${e.step.toLocaleString("en-US")}  heap ${s.heapMiB.toFixed(1)} MiB  rss ${s.rssMiB.toFixed(1)} MiB  loss ${(lossSum / every).toFixed(3)}   `,
          );
          lossSum = 0;
        }
        if (e.step >= steps) control.stop("done");
      },
    },
  ],
});
process.stderr.write("\n");
const base = samples.find((s) => s.step === warmup)!;
const earlyBase = samples.find((s) => s.step === early)!;
const after = samples.filter((s) => s.step >= warmup);
const maxHeap = Math.max(...after.map((s) => s.heapMiB));
const maxRss = Math.max(...after.map((s) => s.rssMiB));
const last = samples[samples.length - 1];
const n = (v: number): string => v.toLocaleString("en-US");
console.log(
  `| steps | heap at ${n(early)} / ${n(warmup)} / end (max after warm-up) | RSS at ${n(early)} / ${n(warmup)} / end (max after warm-up) | steps/s |`,
);
console.log("| --- | --- | --- | --- |");
console.log(
  `| ${n(h.steps)} | ${earlyBase.heapMiB.toFixed(1)} / ${base.heapMiB.toFixed(1)} / ${last.heapMiB.toFixed(1)} MiB (${maxHeap.toFixed(1)}) | ${earlyBase.rssMiB.toFixed(1)} / ${base.rssMiB.toFixed(1)} / ${last.rssMiB.toFixed(1)} MiB (${maxRss.toFixed(1)}) | ${n(Math.round(h.steps / ((performance.now() - started) / 1000)))} |`,
);
const flat = maxRss <= base.rssMiB * 1.1 && maxHeap <= base.heapMiB * 1.1;
console.log(
  flat
    ? "memory stayed flat (within 10% of the warm-up level)"
    : "MEMORY GREW beyond 10% of the warm-up level",
);
const i = process.argv.indexOf("--samples");
if (i > 0) {
  const { writeFileSync } = await import("node:fs");
  writeFileSync(process.argv[i + 1], JSON.stringify(samples));
}
process.exitCode = flat ? 0 : 1;
