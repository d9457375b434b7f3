/**
 * What the health monitor costs (issue 16: at most 3% of wall time), on two runs:
 *   (a) the `homeostat demo mnist` recipe (784-256-10 ReLU, dropout 0.2, ±2 px shifts, Adam 2e-3 with cosine
 *       decay, batch 64, the bundled 8,000 training digits, 20 epochs unless --epochs says fewer), with the
 *       monitor as the CLI makes it (repair on);
 *   (b) 784-256-10 ReLU, Adam 1e-3, batch 64, one pass over 60,000 synthetic rows (an MNIST-sized epoch).
 * First, the two runs of a pair at once (`fitSteps`), taking turns CHUNK steps at a time: Σ of the monitored
 * chunks ÷ Σ of the plain ones − 1, over at least --rounds rounds and --chunks chunk pairs (a chunk pair sees
 * nearly one machine; two whole runs seconds apart do not). Then whole runs, interleaved in pairs (without, with; the order alternating)
 * so drift in the machine's speed hits both sides alike; that figure is the median of the pairs' ratios.
 * Each step is also timed (from one `onBatchEnd` to the next, the monitor's hooks included) and the steps
 * pooled by their place between two checks: the sum of the places' median step times, with the monitor
 * over without, is a figure that a preempted run cannot inflate (it leaves out the few milliseconds a run
 * spends outside its steps). `--baseline DIR` also measures another build (the `dist` folder of an older
 * checkout) in the same process and the same interleaving, for before/after figures that share one
 * machine state. Prints a markdown table for docs/health.md.
 *
 * Each run starts after a full collection and two turns of the event loop (`settle`; run with --expose-gc).
 *
 * `--check-every N` gives the monitor another check period than its default (20 steps), to see what the period
 * costs; "after the first chunk" leaves out each round's first CHUNK steps, where a run pays once for what it
 * sets up (the monitor's first touch of its rollback snapshots), to separate that from what every check costs.
 *
 * A chunk pair's ratio scatters by ±4% here, so --chunks is 150 unless told (a standard error near 0.3%): the
 * short 60,000-row run takes more rounds than the demo.
 *
 * node --expose-gc dist/bench/monitor-overhead.js [--rounds 3] [--chunks 150] [--pairs 5] [--epochs 20]
 *   [--rows 60000] [--threads 1] [--check-every 20] [--baseline DIR]
 */
import { cpus } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const pairs = Number(flag("pairs") ?? 5);
const epochs = Number(flag("epochs") ?? 20);
const rows = Number(flag("rows") ?? 60000);
const threads = Number(flag("threads") ?? 1);
const rounds = Number(flag("rounds") ?? 3);
const minChunks = Number(flag("chunks") ?? 150);
const checkEvery = flag("check-every");

/** The parts of one build the runs need; a build is loaded whole, so its classes match its own `instanceof`. */
async function loadBuild(dist: string) {
  const at = (p: string) => import(pathToFileURL(resolve(dist, p)).href);
  const [backend, mnist, transforms, health, layers, sequential, optimizers, schedules, rng, tensor, fit] =
    await Promise.all(
      [
        "src/backend/index.js",
        "src/data/mnist.js",
        "src/data/transforms.js",
        "src/health/index.js",
        "src/nn/layers.js",
        "src/nn/sequential.js",
        "src/optim/optimizers.js",
        "src/optim/schedules.js",
        "src/tensor/rng.js",
        "src/tensor/tensor.js",
        "src/train/fit.js",
      ].map(at),
    );
  backend.useBackend("auto", { threads });
  return {
    ...mnist,
    ...transforms,
    ...health,
    ...layers,
    ...sequential,
    ...optimizers,
    ...schedules,
    ...rng,
    ...tensor,
    ...fit,
    // A build from before fitSteps runs each run whole (its runs cannot take turns: no interleaved chunks).
    stepwise: "fitSteps" in fit,
    fitSteps: fit.fitSteps ?? ((...args: unknown[]) => [fit.fit(...args)].values()),
  };
}
type Build = Awaited<ReturnType<typeof loadBuild>>;

/** One run's seconds: wall time, CPU time (the process's user + system), and wall time inside the monitor's hooks. */
interface Times {
  wall: number;
  cpu: number;
  hooks: number;
  /** Each step's milliseconds, by its place between two checks (step mod CHECK_EVERY). */
  steps: number[][];
}

/** The monitor's check period (its default, 20, unless --check-every): the steps are pooled by their place in it. */
const CHECK_EVERY = Number(checkEvery ?? 20);

/** The monitor as the CLI makes it (repair on), with --check-every's period where given. */
const makeMonitor = (b: Build) =>
  b.healthMonitor({
    repair: true,
    seed: 1,
    ...(checkEvery ? { thresholds: { checkEvery: CHECK_EVERY } } : {}),
  });

interface Workload {
  name: string;
  /** The run's training, one step a `next()` (fitSteps), with these observers. */
  steps(b: Build, observers: unknown[]): Generator<number, unknown, void>;
}

/**
 * The monitor with each hook timed. On a busy machine the paired ratios carry the noise of two whole runs;
 * the share of a run spent inside the hooks is slowed alike with the rest and stays steady. It leaves out what
 * the monitor makes the loop do (activations kept, gradients copied at check steps), which the pairs include.
 * The hooks are replaced on the monitor object itself: a Proxy around it (as this bench had until 5 December
 * 2026) made every step of the loop ~0.05 ms slower (3.4% of a 784-256-10 step with the checks turned off,
 * against 0.4–0.7% for the bare monitor), a cost that was the bench's, not the monitor's.
 */
function timedMonitor(b: Build, spent: { seconds: number }): Record<string, unknown> {
  const monitor = makeMonitor(b) as Record<string, unknown>;
  for (const hook of ["onTrainBegin", "onGradients", "wantsGradients", "onBatchEnd", "onEpochEnd"]) {
    const inner = monitor[hook] as (...a: unknown[]) => unknown;
    monitor[hook] = (...args: unknown[]) => {
      const t0 = performance.now();
      const out = inner.apply(monitor, args);
      spent.seconds += (performance.now() - t0) / 1000;
      return out;
    };
  }
  return monitor;
}

function timed(
  b: Build,
  monitor: boolean,
  train: (observers: unknown[]) => Generator<number, unknown, void>,
): Times {
  const spent = { seconds: 0 };
  const steps: number[][] = Array.from({ length: CHECK_EVERY }, () => []);
  let last = 0;
  // Last in the list, on both sides: a step runs from one onBatchEnd to the next, the monitor's included.
  const stepTimer = {
    onTrainBegin: () => {
      last = performance.now();
    },
    onBatchEnd: (e: { step: number }) => {
      const now = performance.now();
      steps[e.step % CHECK_EVERY].push(now - last);
      last = now;
    },
  };
  const observers = monitor ? [timedMonitor(b, spent), stepTimer] : [stepTimer];
  const started = performance.now();
  const cpu = process.cpuUsage();
  for (const run = train(observers); !run.next().done; );
  const used = process.cpuUsage(cpu);
  const wall = (performance.now() - started) / 1000;
  return { wall, cpu: (used.user + used.system) / 1e6, hooks: spent.seconds / wall, steps };
}

const demoMnist: Workload = {
  name: `demo mnist, ${epochs} epoch(s) of 8,000 digits`,
  steps(b, observers) {
    const { train } = b.loadBundledMnist();
    const data = { x: new b.Tensor(train.x, [train.n, 784]), y: new b.Tensor(train.y, [train.n, 10]) };
    const model = new b.Sequential([
      new b.Dense(256, { activation: "relu" }),
      new b.Dropout(0.2),
      new b.Dense(10, { activation: "softmax" }),
    ]).build(784, new b.Rng(1));
    return b.fitSteps(model, data, {
      epochs,
      batchSize: 64,
      optimizer: b.adam({ lr: 2e-3 }),
      loss: "crossEntropy",
      seed: 1,
      schedule: b.cosineWithWarmup({ warmupSteps: 0, totalSteps: 2500 }),
      augment: b.randomShift(28, 28, 2),
      observers,
    });
  },
};

/**
 * Rows of 784 pixels in [0, 1) whose class is the brightest of ten stripes: learnable, MNIST-shaped. Made
 * once per process: made again for every run, its 188 MB were collected during whichever timed run came
 * next, on one side of a pair or the other.
 */
const syntheticRows = (n: number) => (synthetic ??= makeRows(n));
let synthetic: { x: Float32Array; y: Float32Array } | undefined;

function makeRows(n: number): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(n * 784);
  const y = new Float32Array(n * 10);
  let s = 12345;
  for (let i = 0; i < x.length; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    x[i] = (s >>> 8) / 2 ** 24;
  }
  for (let r = 0; r < n; r++) {
    const c = r % 10;
    for (let p = c * 78; p < (c + 1) * 78; p++) x[r * 784 + p] += 0.5;
    y[r * 10 + c] = 1;
  }
  return { x, y };
}

const adam60k: Workload = {
  name: `784-256-10 Adam, batch 64, ${rows.toLocaleString("en")} rows`,
  steps(b, observers) {
    const { x, y } = syntheticRows(rows);
    const data = { x: new b.Tensor(x, [rows, 784]), y: new b.Tensor(y, [rows, 10]) };
    const model = new b.Sequential([
      new b.Dense(256, { activation: "relu" }),
      new b.Dense(10, { activation: "softmax" }),
    ]).build(784, new b.Rng(1));
    return b.fitSteps(model, data, {
      epochs: 1,
      batchSize: 64,
      optimizer: b.adam({ lr: 1e-3 }),
      loss: "crossEntropy",
      seed: 1,
      observers,
    });
  },
};

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)];

/** Each pair's with/without − 1 (wall and CPU), and every step of every run, for each build, the builds' pairs interleaved. */
interface Measured {
  pairs: Omit<Times, "steps">[];
  steps: { on: number[][]; off: number[][] };
}

/** Σ over the places between two checks of the median step, with the monitor over without, − 1. */
function stepCost(m: Measured): number {
  const total = (byPlace: number[][]) => byPlace.reduce((sum, times) => sum + median(times), 0);
  return total(m.steps.on) / total(m.steps.off) - 1;
}

/**
 * A full collection and two turns of the event loop before each run (with --expose-gc): the wasm memory's
 * blocks that the last run's arrays held go back to its heap only once those arrays are collected and the
 * loop has turned (a FinalizationRegistry's callbacks), so a loop of runs that never yields touches fresh
 * pages for every array of every run — ~2.6 ms a MB on this VM, on both sides of a pair — where a
 * long-lived process reuses them. Each run then starts from the state a long-lived process is in.
 */
async function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((done) => setImmediate(done));
  await new Promise((done) => setTimeout(done, 0));
}

/** One run of `w`, from a settled heap. */
async function settledRun(w: Workload, b: Build, monitor: boolean): Promise<Times> {
  await settle();
  return timed(b, monitor, (observers) => w.steps(b, observers));
}

async function measure(
  w: Workload,
  builds: { label: string; build: Build }[],
): Promise<Map<string, Measured>> {
  // Warm-up: JIT-compiled code, not the first call's compilation, is what a long run pays for.
  for (const { build } of builds) for (const m of [false, true]) await settledRun(w, build, m);
  const places = () => Array.from({ length: CHECK_EVERY }, () => [] as number[]);
  const measured = new Map<string, Measured>(
    builds.map(({ label }) => [label, { pairs: [], steps: { on: places(), off: places() } }]),
  );
  for (let p = 0; p < pairs; p++) {
    for (const { label, build } of builds) {
      const order = p % 2 === 0 ? [false, true] : [true, false];
      const t = new Map<boolean, Times>();
      for (const m of order) t.set(m, await settledRun(w, build, m));
      const [on, off] = [t.get(true)!, t.get(false)!];
      const m = measured.get(label)!;
      m.pairs.push({ wall: on.wall / off.wall - 1, cpu: on.cpu / off.cpu - 1, hooks: on.hooks });
      on.steps.forEach((times, place) => m.steps.on[place].push(...times));
      off.steps.forEach((times, place) => m.steps.off[place].push(...times));
    }
  }
  return measured;
}

/** Steps in a chunk of the interleaved runs: a multiple of the check period, so every chunk holds as many checks. */
const CHUNK = 5 * CHECK_EVERY;

/**
 * The two runs of a pair at once, taking turns CHUNK steps at a time (which of them goes first alternating
 * from chunk to chunk), each chunk timed. The machine's speed drifts over seconds (±20% between two
 * whole runs here); two neighbouring chunks of ~0.15 s see nearly the same machine. The monitor is the
 * CLI's, unwrapped (its hooks not timed), and the run without it has no observer at all, as a user's
 * plain `fit`. Returns each pair of chunks' seconds, [with, without]. Null for a build without `fitSteps`.
 */
async function interleavedRound(w: Workload, b: Build, round: number): Promise<[number, number][] | null> {
  if (!b.stepwise) return null;
  await settle();
  // Which run's model is made first, and which run goes first, alternate from round to round: the first to
  // allocate takes the lower blocks of the wasm memory.
  const make = (side: number) => (side === 0 ? w.steps(b, [makeMonitor(b)]) : w.steps(b, []));
  const order = round % 2 === 0 ? [0, 1] : [1, 0];
  const runs: Generator<number, unknown, void>[] = [];
  for (const side of order) runs[side] = make(side);
  const done = [false, false];
  const chunks: [number, number][] = [];
  for (let c = 0; !done[0] || !done[1]; c++) {
    const seconds: [number, number] = [0, 0];
    for (const side of c % 2 === 0 ? order : [...order].reverse()) {
      const t0 = performance.now();
      for (let k = 0; k < CHUNK && !done[side]; k++) done[side] = runs[side].next().done === true;
      seconds[side] = (performance.now() - t0) / 1000;
    }
    chunks.push(seconds);
  }
  return chunks;
}

/**
 * The chunks' cost (Σ with ÷ Σ without − 1), the same after each round's first chunk, and the quartiles of
 * the chunk pairs' ratios − 1, over `rounds` rounds or as many more as give `minChunks` chunk pairs.
 */
async function interleaved(
  w: Workload,
  b: Build,
): Promise<{ total: number; later: number; quartiles: number[]; rounds: number; chunks: number } | null> {
  const all: [number, number][] = [];
  const later: [number, number][] = [];
  let r = 0;
  for (; r < rounds || all.length < minChunks; r++) {
    const chunks = await interleavedRound(w, b, r);
    if (!chunks) return null;
    all.push(...chunks);
    later.push(...chunks.slice(1));
  }
  const cost = (c: [number, number][]) =>
    c.reduce((t, x) => t + x[0], 0) / c.reduce((t, x) => t + x[1], 0) - 1;
  const ratios = all.map(([on, off]) => on / off - 1).sort((p, q) => p - q);
  const q = (f: number) => ratios[Math.min(ratios.length - 1, Math.floor(f * ratios.length))];
  return {
    total: cost(all),
    later: cost(later),
    quartiles: [q(0.25), q(0.5), q(0.75)],
    rounds: r,
    chunks: all.length,
  };
}

const here = resolve(new URL("..", import.meta.url).pathname);
const builds = [{ label: "this build", build: await loadBuild(here) }];
const baseline = flag("baseline");
if (baseline) builds.unshift({ label: `baseline (${baseline})`, build: await loadBuild(baseline) });
const pct = (r: number): string => (Number.isFinite(r) ? `${(100 * r).toFixed(1)}%` : "–");
console.log(
  `CPU: ${cpus()[0]?.model ?? "unknown"}, ${cpus().length} cores; ${threads} kernel thread(s); a check every ${CHECK_EVERY} steps\n`,
);
if (!(globalThis as { gc?: unknown }).gc)
  console.log("note: run with --expose-gc, so each run starts from a collected heap (see `settle`)\n");
console.log(
  "| run | build | interleaved chunks | after the first chunk | chunk pairs' quartiles | wall time | CPU time | inside the hooks | steps' medians | wall time of each pair |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
for (const w of [demoMnist, adam60k]) {
  const r = await measure(w, builds);
  for (const { label, build } of builds) {
    const m = r.get(label)!;
    const a = m.pairs;
    const [wall, cpu, hooks] = (["wall", "cpu", "hooks"] as const).map((k) => median(a.map((x) => x[k])));
    const each = a.map((x) => pct(x.wall)).join(", ");
    const chunks = await interleaved(w, build);
    const [total, later, quartiles] = chunks
      ? [
          `**${pct(chunks.total)}** (${chunks.rounds} × ${Math.round(chunks.chunks / chunks.rounds)})`,
          pct(chunks.later),
          chunks.quartiles.map(pct).join(" / "),
        ]
      : ["**–**", "–", "–"];
    console.log(
      `| ${w.name} | ${label} | ${total} | ${later} | ${quartiles} | ${pct(wall)} | ${pct(cpu)} | ${pct(hooks)} | ${pct(stepCost(m))} | ${each} |`,
    );
  }
}
console.log(
  `\nInterleaved chunks: the two runs of a pair at once, taking turns ${CHUNK} steps at a time, over at least ${rounds} round(s) and ${minChunks} chunk pairs (rounds × chunk pairs a round in brackets): Σ of the chunks with the monitor ÷ Σ without − 1, the same leaving out each round's first chunk (a run's set-up), and the quartiles of the chunk pairs' ratios − 1. Then medians over ${pairs} interleaved pairs of whole runs: (with monitor ÷ without) − 1 in wall and CPU time, and the share of the run with the monitor spent inside its hooks. Steps' medians: each step timed, the steps pooled by their place between two checks (every ${CHECK_EVERY} steps), Σ of the places' medians with the monitor ÷ without − 1. Target ≤ 3% of wall time.`,
);
