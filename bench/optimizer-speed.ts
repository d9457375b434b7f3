/**
 * Training speed by optimiser: the 784-256-256-10 ReLU MLP trained with `fit` at batch 64 and batch 1,
 * with each built-in optimiser as a run config names it, on the wasm backend (one thread), against
 * PyTorch's same optimiser on one thread, in interleaved rounds (bench/harness.ts). `--baseline DIR`
 * also runs another build (the `dist` folder of an older checkout) in the same rounds, for before/after
 * figures that share one machine state. Prints a markdown table for docs/performance.md.
 *
 *     node dist/bench/optimizer-speed.js [--baseline DIR] [--budget 4]
 */
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { type Contestant, measure, secondsSince } from "./harness.js";
import { benchMlpTask, type MlpTask } from "./homeostat.js";
import { startTorch } from "./peers-torch.js";

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const baselineDir = flag("baseline");
const budget = Number(flag("budget") ?? 4);

/** The optimisers, as run configs name them: the usual settings of each (`clip`: fit's gradient clipping). */
const OPTIMIZERS: readonly Record<string, unknown>[] = [
  { type: "sgd", lr: 0.01 },
  { type: "sgd", lr: 0.01, momentum: 0.9 },
  { type: "sgd", lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
  { type: "rmsprop", lr: 1e-3 },
  { type: "rmsprop", lr: 1e-3, momentum: 0.9, centered: true },
  { type: "adagrad", lr: 0.01 },
  { type: "adam", lr: 1e-3 },
  { type: "sgd", lr: 0.01, clip: { norm: 0.5 } },
  { type: "sgd", lr: 0.01, momentum: 0.9, clip: { norm: 0.5 } },
];

/** The parts of one build a contestant needs; a build is loaded whole, so its classes match each other. */
async function loadBuild(dist: string) {
  const at = (p: string) => import(pathToFileURL(resolve(dist, p)).href);
  const [backend, layers, sequential, optim, rng, tensor, fit] = await Promise.all(
    [
      "src/backend/index.js",
      "src/nn/layers.js",
      "src/nn/sequential.js",
      "src/optim/index.js",
      "src/tensor/rng.js",
      "src/tensor/tensor.js",
      "src/train/fit.js",
    ].map(at),
  );
  return { ...backend, ...layers, ...sequential, ...optim, ...rng, ...tensor, ...fit };
}
type Build = Awaited<ReturnType<typeof loadBuild>>;

/** `fit` on `build`'s wasm backend (one thread): one repetition is an epoch over the task's batches. */
function trainer(build: Build, label: string, task: MlpTask, reference: boolean): Contestant {
  build.useBackend("wasm", { threads: 1 });
  const layers = [
    ...task.hidden.map((units) => new build.Dense(units, { activation: "relu" })),
    new build.Dense(task.classes, { activation: "softmax" }),
  ];
  const model = new build.Sequential(layers).build(task.inputs, new build.Rng(task.seed));
  const rows = task.batches * task.batchSize;
  const data = {
    x: new build.Tensor(task.x, [rows, task.inputs]),
    y: new build.Tensor(task.y, [rows, task.classes]),
  };
  const optimizer = build.optimizerFromConfig(task.optimizer);
  let calls = 0;
  return {
    name: label,
    reference,
    peer: label,
    async run(reps) {
      build.useBackend("wasm", { threads: 1 });
      const start = performance.now();
      const opts = {
        epochs: reps,
        batchSize: task.batchSize,
        optimizer,
        loss: "crossEntropy",
        clip: task.clip,
      };
      build.fit(model, data, { ...opts, seed: task.seed + calls++, shuffle: true });
      return { work: reps * rows, seconds: secondsSince(start) };
    },
  };
}

const describe = (o: Record<string, unknown>): string =>
  [
    o.type === "sgd" ? "SGD" : o.type === "rmsprop" ? "RMSprop" : o.type === "adagrad" ? "Adagrad" : "Adam",
    o.momentum ? `momentum ${o.momentum}` : "",
    o.nesterov ? "Nesterov" : "",
    o.centered ? "centred" : "",
    o.weightDecay ? `weight decay ${o.weightDecay}` : "",
    o.clip ? `clip norm ${(o.clip as { norm: number }).norm}` : "",
  ]
    .filter(Boolean)
    .join(", ");

const here = await loadBuild(resolve(new URL("..", import.meta.url).pathname));
const before = baselineDir ? await loadBuild(resolve(baselineDir)) : null;
const torch = await startTorch();
if (typeof torch === "string") console.log(`note: ${torch}`);
const peer = typeof torch === "string" ? null : torch;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
console.log(`CPU: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores; load ${load()}`);

const rows: string[] = [];
for (const batchSize of [64, 1]) {
  for (const row of OPTIMIZERS) {
    const { clip, ...optimizer } = row;
    const task = benchMlpTask(batchSize, { optimizer, clip: clip as MlpTask["clip"] });
    const contestants = [
      trainer(here, "this build", task, true),
      ...(before ? [trainer(before, "before", task, false)] : []),
      ...(peer ? [peer.mlp(task, 1)] : []),
    ];
    const schedule = { warmupSeconds: 0.5, roundSeconds: 0.3, budgetSeconds: budget, minRounds: 5 };
    const results = await measure({ name: "", unit: "samples/s", scale: 1, contestants }, schedule);
    const rate = (i: number) => (results[i] ? Math.round(results[i]!.median).toLocaleString("en-US") : "");
    const ratio = (i: number) => (results[i]?.ratio ? `${results[i]!.ratio!.toFixed(2)}×` : "");
    const torchAt = before ? 2 : 1;
    const line = `| ${describe(row)} | ${batchSize} | ${rate(0)} | ${before ? `${rate(1)} | ${ratio(1)} | ` : ""}${rate(torchAt)} | ${ratio(torchAt)} |`;
    rows.push(line);
    console.log(line);
  }
}
peer?.close();
console.log(`\nload after: ${load()}\n`);
console.log(
  `| optimiser | batch | this build (samples/s) | ${before ? "before (samples/s) | this ÷ before | " : ""}PyTorch ${peer?.version ?? ""}, 1 thread (samples/s) | this ÷ PyTorch |`,
);
console.log(`| --- | --- | --- | ${before ? "--- | --- | " : ""}--- | --- |`);
for (const r of rows) console.log(r);
