/**
 * The continual-learning protocols of issue 4, on the bundled digits (8,000 train / 2,000 test) with the
 * 784-100-100-10 ReLU network and Adam 1e-3, batch 64 (a fresh optimiser state per task):
 *
 * - split digits, 5 tasks of two classes, 10 epochs per task, task-, domain- and class-incremental;
 * - permuted digits, 10 tasks, 5 epochs per task, domain-incremental.
 *
 * Every strategy runs on every seed; the table shows mean ± sd over seeds of the final accuracy (ACC),
 * BWT, forgetting (Chaudhry et al. 2018), intransigence (against the joint model of the same seed) and
 * wall time. Hyper-parameters come from TUNED below, chosen with `--tune` on a validation split (the last
 * 15% of the training digits), never on the test digits.
 *
 *   node dist/bench/continual-experiments.js                       # everything, seeds 1,2,3
 *   node dist/bench/continual-experiments.js --protocols split-class --seeds 1 --strategies naive,replay
 *   node dist/bench/continual-experiments.js --tune                # the validation grids
 * Options: --trainPerTask N, --epochs N and --tasks N shrink a run (say so when you quote its numbers).
 */
import {
  type ContinualConfig, type StreamRun, continualMeasures, continualStreams, createStrategy, parseContinualConfig, runStrategy,
} from "../src/continual/index.js";

type Protocol = "split-task" | "split-domain" | "split-class" | "permuted";
const PROTOCOLS: readonly Protocol[] = ["split-task", "split-domain", "split-class", "permuted"];
const STRATEGIES = ["naive", "joint", "ewc", "onlineEwc", "si", "mas", "lwf", "replay", "agem"];

/**
 * Hyper-parameters per protocol beyond the specs' defaults: the best of `--tune` on a validation split
 * (the last 15% of the training digits, never the test digits), seed 1, the full protocol (5 or 10 tasks).
 * The scores of every grid point are in TUNING_LOG below, so the choice can be checked.
 */
const TUNED: Record<Protocol, Record<string, Record<string, number>>> = {
  "split-task": { ewc: { lambda: 10000 }, onlineEwc: { lambda: 10000 }, si: { c: 10 }, mas: { lambda: 0.1 }, lwf: { lambda: 0.3 }, replay: { replayBatch: 32 } },
  "split-domain": { ewc: { lambda: 10000 }, onlineEwc: { lambda: 10000 }, si: { c: 10 }, mas: { lambda: 1 }, lwf: { lambda: 1 }, replay: { replayBatch: 64 } },
  "split-class": { ewc: { lambda: 1000 }, onlineEwc: { lambda: 10000 }, si: { c: 10 }, mas: { lambda: 0.1 }, lwf: { lambda: 0.3 }, replay: { replayBatch: 128 } },
  permuted: { ewc: { lambda: 30 }, onlineEwc: { lambda: 30 }, si: { c: 3 }, mas: { lambda: 0.01 } },
};

/**
 * Validation ACC (%) of each grid point run, seed 1 (`--tune`; permuted points run one by one with the same settings).
 * split-task:   ewc λ 10/100/1000/10000: 97.9/97.9/98.0/99.2; onlineEwc same λ: 97.9/97.7/98.0/99.0; si c 0.1/1/10: 97.9/98.3/98.8;
 *               mas λ 0.1/1/10: 98.7/98.3/98.1; lwf λ 0.3/1/3/10: 99.3/99.3/99.3/99.2; replay replayBatch 32/64/128: 98.9/98.7/98.8.
 * split-domain: ewc 60.2/60.3/65.1/69.1; onlineEwc 59.6/60.3/62.9/68.2; si 59.2/60.4/66.2; mas 70.1/72.9/72.0;
 *               lwf 65.3/74.4/67.6/62.9; replay 92.7/93.3/92.6.
 * split-class:  ewc 19.5/19.5/19.6/19.5; onlineEwc 19.6/19.5/19.6/19.7; si 19.6/19.7/20.6; mas 21.8/18.9/19.1;
 *               lwf 19.7/19.6/19.7/19.6; replay 85.6/87.1/87.6 (the regularisers' grid is flat at chance: see the README).
 * permuted:     ewc λ 10/30/100/1000/10000: 73.1/75.9/72.7/58.0/47.9; onlineEwc λ 10/30/100: 83.8/84.9/80.7;
 *               si c 0.1/1/3/10: 69.5/81.1/84.2/79.6; mas λ 0.01/0.1/1: 83.9/76.5/57.3; lwf λ 1: 41.5 (not searched further);
 *               replay bufferSize 500/1000/2000 (budgets, not tuned): 78.1/83.7/87.2.
 * Several best points sit at the edge of their grid (EWC and SI on the split streams): a wider grid may do better.
 */

/** Extra rows: the same strategy at another memory budget (budgets are given by the protocol, not tuned). */
const EXTRA_ROWS: Record<Protocol, { label: string; type: string; options: Record<string, number> }[]> = {
  "split-task": [],
  "split-domain": [],
  "split-class": [],
  permuted: [{ label: "replay (2,000 rows)", type: "replay", options: { bufferSize: 2000 } }],
};

/** The grids `--tune` searches, per strategy (one hyper-parameter each). */
const GRIDS: Record<string, [string, number[]]> = {
  ewc: ["lambda", [10, 30, 100, 1000, 10000]],
  onlineEwc: ["lambda", [10, 30, 100, 1000, 10000]],
  si: ["c", [0.1, 1, 3, 10]],
  mas: ["lambda", [0.01, 0.1, 1, 10]],
  lwf: ["lambda", [0.3, 1, 3, 10]],
  replay: ["replayBatch", [32, 64, 128]],
};

function protocolConfig(p: Protocol, seed: number, args: Args, strategy: string, options: Record<string, number>, evaluateOn: "test" | "validation"): ContinualConfig {
  const split = p !== "permuted";
  return parseContinualConfig({
    stream: split ? "split" : "permuted",
    scenario: split ? p.slice("split-".length) : "domain",
    tasks: args.tasks ?? (split ? 5 : 10),
    epochs: args.epochs ?? (split ? 10 : 5),
    batchSize: 64,
    optimizer: { type: "adam", lr: 0.001 },
    seed,
    strategy: { type: strategy, ...options },
    compareJoint: false,
    evaluateOn,
    ...(args.trainPerTask ? { trainPerTask: args.trainPerTask } : {}),
  });
}

interface Args {
  tune: boolean;
  seeds: number[];
  protocols: Protocol[];
  strategies: string[];
  epochs?: number;
  trainPerTask?: number;
  tasks?: number;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string): number | undefined => (get(name) === undefined ? undefined : Number(get(name)));
  return {
    tune: argv.includes("--tune"),
    seeds: (get("seeds") ?? "1,2,3").split(",").map(Number),
    protocols: (get("protocols")?.split(",") ?? PROTOCOLS) as Protocol[],
    strategies: get("strategies")?.split(",") ?? STRATEGIES,
    epochs: num("epochs"),
    trainPerTask: num("trainPerTask"),
    tasks: num("tasks"),
  };
}

const stats = (xs: number[]): { mean: number; sd: number } => {
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, sd };
};
const pct = (xs: number[]): string => {
  const { mean, sd } = stats(xs.map((v) => 100 * v));
  return `${mean.toFixed(1)} ± ${sd.toFixed(1)}`;
};

function runOne(p: Protocol, seed: number, args: Args, strategy: string, options: Record<string, number>, evaluateOn: "test" | "validation"): StreamRun {
  const cfg = protocolConfig(p, seed, args, strategy, options, evaluateOn);
  const { train, test } = continualStreams(cfg);
  const run = runStrategy(createStrategy({ type: strategy, options }), train, test, cfg);
  const acc = continualMeasures(run.R, run.b).ACC;
  process.stderr.write(`${p} seed ${seed} ${strategy} ${JSON.stringify(options)}: ACC ${(100 * acc).toFixed(1)}% in ${run.wallSeconds.toFixed(0)} s\n`);
  return run;
}

function experiments(args: Args): void {
  const started = performance.now();
  for (const p of args.protocols) {
    const runs = new Map<string, StreamRun[]>();
    const rows = [
      ...args.strategies.map((s) => ({ label: s, type: s, options: TUNED[p][s] ?? {} })),
      ...EXTRA_ROWS[p].filter((r) => args.strategies.includes(r.type)),
    ];
    for (const seed of args.seeds) {
      for (const row of [{ label: "joint", type: "joint", options: {} }, ...rows.filter((r) => r.label !== "joint")]) {
        const list = runs.get(row.label) ?? [];
        list.push(runOne(p, seed, args, row.type, row.options, "test"));
        runs.set(row.label, list);
      }
    }
    const joints = runs.get("joint")!;
    console.log(`\n### ${p === "permuted" ? "Permuted digits, 10 tasks, domain-incremental" : `Split digits, 5 tasks, ${p.slice(6)}-incremental`} (${args.epochs ?? (p === "permuted" ? 5 : 10)} epochs/task${args.trainPerTask ? `, ≤ ${args.trainPerTask} rows/task` : ""}; seeds ${args.seeds.join(", ")})\n`);
    console.log("| strategy | hyper-parameters | ACC % | BWT % | forgetting % (max) | intransigence % | FWT % | wall s |");
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const row of rows) {
      const s = row.label;
      const list = runs.get(s)!;
      const m = list.map((r, i) => continualMeasures(r.R, r.b, joints[i].R));
      const hyper = Object.entries(row.options).map(([k, v]) => `${k} ${v}`).join(", ") || "defaults";
      const wall = stats(list.map((r) => r.wallSeconds));
      console.log(`| ${s} | ${hyper} | ${pct(m.map((x) => x.ACC))} | ${pct(m.map((x) => x.BWT))} | ${pct(m.map((x) => x.forgetting.maxOverEarlier))} | ${pct(m.map((x) => x.intransigence!))} | ${pct(m.map((x) => x.FWT))} | ${wall.mean.toFixed(0)} |`);
    }
  }
  console.log(`\n(total ${((performance.now() - started) / 60000).toFixed(1)} min)`);
}

function tune(args: Args): void {
  for (const p of args.protocols) {
    for (const s of args.strategies.filter((x) => x in GRIDS)) {
      const [key, values] = GRIDS[s];
      const scores = values.map((v) => {
        const run = runOne(p, args.seeds[0], args, s, { [key]: v }, "validation");
        return continualMeasures(run.R, run.b).ACC;
      });
      const best = values[scores.indexOf(Math.max(...scores))];
      console.log(`${p} ${s}: ${values.map((v, i) => `${key} ${v} → ${(100 * scores[i]).toFixed(1)}%`).join(", ")}; best ${key} ${best}`);
    }
  }
}

const args = parseArgs(process.argv.slice(2));
if (args.tune) tune(args);
else experiments(args);
