/**
 * Issue 3's overhead figure: the health monitor (with repair on) against no monitor, on the
 * `homeostat demo mnist` recipe (784-256-10 ReLU, dropout 0.2, ±2 px shifts, Adam 2e-3 with cosine decay,
 * batch 64, the bundled 8,000 training digits). Runs are interleaved in pairs (off, on, on, off, …) so
 * drift in the machine's speed hits both sides alike; the figure is the median of the pairs' ratios
 * (the ratio of the medians is printed too). Target ≤ 3%.
 *
 * node dist/bench/health-overhead.js [--epochs 2] [--pairs 6]
 */
import { loadBundledMnist } from "../src/data/mnist.js";
import { randomShift } from "../src/data/transforms.js";
import { healthMonitor } from "../src/health/index.js";
import { Dense, Dropout } from "../src/nn/layers.js";
import { Sequential } from "../src/nn/sequential.js";
import { adam } from "../src/optim/optimizers.js";
import { cosineWithWarmup } from "../src/optim/schedules.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import { fit } from "../src/train/fit.js";

const flag = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const epochs = flag("epochs", 2);
const pairs = flag("pairs", 6);
const { train } = loadBundledMnist();
const data = { x: new Tensor(train.x, [train.n, 784]), y: new Tensor(train.y, [train.n, 10]) };

function run(monitor: boolean): { seconds: number; cpu: number; events: number } {
  const model = new Sequential([
    new Dense(256, { activation: "relu" }),
    new Dropout(0.2),
    new Dense(10, { activation: "softmax" }),
  ]).build(784, new Rng(1));
  const health = monitor ? healthMonitor({ repair: true }) : null;
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  fit(model, data, {
    epochs,
    batchSize: 64,
    optimizer: adam({ lr: 2e-3 }),
    loss: "crossEntropy",
    seed: 1,
    metrics: ["accuracy"],
    schedule: cosineWithWarmup({ warmupSteps: 0, totalSteps: epochs * 125 }),
    augment: randomShift(28, 28, 2),
    observers: health ? [health] : [],
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    seconds: (performance.now() - started) / 1000,
    cpu: (cpu.user + cpu.system) / 1e6,
    events: health?.events.length ?? 0,
  };
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
// Warm-up of both sides: JIT-compiled code, not the first call's compilation, is what a long run pays for.
run(false);
run(true);
const off: number[] = [];
const on: number[] = [];
const offCpu: number[] = [];
const onCpu: number[] = [];
let events = 0;
for (let p = 0; p < pairs; p++) {
  // Alternate which goes first, so neither side always runs on a warmer machine.
  const order = p % 2 === 0 ? [false, true] : [true, false];
  for (const m of order) {
    const r = run(m);
    (m ? on : off).push(r.seconds);
    (m ? onCpu : offCpu).push(r.cpu);
    events += r.events;
  }
}
const paired = (a: number[], b: number[]): number => median(a.map((s, i) => s / b[i])) - 1;
const f = (a: number[]): string => a.map((s) => s.toFixed(2)).join(", ");
console.log(
  `| runs (each ${epochs} epochs of demo mnist) | median wall time | wall times | median CPU time | CPU times |`,
);
console.log("| --- | --- | --- | --- | --- |");
console.log(
  `| without monitor (${pairs}) | ${median(off).toFixed(2)} s | ${f(off)} | ${median(offCpu).toFixed(2)} s | ${f(offCpu)} |`,
);
console.log(
  `| with monitor, repair on (${pairs}) | ${median(on).toFixed(2)} s | ${f(on)} | ${median(onCpu).toFixed(2)} s | ${f(onCpu)} |`,
);
// CPU time is what the monitor adds; wall time also carries whatever else the machine is doing.
console.log(
  `\noverhead: wall ${(100 * paired(on, off)).toFixed(1)}%, CPU ${(100 * paired(onCpu, offCpu)).toFixed(1)}% (medians of paired ratios), target ≤ 3%`,
);
console.log(`health events on these healthy runs: ${events}`);
