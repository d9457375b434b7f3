/**
 * Issue 19's slowly-changing regression: Dohare et al.'s bit-flipping problem (Nature 2024, "Loss of
 * plasticity in deep continual learning", and Dohare, Sutton & Mahmood 2021). A fixed random target
 * network of linear threshold units reads M flipping bits and F random bits; one flipping bit is flipped
 * every T steps, so the function to track changes slowly and forever. The learner (one hidden ReLU layer)
 * is trained online, one row per step, with SGD; its error on each row before learning it (prequential
 * squared error) is averaged over bins of the stream. Plain backprop's error grows as it loses
 * plasticity; the rows compare it with the vitals loop (nothing chosen) and the hand-picked regulator.
 *
 *   node dist/bench/vital-bitflip.js [--steps 300000] [--flip 1000] [--hidden 5] [--lr 0.01] [--seeds 1,2]
 */
import { pathToFileURL } from "node:url";
import { useBackend } from "../src/backend/index.js";
import { vitals } from "../src/homeostasis/index.js";
import {
  continualBackprop,
  intrinsicPlasticity,
  l2Init,
  PLASTICITY_REMEDIES,
  redo,
  shrinkPerturb,
} from "../src/homeostasis/index.js";
import { Dense, Sequential } from "../src/nn/index.js";
import { sgd } from "../src/optim/index.js";
import { Rng } from "../src/tensor/rng.js";
import { Tensor } from "../src/tensor/tensor.js";
import type { Observer } from "../src/train/events.js";
import { fit } from "../src/train/index.js";

/** The problem's parameters (Dohare et al.: M 15, F 5, 100 target units, β 0.7, T 10,000). */
export interface BitFlipOptions {
  steps: number;
  flip: number;
  hidden: number;
  lr: number;
  bins: number;
  flipping?: number;
  random?: number;
  targetUnits?: number;
}

/** The target: 100 LTUs with ±1 weights and thresholds (M + F)·β − (negative weights), ±1 output weights. */
function targetNetwork(inputs: number, units: number, rng: Rng) {
  const w = Float32Array.from({ length: units * (inputs + 1) }, () => (rng.next() < 0.5 ? -1 : 1));
  const v = Float32Array.from({ length: units }, () => (rng.next() < 0.5 ? -1 : 1));
  const theta = Array.from({ length: units }, (_, i) => {
    let negative = 0;
    for (let j = 0; j <= inputs; j++) if (w[i * (inputs + 1) + j] < 0) negative++;
    return (inputs + 1) * 0.7 - negative;
  });
  return (x: Float32Array): number => {
    let y = 0;
    for (let i = 0; i < units; i++) {
      let s = w[i * (inputs + 1) + inputs]; // the bias input, always 1
      for (let j = 0; j < inputs; j++) s += w[i * (inputs + 1) + j] * x[j];
      if (s > theta[i]) y += v[i];
    }
    return y;
  };
}

/** One stretch of T rows: the flipping bits as they stand, fresh random bits each row. */
function stretch(
  bits: Float32Array,
  m: number,
  f: number,
  rows: number,
  target: (x: Float32Array) => number,
  rng: Rng,
) {
  const x = new Float32Array(rows * (m + f));
  const y = new Float32Array(rows);
  const row = new Float32Array(m + f);
  for (let r = 0; r < rows; r++) {
    row.set(bits);
    for (let j = m; j < m + f; j++) row[j] = rng.next() < 0.5 ? 0 : 1;
    x.set(row, r * (m + f));
    y[r] = target(row);
  }
  return { x: new Tensor(x, [rows, m + f]), y: new Tensor(y, [rows, 1]) };
}

/** The hand-picked regulators a run may name, each made fresh for its run. */
const HAND: Record<string, () => Observer[]> = {
  ipL2: () => [intrinsicPlasticity(), l2Init()],
  cbp: () => [continualBackprop()],
  cbpFast: () => [continualBackprop({ replacementRate: 1e-3 })],
  redo: () => [redo()],
  shrinkPerturb: () => [shrinkPerturb()],
  l2Init: () => [l2Init()],
};

export type BitFlipRun =
  | "plain"
  | "loop"
  | "ipL2"
  | "cbp"
  | "cbpFast"
  | "redo"
  | "shrinkPerturb"
  | "l2Init"
  | "loopCbpFirst"
  | "fresh";

/** Squared error on each row before the step that learns it, averaged over `bins` equal parts of the stream. */
export function bitFlipRun(kind: BitFlipRun, seed: number, o: BitFlipOptions) {
  const [m, f] = [o.flipping ?? 15, o.random ?? 5];
  const problem = new Rng(seed).fork("bitflip");
  const target = targetNetwork(m + f, o.targetUnits ?? 100, problem.fork("target"));
  const bits = Float32Array.from({ length: m }, () => (problem.next() < 0.5 ? 0 : 1));
  const made = (rng: Rng) =>
    new Sequential([
      new Dense(o.hidden, { activation: "relu" }),
      new Dense(1, { activation: "linear" }),
    ]).build(m + f, rng);
  let model = made(new Rng(seed));
  // Plain backprop started afresh for the last fifth of the stream: the same targets, no history.
  const freshAt = kind === "fresh" ? Math.round((o.steps * 0.8) / o.flip) * o.flip : -1;
  const loop = vitals(
    { forgettingBudget: 0, seed },
    kind === "loopCbpFirst"
      ? [...PLASTICITY_REMEDIES].sort(
          (a, b) => Number(b.name === "continualBackprop") - Number(a.name === "continualBackprop"),
        )
      : PLASTICITY_REMEDIES,
  );
  const errors: number[] = [];
  const recorder: Observer = { onBatchEnd: (e) => void errors.push(e.loss) };
  const regulators: Observer[] = kind.startsWith("loop") ? [loop] : (HAND[kind]?.() ?? []);
  const started = performance.now();
  for (let done = 0; done < o.steps; done += o.flip) {
    if (done === freshAt) model = made(new Rng(seed).fork("fresh"));
    const data = stretch(bits, m, f, Math.min(o.flip, o.steps - done), target, problem);
    fit(model, data, {
      epochs: 1,
      batchSize: 1,
      shuffle: false,
      seed: seed + done,
      loss: "mse",
      optimizer: sgd({ lr: o.lr }),
      observers: [...regulators, recorder],
    });
    const k = Math.floor(problem.next() * m);
    bits[k] = 1 - bits[k];
  }
  const per = errors.length / o.bins;
  const binned = Array.from({ length: o.bins }, (_, b) => {
    const part = errors.slice(Math.round(b * per), Math.round((b + 1) * per));
    return part.reduce((a, e) => a + e, 0) / part.length;
  });
  return {
    binned,
    events: kind.startsWith("loop") ? loop.events : [],
    seconds: (performance.now() - started) / 1000,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const argv = process.argv.slice(2);
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : fallback;
  };
  useBackend("auto", { threads: 1 });
  const o = {
    steps: Number(get("steps", "300000")),
    flip: Number(get("flip", "1000")),
    hidden: Number(get("hidden", "5")),
    lr: Number(get("lr", "0.01")),
    bins: Number(get("bins", "10")),
  };
  for (const kind of get("runs", "plain,loop,ipL2").split(",") as BitFlipRun[])
    for (const seed of get("seeds", "1").split(",").map(Number)) {
      const r = bitFlipRun(kind, seed, o);
      console.log(kind, seed, r.binned.map((e) => e.toFixed(2)).join(" "), `${r.seconds.toFixed(0)} s`);
      for (const e of r.events) console.log(`  ${e.step} ${e.kind}: ${e.diagnosis}`);
    }
}

const RUN_NAMES: Record<BitFlipRun, string> = {
  plain: "plain backprop",
  loop: "vitals loop (nothing chosen)",
  ipL2: "IP + L2-Init (hand-picked)",
  cbp: "continual backprop (hand-picked)",
  cbpFast: "continual backprop, replacement rate 1e-3 (hand-picked)",
  loopCbpFirst: "vitals loop, continual backprop tried first",
  fresh: "plain backprop, a fresh network from 80% of the stream on",
  redo: "ReDo (hand-picked)",
  shrinkPerturb: "shrink and perturb (hand-picked)",
  l2Init: "L2-Init alone (hand-picked)",
};

/**
 * The bit-flipping section of docs/vital-loop.md, as markdown lines.
 *
 * @example
 * bitFlipSection({ steps: 400_000, flip: 1000, hidden: 5, lr: 0.01, bins: 10 }, [1]).join("\n");
 */
export function bitFlipSection(o: BitFlipOptions, seeds: readonly number[]): string[] {
  const rows: string[] = [];
  const stories: string[] = [];
  const table = (["fresh", "plain", "loop", "cbp", "ipL2"] as BitFlipRun[]).map((kind) => {
    const runs = seeds.map((seed) => bitFlipRun(kind, seed, o));
    const bins = Array.from(
      { length: o.bins },
      (_, b) => runs.reduce((a, r) => a + r.binned[b], 0) / runs.length,
    );
    process.stderr.write(`bitflip ${kind}: ${bins.map((e) => e.toFixed(2)).join(" ")}\n`);
    runs.forEach((r, i) => {
      for (const e of r.events)
        stories.push(`- seed ${seeds[i]}, step ${e.step}: **${e.kind}** — ${e.diagnosis}`);
    });
    return { kind, bins, seconds: runs.reduce((a, r) => a + r.seconds, 0) / runs.length };
  });
  // The targets' difficulty drifts with the flipped bits, alike for every run of a seed: a network started
  // afresh at 80% of the stream is the reference a network that kept its plasticity should match at the end.
  const freshLast = table[0].bins[o.bins - 1];
  const cell = (e: number): string => (Number.isFinite(e) ? e.toFixed(2) : "diverged");
  for (const { kind, bins, seconds } of table) {
    const last = bins[o.bins - 1];
    rows.push(
      `| ${RUN_NAMES[kind]} | ${bins.map(cell).join(" | ")} | ${cell(last / Math.min(...bins))} | ${cell(last / freshLast)} | ${seconds.toFixed(0)} |`,
    );
  }
  const per = o.steps / o.bins;
  return [
    `## Slowly-changing regression: the bit-flipping problem (${o.steps.toLocaleString("en")} steps, seed${seeds.length > 1 ? "s" : ""} ${seeds.join(", ")})`,
    "",
    `Dohare et al.'s problem (Nature 2024; Dohare, Sutton & Mahmood 2021), shortened: 15 flipping bits and 5 random bits (0/1) feed a fixed random target network of 100 linear threshold units (weights ±1, threshold 21·0.7 − the unit's negative weights, a bias input of 1) with ±1 output weights; one flipping bit flips every ${o.flip.toLocaleString("en")} steps (the paper: 10,000, over millions of steps). The learner, 20-${o.hidden}-1 with ReLU, sees one row per step (SGD ${o.lr}, squared error); each cell is the mean squared error on each row before learning it, over ${per.toLocaleString("en")} steps.`,
    "",
    `| run | ${Array.from({ length: o.bins }, (_, b) => `${((b * per) / 1000).toFixed(0)}k–`).join(" | ")} | last / lowest | last / the fresh network's last | wall s |`,
    `| --- | ${Array.from({ length: o.bins }, () => "---").join(" | ")} | --- | --- | --- |`,
    ...rows,
    "",
    stories.length > 0 ? "What the loop did:" : "The loop raised no event.",
    ...(stories.length > 0 ? ["", ...stories] : []),
  ];
}
